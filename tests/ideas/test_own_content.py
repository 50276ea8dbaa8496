"""Customers manage their own things: edit and delete their ideas and comments; staff hide
comments; a hidden idea tells its author why; forms keep their text through a 429 and an
expired token; signed-in pages are never reused stale.

The rules' queries run on both databases.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from ideaboard.accounts.models import Role, User
from ideaboard.api import services as api_services
from ideaboard.extensions import db
from ideaboard.ideas import services
from ideaboard.ideas.models import Comment, Follow, Idea, IdeaRevision, Notification, Source, Vote
from ideaboard.mail.digest import _item as digest_item
from ideaboard.mail.notifications import official_answer_letter
from ideaboard.outbox.models import OutboxMessage
from ideaboard.pagecache import cache
from ideaboard.triage import services as triage
from ideaboard.webhooks import enqueue as webhooks
from tests.helpers import csrf_token, post
from tests.ideas.helpers import count_rows, page_text, sign_in

SITE = {"Referer": "http://localhost/"}  # the browser says the form was on our page


@pytest.fixture
def staff(make_user) -> User:
    return make_user(Role.STAFF, name="Kim Gayoung", initials="KG")


def _webhook_rows() -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "webhook").order_by(OutboxMessage.id)
        )
    )


@pytest.fixture
def hook(app: Flask, make_user) -> Any:
    app.config["IDEABOARD_WEBHOOK_ALLOW_PRIVATE"] = True
    made = api_services.create_webhook(
        make_user(Role.ADMIN), "http://127.0.0.1:9/hook", list(webhooks.EVENTS)
    )
    db.session.commit()
    return made


# --- editing an idea: until staff answer it --------------------------------------------------


def test_the_author_edits_until_answered_and_every_version_is_kept(
    client, make_user, make_idea, staff
) -> None:
    author = make_user(name="Park Minji")
    idea = make_idea(author, title="Dark mode please", body="At night.", category="product")
    sign_in(client, author)
    assert f'href="/ideas/{idea.id}/edit"' in page_text(client.get(f"/ideas/{idea.id}"))

    response = post(
        client,
        f"/ideas/{idea.id}/edit",
        {"title": "Dark mode in the app", "body": "At night, **please**.", "category": "billing"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    idea = db.session.get(Idea, idea.id)
    assert (idea.title, idea.category.slug) == ("Dark mode in the app", "billing")
    assert "<strong>please</strong>" in idea.body_html
    versions = services.revisions_of(idea)
    assert [(v.title, v.body, v.editor_id) for v in versions] == [
        ("Dark mode in the app", "At night, **please**.", author.id),
        ("Dark mode please", "At night.", author.id),
    ]
    assert versions[1].created_at == idea.created_at  # the original, as first posted

    # Anyone sees "edited" and the earlier versions.
    other = client.application.test_client()
    page = page_text(other.get(f"/ideas/{idea.id}"))
    assert f'href="/ideas/{idea.id}/history"' in page
    history = page_text(other.get(f"/ideas/{idea.id}/history"))
    assert "Dark mode please" in history
    assert "Dark mode in the app" in history

    # An official answer closes the window: the page says why, a POST changes nothing.
    services.add_comment(staff, idea, "Thanks, we are looking at it.")
    db.session.commit()
    page = page_text(client.get(f"/ideas/{idea.id}"))
    assert "Our team has answered this idea, so it can no longer be edited" in page
    assert f'href="/ideas/{idea.id}/edit"' not in page
    refused = post(client, f"/ideas/{idea.id}/edit", {"title": "Something else entirely"})
    assert refused.status_code == 403
    assert "can no longer be edited" in page_text(refused)
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).title == "Dark mode in the app"
    assert count_rows(IdeaRevision) == 2


def test_any_stage_change_closes_editing_even_into_an_internal_stage(
    make_user, make_idea, staff
) -> None:
    author = make_user()
    idea = make_idea(author)
    assert services.edit_refusal(author, idea) is None
    internal = triage.find_stage("under-review")
    internal.is_public = False
    triage.change_stage(idea, internal, "Looking into it.", staff)
    db.session.commit()
    assert idea.first_response_at is None  # an internal stage is no public answer …
    assert services.is_answered(idea)  # … but staff have started on it
    assert "no longer be edited" in (services.edit_refusal(author, idea) or "")


def test_staff_edits_land_in_the_same_revisions(make_user, make_idea, staff) -> None:
    author = make_user()
    idea = make_idea(author, title="Roaming too pricey", category="product")
    triage.edit_idea(idea, staff, title="Cheaper roaming abroad", category_slug="billing")
    db.session.commit()
    versions = services.revisions_of(idea)
    assert [(v.title, v.category.slug, v.editor_id) for v in versions] == [
        ("Cheaper roaming abroad", "billing", staff.id),
        ("Roaming too pricey", "product", author.id),
    ]
    triage.assign_idea(idea, staff, team=None, assignee=staff)  # not a text change
    db.session.commit()
    assert len(services.revisions_of(idea)) == 2


def test_only_the_author_edits_and_bad_input_changes_nothing(client, make_user, make_idea) -> None:
    author, stranger = make_user(), make_user()
    idea = make_idea(author, title="Cheaper roaming")
    other = client.application.test_client()
    sign_in(other, stranger)
    assert other.get(f"/ideas/{idea.id}/edit").status_code == 403
    assert post(other, f"/ideas/{idea.id}/edit", {"title": "Hijacked title"}).status_code == 403

    sign_in(client, author)
    response = post(client, f"/ideas/{idea.id}/edit", {"title": "abc", "body": "x"})
    assert response.status_code == 422
    assert 'value="abc"' in page_text(response)  # the typed text comes back with the error
    response = post(client, f"/ideas/{idea.id}/edit", {"title": "A fine title", "category": "x"})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).title == "Cheaper roaming"
    assert count_rows(IdeaRevision) == 0


# --- deleting an idea: while nobody else has a stake ------------------------------------------


def test_the_author_deletes_after_a_confirmation_and_webhooks_hear_it(
    client, make_user, make_idea, hook
) -> None:
    author = make_user()
    idea = make_idea(author, title="Delete me soon")
    idea_id = idea.id
    services.cast_vote(author, idea, 1)  # their own vote is no obstacle
    services.add_comment(author, idea, "One more thing.")
    db.session.commit()
    assert [row.text for row in _webhook_rows()] == ["idea.created", "comment.added"]

    sign_in(client, author)
    confirm = client.get(f"/ideas/{idea_id}/delete")
    assert confirm.status_code == 200
    assert "Yes, delete it" in page_text(confirm)
    assert count_rows(Idea) == 1  # asking deletes nothing
    response = post(client, f"/ideas/{idea_id}/delete")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    db.session.expire_all()
    for model in (Idea, Vote, Comment, Follow, Notification):
        assert count_rows(model) == 0, model
    assert client.get(f"/ideas/{idea_id}").status_code == 404
    rows = _webhook_rows()
    assert [(row.text, row.state) for row in rows] == [
        ("idea.created", "cancelled"),  # not sent yet: the idea's text goes nowhere now
        ("comment.added", "cancelled"),
        ("idea.deleted", "pending"),
    ]
    assert rows[2].payload["data"] == {"idea": {"id": idea_id}}


def test_deletion_is_refused_once_others_have_a_stake(make_user, make_idea, staff) -> None:
    author, other = make_user(), make_user()

    voted = make_idea(author)
    services.cast_vote(other, voted, 1)
    commented = make_idea(author)
    services.add_comment(other, commented, "I want this too")
    answered = make_idea(author)
    services.add_comment(staff, answered, "Thanks!")
    target, duplicate = make_idea(author), make_idea(author)
    triage.merge_ideas(duplicate, target, staff)
    imported = make_idea(author)
    imported.source = Source.X.value
    free = make_idea(author)
    services.cast_vote(other, free, 1)
    services.cast_vote(other, free, 0)  # a withdrawn vote is no stake
    db.session.commit()

    def refusal(idea: Idea) -> str:
        return services.delete_refusal(author, idea) or ""

    assert "Others have voted" in refusal(voted)
    assert "Others have commented" in refusal(commented)
    assert "answered" in refusal(answered)
    assert "answered" in refusal(duplicate)
    assert "answered" in refusal(target)
    assert "imported" in refusal(imported)
    assert "Only the person" in (services.delete_refusal(other, free) or "")
    assert services.delete_refusal(author, free) is None


def test_a_refused_deletion_post_deletes_nothing(client, make_user, make_idea) -> None:
    author, other = make_user(), make_user()
    idea = make_idea(author)
    services.cast_vote(other, idea, 1)
    db.session.commit()
    sign_in(client, author)
    response = post(client, f"/ideas/{idea.id}/delete")
    assert response.status_code == 403
    assert "Others have voted for this idea" in page_text(response)
    assert count_rows(Idea) == 1
    assert count_rows(Vote) == 1


# --- comments: edit, delete, hide --------------------------------------------------------------


def test_the_author_edits_and_deletes_a_comment_and_a_placeholder_stays(
    client, make_user, make_idea, staff
) -> None:
    author, writer = make_user(), make_user(name="Lee Jiwoo")
    idea = make_idea(author)
    comment = services.add_comment(writer, idea, "First thought")
    answer = services.add_comment(staff, idea, "Official reply")
    db.session.commit()
    notes_before = count_rows(Notification)
    assert notes_before == 2  # the official reply notified the author and the commenter

    sign_in(client, writer)
    base = f"/ideas/{idea.id}/comments/{comment.id}"
    assert "First thought" in page_text(client.get(f"{base}/edit"))
    assert post(client, f"{base}/edit", {"body": "Second thought"}).status_code == 302
    page = page_text(client.get(f"/ideas/{idea.id}"))
    assert "Second thought" in page
    assert "First thought" not in page
    assert '<span class="edited-mark"' in page
    assert post(client, f"{base}/edit", {"body": " "}).status_code == 422

    # Someone else's comment: no edit, no delete.
    other_base = f"/ideas/{idea.id}/comments/{answer.id}"
    assert post(client, f"{other_base}/edit", {"body": "Hacked"}).status_code == 403
    assert post(client, f"{other_base}/delete").status_code == 403

    assert "Yes, delete it" in page_text(client.get(f"{base}/delete"))
    assert post(client, f"{base}/delete").status_code == 302
    db.session.expire_all()
    gone = db.session.get(Comment, comment.id)
    assert gone.deleted_at is not None
    assert gone.body == ""
    assert gone.body_html == ""
    assert db.session.get(Idea, idea.id).comment_count == 1
    assert count_rows(Notification) == notes_before  # notifications keep their place
    page = page_text(client.get(f"/ideas/{idea.id}"))
    assert f'id="comment-{comment.id}"' in page
    assert "Comment deleted by its author" in page
    assert "Second thought" not in page
    assert post(client, f"{base}/edit", {"body": "Back again"}).status_code == 403


def test_staff_delete_their_own_official_comment_by_the_same_rules(
    make_user, make_idea, staff
) -> None:
    idea = make_idea(make_user())
    answer = services.add_comment(staff, idea, "We will ship it")
    db.session.commit()
    other_staff = make_user(Role.STAFF)
    assert services.comment_edit_refusal(other_staff, answer) is not None
    services.edit_comment(staff, answer, "We will ship it in May")
    services.delete_comment(staff, answer)
    db.session.commit()
    assert answer.edited_at is not None
    assert answer.deleted_at is not None
    assert idea.comment_count == 0


def test_a_hidden_comment_is_private_on_every_channel(
    app: Flask, client, make_user, make_idea, staff, hook
) -> None:
    author, rude, follower = make_user(), make_user(name="Rude Person"), make_user()
    idea = make_idea(author, title="Family plan")
    services.follow_idea(follower, idea)
    rant = services.add_comment(rude, idea, "SECRET RANT TEXT")
    answer = services.add_comment(staff, idea, "SECRET OFFICIAL TEXT")
    db.session.commit()
    assert idea.comment_count == 2
    # The official answer's e-mail is written at send time: it would carry the text now.
    with app.test_request_context():
        assert not isinstance(official_answer_letter({"comment_id": answer.id}, follower), str)

    sign_in(client, staff)
    assert (
        post(client, f"/ideas/{idea.id}/comments/{rant.id}/hide", {"reason": ""}).status_code == 422
    )
    for comment in (rant, answer):
        response = post(
            client, f"/ideas/{idea.id}/comments/{comment.id}/hide", {"reason": "Off-topic insults"}
        )
        assert response.status_code == 302
    db.session.expire_all()
    idea = db.session.get(Idea, idea.id)
    assert idea.comment_count == 0

    # The public, the API for customers, the feed: only the placeholder.
    visitor = client.application.test_client()
    page = page_text(visitor.get(f"/ideas/{idea.id}"))
    assert page.count("Hidden by the moderators") == 2
    assert "SECRET" not in page
    assert "Off-topic insults" not in page
    api = visitor.get(f"/api/v1/ideas/{idea.id}/comments")
    assert api.status_code == 200
    assert "SECRET" not in page_text(api)
    feed = visitor.get(f"/ideas/{idea.id}/status.atom")
    assert "SECRET" not in page_text(feed)
    # Webhook deliveries not sent yet are stopped; e-mails written later refuse.
    states = {row.text: row.state for row in _webhook_rows() if row.text == "comment.added"}
    assert states == {"comment.added": "cancelled"}
    assert all(
        row.payload["data"]["comment"] is None
        for row in _webhook_rows()
        if row.text == "comment.added"
    )
    with app.test_request_context():
        assert isinstance(official_answer_letter({"comment_id": answer.id}, follower), str)
    note = db.session.scalar(select(Notification).where(Notification.comment_id == answer.id))
    assert note is not None
    assert digest_item(note) is None

    # Its author sees the text and why; staff see it and can show it again.
    sign_in(visitor, rude)
    page = page_text(visitor.get(f"/ideas/{idea.id}"))
    assert "SECRET RANT TEXT" in page
    assert "Off-topic insults" in page
    assert "SECRET OFFICIAL TEXT" not in page
    assert (
        post(visitor, f"/ideas/{idea.id}/comments/{rant.id}/edit", {"body": "x"}).status_code == 403
    )
    assert post(visitor, f"/ideas/{idea.id}/comments/{rant.id}/restore").status_code == 403
    assert post(client, f"/ideas/{idea.id}/comments/{rant.id}/restore").status_code == 302
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).comment_count == 1
    assert "SECRET RANT TEXT" in page_text(app.test_client().get(f"/ideas/{idea.id}"))


def test_an_edited_comment_sends_its_new_text_to_webhooks_not_sent_yet(
    make_user, make_idea, hook
) -> None:
    writer = make_user()
    idea = make_idea(writer)
    comment = services.add_comment(writer, idea, "Old words")
    db.session.commit()
    services.edit_comment(writer, comment, "New words")
    db.session.commit()
    (row,) = [row for row in _webhook_rows() if row.text == "comment.added"]
    assert row.state == "pending"
    assert row.payload["data"]["comment"]["body"] == "New words"


# --- a hidden idea tells its author why ------------------------------------------------------


def test_a_hidden_idea_shows_its_author_the_reason_and_others_a_404(
    client, make_user, make_idea, staff
) -> None:
    author, other = make_user(), make_user()
    idea = make_idea(author, title="Buy cheap watches")
    triage.hide_idea(idea, staff, "Looks like an advertisement")
    db.session.commit()

    assert client.get(f"/ideas/{idea.id}").status_code == 404
    someone = client.application.test_client()
    sign_in(someone, other)
    assert someone.get(f"/ideas/{idea.id}").status_code == 404
    sign_in(client, author)
    response = client.get(f"/ideas/{idea.id}")
    assert response.status_code == 200
    page = page_text(response)
    assert "The moderators hid this idea." in page
    assert "Looks like an advertisement" in page
    assert "Only you and our team can see it" in page
    assert f'action="/ideas/{idea.id}/follow"' not in page  # nothing to do on it but read


# --- forms keep their text: rate limits and expired tokens -----------------------------------


@pytest.fixture
def limited_client(app: Flask, app_factory) -> Any:
    """A client of an app that limits submits and comments to one a minute.

    Made after `app`: flask-limiter is one object per process, the last app made sets it.
    """
    app = app_factory(
        RATELIMIT_ENABLED=True,
        IDEABOARD_LIMIT_SUBMIT="1 per minute",
        IDEABOARD_LIMIT_COMMENT="1 per minute",
        IDEABOARD_LIMIT_REGISTER="1 per minute",
    )
    with app.app_context():
        yield app.test_client()


def test_a_rate_limited_idea_keeps_its_text_and_says_when_to_retry(
    limited_client, make_user
) -> None:
    sign_in(limited_client, make_user())
    first = post(limited_client, "/ideas/new", {"title": "The first idea of mine"})
    assert first.status_code == 302
    typed = {
        "title": "Second idea, typed with care",
        "body": "A long\nbody I wrote",
        "category": "billing",
    }
    response = post(limited_client, "/ideas/new", typed, headers=SITE)
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    page = page_text(response)
    assert "You are sending this too often. Your text is kept" in page
    assert 'value="Second idea, typed with care"' in page
    assert "A long\nbody I wrote</textarea>" in page
    assert '<option selected value="billing">' in page
    assert re.search(r'name="csrf_token"[^>]*value="\w', page)  # ready to send again
    assert count_rows(Idea) == 1


def test_a_rate_limited_comment_keeps_its_text(limited_client, make_user, make_idea) -> None:
    idea = make_idea()
    sign_in(limited_client, make_user())
    assert post(limited_client, f"/ideas/{idea.id}/comments", {"body": "one"}).status_code == 302
    response = post(
        limited_client, f"/ideas/{idea.id}/comments", {"body": "Kept comment text"}, headers=SITE
    )
    assert response.status_code == 429
    assert response.headers["Retry-After"]
    assert "Kept comment text</textarea>" in page_text(response)


def test_any_other_rate_limited_form_gets_a_page_that_keeps_its_text(limited_client) -> None:
    form = {"email": "a@example.com", "name": "Typed Name", "password": "p" * 12, "confirm": "x"}
    post(limited_client, "/register", form)
    again = {**form, "email": "b@example.com", "name": "Second Typed Name"}
    response = post(limited_client, "/register", again, headers=SITE)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    page = page_text(response)
    assert "Please wait a moment — your text is kept" in page
    assert '<input type="hidden" name="name" value="Second Typed Name">' in page
    assert "p" * 12 not in page  # passwords are never kept
    assert 'action="/register"' in page


@pytest.mark.parametrize("form", ["submit", "comment", "edit", "edit_comment"])
def test_an_expired_token_keeps_the_text_on_each_form(client, make_user, make_idea, form) -> None:
    author = make_user()
    idea = make_idea(author)
    comment = services.add_comment(author, idea, "A comment")
    db.session.commit()
    sign_in(client, author)
    path = {
        "submit": "/ideas/new",
        "comment": f"/ideas/{idea.id}/comments",
        "edit": f"/ideas/{idea.id}/edit",
        "edit_comment": f"/ideas/{idea.id}/comments/{comment.id}/edit",
    }[form]
    text = "Text I typed before lunch and do not want to lose"
    data = {"title": "A title typed by hand", "body": text, "csrf_token": "expired-token"}
    response = client.post(path, data=data, headers=SITE)
    assert response.status_code == 400
    page = page_text(response)
    assert "This form expired — your text is kept" in page
    assert f'<input type="hidden" name="body" value="{text}">' in page
    assert f'action="{path}"' in page
    assert "expired-token" not in page


# --- no stale pages ----------------------------------------------------------------------------


def test_signed_in_pages_are_no_store_and_anonymous_ones_are_not(
    client, make_user, make_idea
) -> None:
    idea = make_idea()
    assert "no-store" not in client.get(f"/ideas/{idea.id}").headers.get("Cache-Control", "")
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")
    sign_in(client, make_user())
    for path in ("/", f"/ideas/{idea.id}", "/notifications"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path


def test_the_anonymous_page_cache_forgets_edited_and_deleted_content(
    app_factory, make_user, make_idea
) -> None:
    app = app_factory(IDEABOARD_PAGE_CACHE_SECONDS=60)
    with app.app_context():
        cache.clear()
        author = make_user()
        idea = make_idea(author, title="Before the edit")
        comment = services.add_comment(author, idea, "Comment before")
        db.session.commit()
        visitor, writer = app.test_client(), app.test_client()
        assert "Before the edit" in page_text(visitor.get(f"/ideas/{idea.id}"))
        assert "Before the edit" in page_text(visitor.get("/"))
        sign_in(writer, author)
        token = csrf_token(writer)
        writer.post(f"/ideas/{idea.id}/edit", data={"title": "After the edit", "csrf_token": token})
        writer.post(f"/ideas/{idea.id}/comments/{comment.id}/delete", data={"csrf_token": token})
        page = page_text(visitor.get(f"/ideas/{idea.id}"))
        assert "After the edit" in page
        assert "Comment before" not in page
        assert "After the edit" in page_text(visitor.get("/"))
        cache.clear()
