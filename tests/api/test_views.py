"""The staff Webhooks page: staff look, admins add, test and switch off."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from ideaboard.accounts.models import Role, User
from ideaboard.extensions import db
from ideaboard.outbox.models import OutboxMessage
from ideaboard.webhooks.models import Webhook
from tests.helpers import login, post


@pytest.fixture(autouse=True)
def allow_loopback_receivers(app: Flask) -> None:
    """The webhooks here point at 127.0.0.1, an intranet address (test_netguard.py)."""
    app.config["IDEABOARD_WEBHOOK_ALLOW_PRIVATE"] = True


def test_webhooks_page_is_for_staff(client: FlaskClient, make_user: Callable[..., User]) -> None:
    assert client.get("/staff/webhooks").status_code == 302  # to the login page
    login(client, make_user())
    assert client.get("/staff/webhooks").status_code == 403


def test_staff_see_webhooks_but_cannot_add_them(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    login(client, make_user(Role.STAFF))
    page = client.get("/staff/webhooks").get_data(as_text=True)
    assert "No webhook yet." in page
    assert "Add a webhook" not in page
    refused = post(
        client, "/staff/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["idea.created"]}
    )
    assert refused.status_code == 403
    assert db.session.scalar(select(Webhook)) is None


def test_admin_adds_tests_and_switches_off_a_webhook(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    login(client, make_user(Role.ADMIN))
    created = post(
        client,
        "/staff/webhooks",
        {"url": "http://127.0.0.1:9/hook", "events": ["idea.created", "status.changed"]},
    )
    assert created.status_code == 201
    hook = db.session.scalar(select(Webhook))
    assert hook.events == ["idea.created", "status.changed"]
    secret = re.search(r'<code id="new-secret">([^<]+)</code>', created.get_data(as_text=True))
    assert secret.group(1) == hook.secret
    tested = post(client, f"/staff/webhooks/{hook.id}/test", follow_redirects=True)
    assert tested.status_code == 200
    assert "Test event queued" in tested.get_data(as_text=True)
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.webhook_id == hook.id))
    assert row.payload["event"] == "webhook.test"
    assert row.target == hook.url
    outbox = client.get("/staff/outbox").get_data(as_text=True)
    assert "webhook.test" in outbox
    assert f"webhook to {hook.url}" in outbox
    assert post(client, f"/staff/webhooks/{hook.id}/deactivate").status_code == 302
    db.session.refresh(hook)
    assert hook.active is False
    assert client.post(f"/staff/webhooks/{hook.id}/test").status_code == 400  # no CSRF token


def test_admin_sees_form_errors(client: FlaskClient, make_user: Callable[..., User]) -> None:
    login(client, make_user(Role.ADMIN))
    bad_url = post(client, "/staff/webhooks", {"url": "ftp://x/hook", "events": ["idea.created"]})
    assert bad_url.status_code == 422
    assert "http://" in bad_url.get_data(as_text=True)
    no_events = post(client, "/staff/webhooks", {"url": "http://127.0.0.1:9/hook"})
    assert no_events.status_code == 422
    assert db.session.scalar(select(Webhook)) is None


def _secrets_in(page: str) -> list[str]:
    return re.findall(r"\b[0-9a-f]{64}\b", page)


def test_the_signing_secret_is_shown_once_then_only_rotated(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    login(client, make_user(Role.ADMIN))
    created = post(
        client, "/staff/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["idea.created"]}
    )
    hook = db.session.scalar(select(Webhook))
    first = hook.secret
    assert _secrets_in(created.get_data(as_text=True)) == [first]
    later = client.get("/staff/webhooks").get_data(as_text=True)
    assert first not in later
    assert _secrets_in(later) == []
    assert f"…{first[-4:]}" in later  # a hint to tell secrets apart
    rotated = post(client, f"/staff/webhooks/{hook.id}/rotate-secret")
    assert rotated.status_code == 200
    db.session.refresh(hook)
    assert hook.secret != first
    assert _secrets_in(rotated.get_data(as_text=True)) == [hook.secret]
    again = client.get("/staff/webhooks").get_data(as_text=True)
    assert hook.secret not in again
    assert first not in again
    assert client.post(f"/staff/webhooks/{hook.id}/rotate-secret").status_code == 400  # no CSRF


def test_only_admins_rotate_secrets(client: FlaskClient, make_user: Callable[..., User]) -> None:
    from ideaboard.api import services

    hook = services.create_webhook(
        make_user(Role.ADMIN), "http://127.0.0.1:9/hook", ["idea.created"]
    )
    db.session.commit()
    secret = hook.secret
    login(client, make_user(Role.STAFF))
    refused = post(client, f"/staff/webhooks/{hook.id}/rotate-secret")
    assert refused.status_code == 403
    assert secret not in refused.get_data(as_text=True)
    db.session.refresh(hook)
    assert hook.secret == secret
