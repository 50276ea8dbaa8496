"""Internal notes and the official answer box on the staff idea page.

A note is staff-only: its text must never reach a public page, the API for customers, the
Atom feeds, webhooks, e-mails or notifications (X replies: tests/social/test_internal_notes.py).
Each check looks for a unique marker in what the channel carries, next to a marker of an
official answer or a stage note that the same channel does carry, so the check can fail.
"""

from __future__ import annotations

import mailbox
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from ideaboard import events
from ideaboard.api import services as api_services
from ideaboard.extensions import db
from ideaboard.ideas import services as ideas
from ideaboard.ideas.models import Notification
from ideaboard.outbox.delivery import deliver_due
from ideaboard.outbox.models import OutboxMessage
from ideaboard.triage import queries, services
from ideaboard.triage.models import IdeaNote
from tests.helpers import login, post

NOTE = "NOTE-7f3a91 the billing system cannot do this before March"
ANSWER = "ANSWER-2c55e0 we are looking at it"
STAGE_NOTE = "STAGE-9d04b1 under review now"
NOTE_MARK, ANSWER_MARK, STAGE_MARK = "NOTE-7f3a91", "ANSWER-2c55e0", "STAGE-9d04b1"


@pytest.fixture
def box_dir(tmp_path: Path) -> Path:
    return tmp_path / "mailbox"


@pytest.fixture
def app(app_factory: Callable[..., Flask], box_dir: Path) -> Iterator[Flask]:
    """E-mail on (the development mailbox), so e-mails are written and can be read."""
    app = app_factory(
        IDEABOARD_MAILBOX=True,
        IDEABOARD_SMTP_URL=None,
        IDEABOARD_MAILBOX_DIR=str(box_dir),
        IDEABOARD_WEBHOOK_ALLOW_PRIVATE=True,  # the receiver is a closed port on loopback
    )
    with app.app_context():
        yield app


@pytest.fixture
def board(client, make_user, make_idea) -> dict[str, Any]:
    """An idea followed by a customer, a webhook for every event, staff logged in; then staff
    post a note, an official answer and a stage change through the page."""
    admin = make_user("admin", name="Admin")
    api_services.create_webhook(
        admin, "http://127.0.0.1:9/hook", list(api_services.webhooks.EVENTS)
    )
    author, follower = make_user(), make_user()
    idea = make_idea(author, title="Family plan discounts")
    ideas.follow_idea(follower, idea)
    db.session.commit()
    staff = make_user("staff", name="Kim Gayoung")
    login(client, staff)
    base = f"/staff/ideas/{idea.id}"
    assert post(client, f"{base}/notes", {"note-body": NOTE}).status_code == 302
    assert post(client, f"{base}/answer", {"answer-body": ANSWER}).status_code == 302
    response = post(
        client, f"{base}/stage", {"stage-stage": "under-review", "stage-note": STAGE_NOTE}
    )
    assert response.status_code == 302
    return {"idea": idea, "staff": staff, "author": author, "follower": follower}


def test_staff_see_the_note_and_the_answer_in_one_feed_newest_first(client, board):
    page = client.get(f"/staff/ideas/{board['idea'].id}").get_data(as_text=True)
    feed = page[page.index('id="activity-heading"') :]
    assert feed.index(STAGE_MARK) < feed.index(ANSWER_MARK) < feed.index(NOTE_MARK)
    assert "Internal note" in feed
    assert "Official answer" in feed
    kinds = [e.kind for e in queries.activity(board["idea"])[0]]
    assert kinds[:3] == ["stage", "answer", "note"]


def test_public_pages_show_the_answer_never_the_note(app, client, board, make_user):
    idea = board["idea"]
    for viewer in (None, board["follower"]):
        visitor = app.test_client()
        if viewer is not None:
            login(visitor, viewer)
        for path in (f"/ideas/{idea.id}", "/", "/notifications"):
            html = visitor.get(path).get_data(as_text=True)
            assert NOTE_MARK not in html, path
        assert ANSWER_MARK in visitor.get(f"/ideas/{idea.id}").get_data(as_text=True)
    # Staff reading the public page see it as customers do.
    assert NOTE_MARK not in client.get(f"/ideas/{idea.id}").get_data(as_text=True)


