"""Webhooks: events become outbox rows in the same transaction; the worker posts them, signed."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from ideaboard.accounts.models import Role, User
from ideaboard.api import services
from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.ideas.services import add_comment
from ideaboard.outbox.delivery import deliver_due
from ideaboard.outbox.models import OutboxMessage
from ideaboard.triage.services import change_stage, find_stage, merge_ideas
from ideaboard.webhooks import enqueue as webhooks
from ideaboard.webhooks.models import Webhook
from tests.api.helpers import Receiver


@pytest.fixture(autouse=True)
def allow_loopback_receivers(app: Flask) -> None:
    """The receivers here listen on 127.0.0.1, an intranet address (test_netguard.py)."""
    app.config["IDEABOARD_WEBHOOK_ALLOW_PRIVATE"] = True


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user(Role.ADMIN, initials="AD")


@pytest.fixture
def make_hook(admin: User) -> Callable[..., Webhook]:
    def make(url: str, events: list[str] | None = None) -> Webhook:
        hook = services.create_webhook(admin, url, events or list(webhooks.EVENTS))
        db.session.commit()
        return hook

    return make


def _rows() -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "webhook").order_by(OutboxMessage.id)
        )
    )


def _deliver() -> Any:
    result = deliver_due(worker="test-worker")
    db.session.expire_all()
    return result


def test_each_event_queues_one_row_per_subscribed_webhook(
    make_hook: Callable[..., Webhook],
    make_idea: Callable[..., Idea],
    admin: User,
) -> None:
    every = make_hook("http://127.0.0.1:9/all")
    created_only = make_hook("http://127.0.0.1:9/created", ["idea.created"])
    switched_off = make_hook("http://127.0.0.1:9/off")
    services.deactivate_webhook(admin, switched_off)
    db.session.commit()
    idea, other = make_idea(), make_idea()
    add_comment(admin, idea, "Thanks!")
    change_stage(idea, find_stage("under-review"), "Looking", admin)
    merge_ideas(other, idea, admin)
    db.session.commit()
    sent = [(row.webhook_id, row.payload["event"]) for row in _rows()]
    assert sent.count((every.id, "idea.created")) == 2
    assert sent.count((created_only.id, "idea.created")) == 2
    assert (every.id, "comment.added") in sent
    assert (every.id, "idea.merged") in sent
    assert sent.count((every.id, "status.changed")) == 2  # the review and the merge's Duplicate
    assert not [hook for hook, _event in sent if hook == switched_off.id]
    assert {hook for hook, event in sent if event != "idea.created"} == {every.id}
    merged = next(row for row in _rows() if row.payload["event"] == "idea.merged")
    assert merged.payload["data"]["idea"]["id"] == other.id
    assert merged.payload["data"]["target"]["id"] == idea.id
    assert merged.payload["data"]["status_change"]["to_stage"] == "duplicate"
    assert all(row.target == db.session.get(Webhook, row.webhook_id).url for row in _rows())


def test_enqueueing_the_same_event_twice_queues_it_once(
    make_hook: Callable[..., Webhook], make_idea: Callable[..., Idea]
) -> None:
    make_hook("http://127.0.0.1:9/hook")
    idea = make_idea()
    assert webhooks.enqueue_event("idea.created", idea=idea) == 0
    db.session.commit()
    assert len(_rows()) == 1


def test_rolled_back_action_sends_nothing(
    make_hook: Callable[..., Webhook], make_user: Callable[..., User]
) -> None:
    from ideaboard.ideas.services import submit_idea

    make_hook("http://127.0.0.1:9/hook")
    submit_idea(make_user(), "This will be rolled back")
    db.session.rollback()
    assert _rows() == []


def test_delivery_is_signed_and_recorded(
    receiver: Receiver, make_hook: Callable[..., Webhook], make_idea: Callable[..., Idea]
) -> None:
    hook = make_hook(receiver.url, ["idea.created"])
    idea = make_idea(title="Signed and delivered")
    result = _deliver()
    assert result.sent == 1
    got = receiver.last
    row = _rows()[0]
    expected = hmac.new(hook.secret.encode(), got["body"], hashlib.sha256).hexdigest()
    assert got["headers"]["X-Ideaboard-Signature"] == f"sha256={expected}"
    assert got["headers"]["X-Ideaboard-Event"] == "idea.created"
    assert got["headers"]["X-Ideaboard-Delivery"] == str(row.id)
    assert got["headers"]["Content-Type"] == "application/json"
    assert got["json"]["event"] == "idea.created"
    assert got["json"]["data"]["idea"]["id"] == idea.id
    assert got["json"]["data"]["idea"]["title"] == "Signed and delivered"
    assert row.state == "sent"
    assert row.remote_id == "HTTP 204"
    assert row.cost_usd is None


@pytest.mark.parametrize("status", [500, 502, 503, 408])
def test_server_errors_are_retried_with_back_off(
    receiver: Receiver,
    make_hook: Callable[..., Webhook],
    make_idea: Callable[..., Idea],
    status: int,
) -> None:
    make_hook(receiver.url, ["idea.created"])
    make_idea()
    receiver.answer(status)
    before = utcnow()
    assert _deliver().failed == 1
    row = _rows()[0]
    assert row.state == "failed"
    assert row.attempts == 1
    assert f"HTTP {status}" in row.last_error
    assert row.next_attempt_at >= before + timedelta(seconds=30)
    row.next_attempt_at = utcnow()
    db.session.commit()
    assert _deliver().sent == 1  # the receiver recovered
    assert len(receiver.requests) == 2
    assert receiver.requests[0]["headers"]["X-Ideaboard-Delivery"] == str(row.id)
    assert receiver.requests[1]["headers"]["X-Ideaboard-Delivery"] == str(row.id)


@pytest.mark.parametrize("status", [400, 401, 404, 410, 301])
def test_client_errors_and_redirects_are_final(
    receiver: Receiver,
    make_hook: Callable[..., Webhook],
    make_idea: Callable[..., Idea],
    status: int,
) -> None:
    make_hook(receiver.url, ["idea.created"])
    make_idea()
    receiver.answer(status, {"Location": "http://127.0.0.1:9/elsewhere"})
    assert _deliver().dead == 1
    row = _rows()[0]
    assert row.state == "dead"
    assert f"HTTP {status}" in row.last_error


def test_429_waits_for_retry_after_without_using_an_attempt(
    receiver: Receiver, make_hook: Callable[..., Webhook], make_idea: Callable[..., Idea]
) -> None:
    make_hook(receiver.url, ["idea.created"])
    make_idea()
    receiver.answer(429, {"Retry-After": "120"})
    before = utcnow()
    assert _deliver().deferred == 1
    row = _rows()[0]
    assert row.state == "failed"
    assert row.attempts == 0
    assert (
        before + timedelta(seconds=119) <= row.next_attempt_at <= utcnow() + timedelta(seconds=125)
    )


def test_timeout_is_retried(
    app: Flask,
    receiver: Receiver,
    make_hook: Callable[..., Webhook],
    make_idea: Callable[..., Idea],
) -> None:
    app.config["IDEABOARD_WEBHOOK_TIMEOUT_SECONDS"] = 0.2
    make_hook(receiver.url, ["idea.created"])
    make_idea()
    receiver.answer(204, delay=1.0)
    assert _deliver().failed == 1
    row = _rows()[0]
    assert row.state == "failed"
    assert "timeout" in row.last_error


def test_unreachable_receiver_is_retried_then_dead(
    make_hook: Callable[..., Webhook], make_idea: Callable[..., Idea]
) -> None:
    make_hook("http://127.0.0.1:9/closed-port", ["idea.created"])
    make_idea()
    row = _rows()[0]
    row.max_attempts = 2
    db.session.commit()
    assert _deliver().failed == 1
    row = _rows()[0]
    assert row.state == "failed"
    assert "connection" in row.last_error
    row.next_attempt_at = utcnow()
    db.session.commit()
    assert _deliver().dead == 1
    assert _rows()[0].state == "dead"


def test_switched_off_webhook_gets_no_queued_delivery(
    receiver: Receiver,
    make_hook: Callable[..., Webhook],
    make_idea: Callable[..., Idea],
    admin: User,
) -> None:
    hook = make_hook(receiver.url, ["idea.created"])
    make_idea()
    services.deactivate_webhook(admin, hook)
    db.session.commit()
    assert _deliver().dead == 1
    assert receiver.requests == []


def test_test_event_goes_to_one_webhook(
    receiver: Receiver, make_hook: Callable[..., Webhook], admin: User
) -> None:
    hook = make_hook(receiver.url, ["comment.added"])
    make_hook("http://127.0.0.1:9/other", ["comment.added"])
    row = services.send_test(admin, hook)
    db.session.commit()
    assert [r.id for r in _rows()] == [row.id]
    assert _deliver().sent == 1
    assert receiver.last["json"]["event"] == "webhook.test"
    assert receiver.last["json"]["data"]["webhook_id"] == hook.id


@pytest.mark.parametrize(
    ("url", "events", "field"),
    [
        ("ftp://127.0.0.1/hook", ["idea.created"], "url"),
        ("http://", ["idea.created"], "url"),
        ("http://user:pw@127.0.0.1/hook", ["idea.created"], "url"),
        ("http://127.0.0.1/hook", [], "events"),
        ("http://127.0.0.1/hook", ["idea.exploded"], "events"),
    ],
)
def test_webhook_settings_are_checked(admin: User, url: str, events: list[str], field: str) -> None:
    from ideaboard.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        services.create_webhook(admin, url, events)
    assert caught.value.field == field


def test_only_admins_configure_webhooks(make_user: Callable[..., User]) -> None:
    from ideaboard.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.create_webhook(make_user(Role.STAFF), "http://127.0.0.1/hook", ["idea.created"])


def test_a_rotated_secret_signs_the_next_delivery(
    receiver: Receiver, make_hook: Callable[..., Webhook], admin: User
) -> None:
    hook = make_hook(receiver.url, ["comment.added"])
    old = hook.secret
    services.send_test(admin, hook)
    new = services.rotate_webhook_secret(admin, hook)
    db.session.commit()
    assert new != old
    assert _deliver().sent == 1
    expected = hmac.new(new.encode(), receiver.last["body"], hashlib.sha256).hexdigest()
    assert receiver.last["headers"]["X-Ideaboard-Signature"] == f"sha256={expected}"
