"""The staff Webhooks page: staff look, admins add, test and switch off."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from ideaboard.accounts.models import Role, User
from ideaboard.api.models import Webhook
from ideaboard.extensions import db
from ideaboard.social.models import OutboxMessage
from tests.helpers import login, post


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