def test_the_api_for_customers_never_carries_the_note(app, board):
    idea = board["idea"]
    _token, secret = api_services.issue_token(board["follower"], "test")
    db.session.commit()
    api = app.test_client()
    for headers in ({}, {"Authorization": f"Bearer {secret}"}):
        bodies = [
            api.get(path, headers=headers).get_data(as_text=True)
            for path in (
                "/api/v1/ideas",
                f"/api/v1/ideas/{idea.id}",
                f"/api/v1/ideas/{idea.id}/comments",
                f"/api/v1/ideas/{idea.id}/status-changes",
            )
        ]
        assert not any(NOTE_MARK in body for body in bodies)
        assert ANSWER_MARK in bodies[2]


def test_the_atom_feeds_never_carry_the_note(client, board):
    for path in ("/feeds/status.atom", f"/ideas/{board['idea'].id}/status.atom"):
        xml = client.get(path).get_data(as_text=True)
        assert STAGE_MARK in xml
        assert NOTE_MARK not in xml


def test_webhooks_e_mails_and_notifications_never_carry_the_note(board, box_dir):
    rows = list(db.session.scalars(select(OutboxMessage)))
    carried = [f"{row.text} {row.payload}" for row in rows]
    assert any(ANSWER_MARK in text for text in carried)  # the answer's webhook
    assert not any(NOTE_MARK in text for text in carried)
    deliver_due(worker="test")  # the e-mails go into the mailbox (webhooks fail: port 9 is closed)
    letters = []
    for message in mailbox.Maildir(box_dir, create=False):
        for part in message.walk():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                letters.append(payload.decode("utf-8", "replace"))
    assert any(ANSWER_MARK in text for text in letters)
    assert not any(NOTE_MARK in text for text in letters)
    # Notifications: the answer and the stage change, nothing for the note.
    kinds = db.session.scalars(
        select(Notification.kind).where(Notification.user_id == board["follower"].id)
    )
    assert sorted(kinds) == ["official_comment", "stage_changed"]


def test_a_note_publishes_no_event(app, make_user, make_idea, monkeypatch):
    published: list[type[events.Event]] = []
    real = events.subscribers

    def recording(event_type: type[events.Event], app: Any = None) -> list[Any]:
        published.append(event_type)
        return real(event_type, app)

    idea, staff = make_idea(), make_user("staff")
    monkeypatch.setattr(events, "subscribers", recording)
    before = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    services.add_note(idea, staff, f"{NOTE} (service)")
    db.session.commit()
    assert published == []
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == before
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_customers_cannot_post_or_read_notes(client, make_user, make_idea):
    idea = make_idea()
    login(client, make_user())
    assert post(client, f"/staff/ideas/{idea.id}/notes", {"note-body": NOTE}).status_code == 403
    assert client.get(f"/staff/ideas/{idea.id}").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(IdeaNote)) == 0


def test_a_note_is_bounded_and_rendered_safely(client, make_user, make_idea):
    idea = make_idea()
    login(client, make_user("staff"))
    too_long = post(client, f"/staff/ideas/{idea.id}/notes", {"note-body": "n" * 5_001})
    assert too_long.status_code == 422
    assert "at most 5000 characters" in too_long.get_data(as_text=True)
    blank = post(client, f"/staff/ideas/{idea.id}/notes", {"note-body": "\u200b "})
    assert blank.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(IdeaNote)) == 0
    body = "**careful** <script>alert(1)</script>"
    assert post(client, f"/staff/ideas/{idea.id}/notes", {"note-body": body}).status_code == 302
    page = client.get(f"/staff/ideas/{idea.id}").get_data(as_text=True)
    assert "<strong>careful</strong>" in page
    assert "<script>alert(1)" not in page


def test_the_answer_box_posts_an_official_comment_once(client, make_user, make_idea):
    idea = make_idea()
    login(client, make_user("staff"))
    response = post(client, f"/staff/ideas/{idea.id}/answer", {"answer-body": ANSWER})
    assert response.status_code == 302
    (comment,) = ideas.comments_of(idea)
    assert comment.is_official
    assert comment.body == ANSWER
    db.session.refresh(idea)
    assert idea.first_response_at is not None  # an official answer is a first response
    empty = post(client, f"/staff/ideas/{idea.id}/answer", {"answer-body": ""})
    assert empty.status_code == 422
    assert len(ideas.comments_of(idea)) == 1
