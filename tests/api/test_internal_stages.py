"""Internal (non-public) stages and their notes are staff-only in every place they could leak."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from ideaboard.accounts.models import Role, User
from ideaboard.api import services as api_services
from ideaboard.extensions import db
from ideaboard.ideas import services as ideas
from ideaboard.ideas.models import Idea, Notification, Source
from ideaboard.outbox.models import OutboxMessage
from ideaboard.triage import services, workflow
from ideaboard.triage.models import Stage
from ideaboard.webhooks import enqueue as webhooks
from ideaboard.webhooks.models import Webhook
from tests.helpers import login

SECRET_NOTE = "Legal is checking the patent risk of this one"


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user(Role.ADMIN, name="Admin", initials="AD")


@pytest.fixture
def internal(admin: User) -> Stage:
    """An internal stage, 'Legal review', reachable from Under review and back."""
    stage = workflow.save_stage(
        admin,
        stage=None,
        slug="legal-review",
        name="Legal review",
        color="#123456",
        is_open=True,
        is_public=False,
        position=15,
    )
    under_review = services.find_stage("under-review")
    planned = services.find_stage("planned")
    from ideaboard.triage.models import StageTransition

    db.session.add_all(
        [
            StageTransition(from_stage_id=under_review.id, to_stage_id=stage.id),
            StageTransition(from_stage_id=stage.id, to_stage_id=planned.id),
        ]
    )
    db.session.commit()
    return stage


@pytest.fixture
def hook(app: Flask, admin: User) -> Webhook:
    app.config["IDEABOARD_WEBHOOK_ALLOW_PRIVATE"] = True
    made = api_services.create_webhook(admin, "http://127.0.0.1:9/hook", list(webhooks.EVENTS))
    db.session.commit()
    return made


@pytest.fixture
def idea_in_internal(
    make_idea: Callable[..., Idea],
    make_user: Callable[..., User],
    admin: User,
    internal: Stage,
    hook: Webhook,
) -> Idea:
    """An imported idea with a follower, moved Under review → Legal review."""
    author = make_user(Role.CUSTOMER)
    idea = make_idea(author, title="Offline maps")
    idea.source = Source.X.value
    idea.source_post_id = "1800000000000000001"
    idea.source_url = "https://x.com/someone/status/1800000000000000001"
    idea.source_lang = "en"
    db.session.commit()
    services.change_stage(idea, services.find_stage("under-review"), "We are looking", admin)
    services.change_stage(idea, internal, SECRET_NOTE, admin)
    db.session.commit()
    return idea


def _count(model: Any, *where: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_no_reply_notification_or_webhook_for_an_internal_change(idea_in_internal: Idea) -> None:
    internal_change = idea_in_internal.status_changes[-1]
    assert _count(OutboxMessage, OutboxMessage.status_change_id == internal_change.id) == 0
    assert _count(Notification, Notification.status_change_id == internal_change.id) == 0
    texts = " ".join(row.text or "" for row in db.session.scalars(select(OutboxMessage)))
    assert "Legal review" not in texts
    payloads = [row.payload for row in db.session.scalars(select(OutboxMessage))]
    assert "legal-review" not in repr(payloads)
    assert SECRET_NOTE not in repr(payloads)
    # The earlier public change did go out: the reply and the webhook.
    public_change = idea_in_internal.status_changes[0]
    assert _count(OutboxMessage, OutboxMessage.status_change_id == public_change.id) == 2


def test_leaving_an_internal_stage_shows_the_public_origin(
    idea_in_internal: Idea, admin: User
) -> None:
    services.change_stage(idea_in_internal, services.find_stage("planned"), "Planned!", admin)
    db.session.commit()
    row = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == "webhook", OutboxMessage.text == "status.changed")
        .order_by(OutboxMessage.id.desc())
    ).first()
    change = row.payload["data"]["status_change"]
    assert change["to_stage"] == "planned"
    assert change["from_stage"] == "under-review"  # not legal-review
    assert "legal" not in repr(row.payload)


@pytest.mark.parametrize("role", ["anonymous", "customer"])
def test_the_public_idea_page_hides_the_internal_stage(
    client: FlaskClient, make_user: Callable[..., User], idea_in_internal: Idea, role: str
) -> None:
    if role == "customer":
        login(client, make_user(Role.CUSTOMER))
    page = client.get(f"/ideas/{idea_in_internal.id}").get_data(as_text=True)
    assert SECRET_NOTE not in page
    assert "Legal review" not in page
    assert "Under Review" in page  # the last public stage
    board = client.get("/").get_data(as_text=True)
    assert "Offline maps" in board
    assert "Legal review" not in board
    similar = client.get("/ideas/similar?title=Offline maps").get_json()
    assert [item["stage"] for item in similar["items"]] == ["Under Review"]


def test_staff_see_the_internal_stage_everywhere(
    client: FlaskClient, make_user: Callable[..., User], idea_in_internal: Idea
) -> None:
    login(client, make_user(Role.STAFF))
    page = client.get(f"/ideas/{idea_in_internal.id}").get_data(as_text=True)
    assert SECRET_NOTE in page
    assert "Legal review" in page
    staff_page = client.get(f"/staff/ideas/{idea_in_internal.id}").get_data(as_text=True)
    assert SECRET_NOTE in staff_page


@pytest.mark.parametrize("role", ["anonymous", "customer"])
def test_the_api_hides_the_internal_stage_from_the_public(
    client: FlaskClient,
    headers_for: Callable[[str], dict[str, str]],
    idea_in_internal: Idea,
    role: str,
) -> None:
    headers = headers_for(role)
    idea = client.get(f"/api/v1/ideas/{idea_in_internal.id}", headers=headers).get_json()
    assert (idea["stage"], idea["stage_name"]) == ("under-review", "Under Review")
    changes = client.get(
        f"/api/v1/ideas/{idea_in_internal.id}/status-changes", headers=headers
    ).get_json()
    assert [c["to_stage"] for c in changes] == ["under-review"]
    assert SECRET_NOTE not in repr(changes)
    listed = client.get("/api/v1/ideas?sort=new", headers=headers).get_json()["items"]
    assert {i["stage"] for i in listed if i["id"] == idea_in_internal.id} == {"under-review"}
    by_stage = client.get("/api/v1/ideas?stage=legal-review", headers=headers)
    assert by_stage.status_code == 422  # an internal stage is not there to filter by


def test_the_api_shows_staff_the_internal_stage(
    client: FlaskClient, headers_for: Callable[[str], dict[str, str]], idea_in_internal: Idea
) -> None:
    headers = headers_for("staff")
    idea = client.get(f"/api/v1/ideas/{idea_in_internal.id}", headers=headers).get_json()
    assert idea["stage"] == "legal-review"
    changes = client.get(
        f"/api/v1/ideas/{idea_in_internal.id}/status-changes", headers=headers
    ).get_json()
    assert [c["to_stage"] for c in changes] == ["under-review", "legal-review"]
    assert changes[1]["note"] == SECRET_NOTE
    by_stage = client.get("/api/v1/ideas?stage=legal-review", headers=headers).get_json()
    assert [i["id"] for i in by_stage["items"]] == [idea_in_internal.id]


def test_feeds_and_stats_leave_internal_stages_out(
    client: FlaskClient, idea_in_internal: Idea
) -> None:
    for path in ("/feeds/status.atom", f"/ideas/{idea_in_internal.id}/status.atom", "/stats"):
        body = client.get(path).get_data(as_text=True)
        assert SECRET_NOTE not in body, path
        assert "Legal review" not in body, path


def test_webhook_payloads_of_other_events_show_the_public_stage(
    idea_in_internal: Idea, admin: User
) -> None:
    ideas.add_comment(admin, idea_in_internal, "An official word")
    db.session.commit()
    row = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.text == "comment.added")
    ).one()
    assert row.payload["data"]["idea"]["stage"] == "under-review"
