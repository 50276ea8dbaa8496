"""The profile's e-mail choice: each update, a daily digest or none (POST /me/notifications)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ideaboard.accounts import preferences
from ideaboard.accounts.models import EmailChoice, User
from ideaboard.database import utcnow
from ideaboard.errors import ValidationFailed
from ideaboard.extensions import db
from tests.helpers import Clock, UserBuilder, login, post

UNVERIFIED = "Your address is not verified yet: you get no notification e-mails until it is."


def checked(page: str) -> list[str]:
    """The values of the checked e-mail choices on the page."""
    return re.findall(r'<input checked[^>]*name="email_notifications"[^>]*value="(\w+)"', page)


def choice_of(user: User) -> str:
    db.session.expire(user)
    return user.email_notifications


def test_the_profile_shows_the_choice_and_saves_a_new_one(
    app: Flask, client: FlaskClient, make_user: UserBuilder, clock: Clock
) -> None:
    now = clock.set(datetime(2026, 12, 7, 15, 30, tzinfo=UTC))
    user = make_user()
    login(client, user)
    page = client.get("/me").get_data(as_text=True)
    assert 'id="email-notifications"' in page
    assert checked(page) == ["each"]
    assert 'action="/me/notifications"' in page
    assert UNVERIFIED not in page

    response = post(client, "/me/notifications", {"email_notifications": "daily"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/me#email-notifications")
    assert choice_of(user) == EmailChoice.DAILY.value
    assert user.digest_sent_at == now  # the digest covers what happens from now on
    page = client.get("/me").get_data(as_text=True)
    assert "Your e-mail setting is saved." in page
    assert checked(page) == ["daily"]

    assert post(client, "/me/notifications", {"email_notifications": "none"}).status_code == 302
    assert choice_of(user) == EmailChoice.NONE.value


@pytest.mark.parametrize("value", ["weekly", "", "each\x00", "EACH", "d" * 5000])
def test_a_choice_not_offered_is_a_form_error(
    app: Flask, client: FlaskClient, make_user: UserBuilder, value: str
) -> None:
    user = make_user(locale="ko")
    login(client, user)
    response = post(client, "/me/notifications", {"email_notifications": value})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    match = re.search(r'<p class="error" id="email_notifications-error">(.*?)</p>', page, re.S)
    assert match, "no error next to the choice"
    assert html.unescape(match.group(1)) in (
        "목록에 있는 항목 중에서 골라 주세요.",
        "email_notifications 항목에 사용할 수 없는 문자가 있습니다.",
        "팔로우한 아이디어 소식 메일 항목에 사용할 수 없는 문자가 있습니다.",
    )
    assert choice_of(user) == EmailChoice.EACH.value


def test_no_csrf_token_no_change_and_anonymous_is_sent_to_login(
    app: Flask, client: FlaskClient, make_user: UserBuilder
) -> None:
    anonymous = post(client, "/me/notifications", {"email_notifications": "none"})
    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]
    user = make_user()
    login(client, user)
    response = client.post("/me/notifications", data={"email_notifications": "none"})
    assert response.status_code == 400  # the site-wide CSRF check
    assert choice_of(user) == EmailChoice.EACH.value


def test_the_profile_says_when_no_email_can_be_sent(
    app: Flask, client: FlaskClient, make_user: UserBuilder
) -> None:
    unverified = make_user(verified=False)
    login(client, unverified)
    page = client.get("/me").get_data(as_text=True)
    assert 'id="email-status"' in page
    assert UNVERIFIED in page

    bounced = make_user(email="gone@example.com", locale="ko")
    bounced.email_undeliverable_at = utcnow()
    bounced.email_undeliverable_reason = "550 5.1.1 no such user"
    db.session.commit()
    other = app.test_client()
    login(other, bounced)
    page = other.get("/me").get_data(as_text=True)
    assert "gone@example.com 주소로 메일을 전달할 수 없어" in page
    # The address card shows the receiving server's answer: it is the owner's own address,
    # and "mailbox full" or "no such user" tells them what to fix.
    assert "<code>550 5.1.1 no such user</code>" in page


def test_the_service_refuses_unknown_choices_and_starts_the_digest_once(
    app: Flask, make_user: UserBuilder, clock: Clock
) -> None:
    user = make_user()
    with pytest.raises(ValidationFailed):
        preferences.set_email_notifications(user, "weekly")
    first = clock.set(datetime(2026, 12, 7, 15, 30, tzinfo=UTC))
    preferences.set_email_notifications(user, "daily")
    assert user.digest_sent_at == first
    clock.advance(hours=3)
    preferences.set_email_notifications(user, "daily")  # unchanged: the digest keeps its start
    assert user.digest_sent_at == first
    preferences.set_email_notifications(user, "each")
    assert (user.email_notifications, user.digest_sent_at) == ("each", first)
