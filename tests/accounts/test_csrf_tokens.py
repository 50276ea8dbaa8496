"""Issue 13 row 14: CSRF tokens rotate at sign-in, expire, and an expired form keeps its text."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from ideaboard.extensions import db
from tests.accounts.helpers import (
    cheap_password,
    page_text,
)
from tests.helpers import PASSWORD, csrf_token, login

# --- row 14: CSRF tokens rotate at login and expire -----------------------------------------------


def test_a_csrf_token_from_before_login_is_refused_after_login(client, make_user):
    user = cheap_password(make_user())
    before = csrf_token(client)
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": before}
    )
    assert response.status_code == 302
    after = csrf_token(client)
    assert after != before
    stale = client.post("/me/locale", data={"locale": "ko", "csrf_token": before})
    assert stale.status_code == 400
    fresh = client.post("/me/locale", data={"locale": "ko", "csrf_token": after})
    assert fresh.status_code == 302


def test_a_csrf_token_is_dropped_at_logout(client, make_user):
    login(client, cheap_password(make_user()))
    token = csrf_token(client)
    client.post("/logout", data={"csrf_token": token})
    response = client.post("/register", data={"email": "x@example.com", "csrf_token": token})
    assert response.status_code == 400


SAME_SITE = {"Origin": "http://localhost"}  # what a browser sends with a form on our page


def _expire_tokens(monkeypatch, seconds: int) -> None:
    """Move itsdangerous's clock (which Flask-WTF's token timestamps use) forward."""
    from itsdangerous.timed import TimestampSigner

    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) + seconds)


def test_csrf_tokens_expire_after_eight_hours(client, make_user, monkeypatch):
    assert client.application.config["WTF_CSRF_TIME_LIMIT"] == 8 * 3600
    login(client, cheap_password(make_user()))
    token = csrf_token(client)
    _expire_tokens(monkeypatch, 8 * 3600 + 60)
    response = client.post(
        "/me/locale", data={"locale": "ko", "csrf_token": token}, headers=SAME_SITE
    )
    assert response.status_code == 400
    assert "This form expired" in html.unescape(page_text(response))


def test_an_expired_form_keeps_the_text_and_sends_it_again(client, make_user, monkeypatch):
    login(client, cheap_password(make_user()))
    token = csrf_token(client)
    _expire_tokens(monkeypatch, 9 * 3600)
    text = "Dark mode <b>please</b>\nfor the night shift & more"
    response = client.post(
        "/ideas/new?from=test",
        data={"title": "A dark mode for the app", "body": text, "csrf_token": token},
        headers=SAME_SITE,
    )
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    page = page_text(response)
    assert "This form expired — your text is kept" in html.unescape(page)
    assert 'action="/ideas/new?from=test"' in page
    assert "<b>please</b>" not in page  # escaped, never markup
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    assert html.unescape(fields["body"]) == text
    assert html.unescape(fields["title"]) == "A dark mode for the app"
    assert fields["csrf_token"] != token
    again = client.post(
        "/ideas/new?from=test", data={k: html.unescape(v) for k, v in fields.items()}
    )
    assert again.status_code == 302
    from ideaboard.ideas.models import Idea

    assert db.session.scalar(select(Idea.body)) == text


def test_an_expired_form_never_keeps_passwords(client, make_user):
    user = cheap_password(make_user())
    response = client.post(
        "/login",
        data={"email": user.email, "password": "my secret words", "csrf_token": "stale-token"},
        headers={"Referer": "http://localhost/login"},
    )
    assert response.status_code == 400
    page = page_text(response)
    assert "my secret words" not in page
    assert "stale-token" not in page
    assert 'name="email"' in page
    assert 'name="password"' not in page


def test_json_callers_still_get_the_json_csrf_error(client, make_user):
    login(client, cheap_password(make_user()))
    response = client.post(
        "/api/v1/ideas", json={"title": "A dark mode"}, headers={"X-CSRFToken": "stale"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"
    response = client.post(
        "/me/locale", data={"locale": "ko"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"


@pytest.mark.parametrize(
    "headers", [{"Origin": "https://evil.example"}, {"Origin": "null"}, {}], ids=str
)
def test_a_form_from_another_site_gets_no_resend_button(client, make_user, headers):
    """A forged cross-site post must not become one click away from going through."""
    login(client, cheap_password(make_user()))
    response = client.post("/me/sessions/revoke-others", data={"title": "spam"}, headers=headers)
    assert response.status_code == 400
    page = html.unescape(page_text(response))
    assert "The form expired or was sent from another site." in page
    assert "Send it again" not in page
    assert 'value="spam"' not in page
