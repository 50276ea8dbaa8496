"""Permission helpers: `can_administer` beside `can_triage`, the view guards, the templates."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_login import AnonymousUserMixin

from ideaboard.accounts.models import Role
from ideaboard.ideas.permissions import can_administer, can_triage
from ideaboard.triage.permissions import admin_required, staff_required
from tests.helpers import login, post


@pytest.mark.parametrize(
    ("role", "staff", "admin"),
    [(Role.CUSTOMER, False, False), (Role.STAFF, True, False), (Role.ADMIN, True, True)],
)
def test_predicates_by_role(make_user, role, staff, admin) -> None:
    user = make_user(role)
    assert can_triage(user) is staff
    assert can_administer(user) is admin


def test_predicates_refuse_nobody_and_anonymous(app: Flask) -> None:
    assert can_administer(None) is False
    assert can_administer(AnonymousUserMixin()) is False
    assert can_triage(None) is False


def test_guards_keep_their_names_and_docs() -> None:
    @admin_required
    def settings() -> str:
        """Change the settings."""
        return "ok"

    @staff_required
    def inbox() -> str:
        return "ok"

    assert settings.__name__ == "settings"
    assert settings.__doc__ == "Change the settings."
    assert inbox.__name__ == "inbox"


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("GET", "/staff/workflow", None),
        ("POST", "/staff/workflow/teams", {"team-slug": "sales", "team-name": "Sales"}),
        ("POST", "/staff/reply-templates/", {"kind": "ack_imported", "lang": "en", "text": "x"}),
    ],
)
def test_admin_pages_send_visitors_to_log_in_and_refuse_staff(
    app: Flask, make_user, method, path, data
) -> None:
    def call(client):
        return client.get(path) if method == "GET" else post(client, path, data)

    anonymous = call(app.test_client())
    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]
    for role in (Role.CUSTOMER, Role.STAFF):
        client = app.test_client()
        login(client, make_user(role))
        assert call(client).status_code == 403, role
    admin = app.test_client()
    login(admin, make_user(Role.ADMIN))
    assert call(admin).status_code in (200, 302)


def test_templates_show_admin_links_to_admins_only(app: Flask, make_user) -> None:
    staff, admin = app.test_client(), app.test_client()
    login(staff, make_user(Role.STAFF))
    login(admin, make_user(Role.ADMIN))
    workflow = 'href="/staff/workflow"'
    assert workflow not in staff.get("/staff/").get_data(as_text=True)
    assert workflow in admin.get("/staff/").get_data(as_text=True)
    add_hook = 'action="/staff/webhooks"'
    assert add_hook not in staff.get("/staff/webhooks").get_data(as_text=True)
    assert add_hook in admin.get("/staff/webhooks").get_data(as_text=True)
