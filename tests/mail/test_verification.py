"""Address verification after sign-up, the profile's address card, and sign-up with a taken
address (its owner is told; the page answers the same)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import func, select

from ideaboard.accounts import tokens
from ideaboard.accounts.models import User
from ideaboard.database import utcnow
from ideaboard.extensions import db
from tests.helpers import Clock, UserBuilder, login, post
from tests.mail.account_helpers import fresh_user, later, link, rows_of, text, without_csrf
from tests.mail.helpers import SmtpServer, deliver, email_rows

NEW_PASSWORD = "a long new passphrase"
NEUTRAL = "If this address was not registered yet, your account is ready: sign in."


def register(client, email: str, name: str = "New person"):
    return post(
        client,
        "/register",
        {"email": email, "name": name, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )


def user_by_email(email: str) -> User:
    db.session.rollback()
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


def test_sign_up_sends_a_verification_link_that_works_logged_out(
    app: Flask, smtp_server: SmtpServer
) -> None:
    client = app.test_client()
    response = register(client, "New.Person@Example.com")
    assert (response.status_code, response.headers["Location"]) == (302, "/login")
    user = user_by_email("new.person@example.com")
    assert user.email_verified_at is None
    assert not user.can_receive_notifications  # unverified: no notification e-mail

    assert deliver().sent == 1
    (received,) = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["new.person@example.com"]
    assert received.message["Subject"] == "Confirm your e-mail address for IdeaBoard"
    assert received.message["List-Unsubscribe"] is None
    assert "7 days" in received.body("plain")
    path = link(received, "/verify/")

    opened = client.get(path)  # not signed in
    assert opened.status_code == 200
    assert opened.headers["Referrer-Policy"] == "no-referrer"
    assert "new.person@example.com is verified" in text(opened)
    user = fresh_user(user.id)
    assert user.email_verified_at is not None
    assert user.can_receive_notifications
    first = user.email_verified_at

    again = client.get(path)  # opening it twice is fine
    assert again.status_code == 200
    assert "was verified already" in text(again)
    assert fresh_user(user.id).email_verified_at == first


def test_unverified_accounts_can_post_and_vote_but_get_no_notification_email(
    app: Flask, make_user: UserBuilder, make_idea
) -> None:
    unverified = make_user(verified=False)
    verified = make_user()
    client = app.test_client()
    login(client, unverified)
    posted = post(client, "/ideas/new", {"title": "Unverified people may post", "body": ""})
    assert posted.status_code == 302, text(posted)
    idea = make_idea(verified)
    voted = post(client, f"/ideas/{idea.id}/vote", {"value": "1"})
    assert voted.status_code in (200, 302)
    assert not fresh_user(unverified.id).can_receive_notifications
    assert fresh_user(verified.id).can_receive_notifications


def test_a_stale_or_broken_verification_link_gets_a_clear_page_and_a_way_to_ask_again(
    app: Flask, smtp_server: SmtpServer, make_user: UserBuilder, clock: Clock
) -> None:
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    user = make_user(verified=False)
    path = f"/verify/{tokens.verify_token(user, user.email)}"
    client = app.test_client()

    clock.advance(days=8)
    expired = client.get(path)
    assert expired.status_code == 410
    page = text(expired)
    assert "This verification link has expired" in page
    assert "ask for a new link on your profile" in page
    assert "/login?next=/me" in page

    broken = client.get("/verify/not-a-token")
    assert broken.status_code == 400
    assert "incomplete or damaged" in text(broken)

    login(client, user)
    signed_in_page = text(client.get(path))
    assert 'href="/me#email"' in signed_in_page
    assert fresh_user(user.id).email_verified_at is None


def test_a_verification_link_is_stale_once_the_address_changes(
    app: Flask, make_user: UserBuilder
) -> None:
    user = make_user(verified=False)
    path = f"/verify/{tokens.verify_token(user, user.email)}"
    user.email = "other@example.com"
    db.session.commit()
    assert app.test_client().get(path).status_code == 410
    assert fresh_user(user.id).email_verified_at is None


def test_the_profile_shows_the_address_state_and_sends_the_link_again(
    app: Flask, smtp_server: SmtpServer, make_user: UserBuilder, clock: Clock
) -> None:
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    user = make_user(verified=False)
    client = app.test_client()
    login(client, user)
    page = text(client.get("/me"))
    assert "Not verified" in page
    assert "Send the link again" in page

    for _ in range(3):
        response = post(client, "/me/email/verify")
        assert (response.status_code, response.headers["Location"]) == (302, "/me#email")
    assert "A new link is on its way" in text(client.get("/me"))
    assert len(rows_of("verify-email")) == 1  # one per address every few minutes
    later(client, clock, minutes=11)
    post(client, "/me/email/verify")
    assert len(rows_of("verify-email")) == 2
    assert deliver().sent == 2
    received = smtp_server.wait_for(2)
    # Either link works (both were made for this address).
    assert client.get(link(received[0], "/verify/")).status_code == 200
    assert client.get(link(received[1], "/verify/")).status_code == 200

    page = text(client.get("/me"))
    assert "Verified" in page
    assert "Send the link again" not in page
    response = post(client, "/me/email/verify")
    assert "verified already" in text(client.get(response.headers["Location"]))
    assert len(rows_of("verify-email")) == 2


def test_the_profile_shows_an_undeliverable_address_with_the_reason(
    app: Flask, make_user: UserBuilder
) -> None:
    user = make_user()
    user.email_undeliverable_at = utcnow()
    user.email_undeliverable_reason = "recipient refused: 550 5.1.1 no such user"
    db.session.commit()
    client = app.test_client()
    login(client, user)
    page = text(client.get("/me"))
    assert "Undeliverable" in page
    assert "550 5.1.1 no such user" in page
    assert "Change your address" in page


def test_the_resend_button_needs_a_login_and_a_csrf_token(
    app: Flask, make_user: UserBuilder
) -> None:
    user = make_user(verified=False)
    client = app.test_client()
    anonymous = post(client, "/me/email/verify")
    assert (anonymous.status_code, anonymous.headers["Location"][:6]) == (302, "/login")
    login(client, user)
    assert client.post("/me/email/verify").status_code == 400
    assert email_rows() == []


def test_sign_up_with_a_taken_address_answers_the_same_and_tells_the_owner_once_an_hour(
    app: Flask, smtp_server: SmtpServer, make_user: UserBuilder, clock: Clock
) -> None:
    clock.set(datetime(2026, 3, 2, 9, 5, tzinfo=UTC))
    owner = make_user(email="ann@example.com", name="Ann", locale="en")
    client = app.test_client()

    taken = register(client, "ANN@example.com", "Someone else")
    taken_page = text(client.get(taken.headers["Location"]))
    fresh = register(client, "fresh@example.com", "Fresh")
    fresh_page = text(client.get(fresh.headers["Location"]))
    assert (taken.status_code, taken.headers["Location"]) == (302, "/login")
    assert (fresh.status_code, fresh.headers["Location"]) == (302, "/login")
    assert NEUTRAL in taken_page
    assert NEUTRAL in fresh_page
    assert without_csrf(taken_page) == without_csrf(fresh_page)
    assert db.session.scalar(select(func.count()).select_from(User)) == 2
    assert fresh_user(owner.id).name == "Ann"

    for _ in range(3):  # more tries within the hour: no more e-mail
        register(client, "ann@example.com", "Again")
    clock.advance(minutes=30)
    register(client, "ann@example.com", "Again")
    assert len(rows_of("address-in-use")) == 1
    assert deliver().sent == 2  # the owner's notice, the fresh account's verification
    notice = next(m for m in smtp_server.wait_for(2) if m.rcpt_tos == ["ann@example.com"])
    assert notice.message["Subject"] == "Someone tried to use your e-mail address on IdeaBoard"
    body = notice.body("plain")
    assert "Someone tried to create an IdeaBoard account with this e-mail address" in body
    assert link(notice, "/login") == "/login"
    assert link(notice, "/password/forgot") == "/password/forgot"

    clock.advance(minutes=30)  # the next hour
    register(client, "ann@example.com", "Again")
    assert len(rows_of("address-in-use")) == 2


def test_sign_up_with_the_address_of_an_inactive_account_sends_nothing(
    app: Flask, make_user: UserBuilder
) -> None:
    shadow = make_user(email="gone@example.com", verified=False)
    shadow.active = False
    db.session.commit()
    response = register(app.test_client(), "gone@example.com")
    assert response.status_code == 302
    assert email_rows() == []


@pytest.mark.parametrize(
    ("fields", "field_error"),
    [
        ({"name": "Eve\r\nBcc: victim@example.com"}, "contains characters that are not allowed"),
        ({"name": "Eve\nSubject: hi"}, "contains characters that are not allowed"),
        ({"email": "eve@example.com\r\nBcc: victim@example.com"}, "not allowed"),
        ({"email": "eve@example.com,victim@example.com"}, "not a valid e-mail address"),
        ({"email": "<eve@example.com>"}, "not a valid e-mail address"),
        ({"email": "eve@@example.com"}, "not a valid e-mail address"),
        ({"email": "eve@localhost"}, "not a valid e-mail address"),
    ],
    ids=["crlf-name", "lf-name", "crlf-email", "two-addresses", "angle", "double-at", "no-tld"],
)
def test_header_injection_and_malformed_addresses_on_sign_up_are_form_errors(
    app: Flask, fields: dict[str, str], field_error: str
) -> None:
    data = {"email": "eve@example.com", "name": "Eve", **fields}
    response = register(app.test_client(), data["email"], data["name"])
    assert response.status_code == 422
    assert field_error in text(response)
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    assert email_rows() == []


def test_create_user_and_the_demo_make_verified_accounts_and_send_nothing(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["ideaboard", "create-user", "--email", "kim@example.com", "--password",
              "a staff passphrase", "--role", "staff", "--name", "Kim"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert user_by_email("kim@example.com").email_verified_at is not None

    from ideaboard.demo import load_demo

    load_demo(seed=3)
    db.session.commit()
    unverified = db.session.scalar(
        select(func.count()).select_from(User).where(User.email_verified_at.is_(None))
    )
    assert unverified == 0
    assert rows_of("verify-email") == []
