"""Password reset by e-mail, end to end against a real SMTP server: ask, receive, use once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.security import check_password_hash

from ideaboard.accounts import throttle, tokens
from ideaboard.accounts.models import SignInFailures, User
from ideaboard.extensions import db
from ideaboard.outbox.models import OutboxState
from tests.helpers import PASSWORD, Clock, UserBuilder, csrf_token, login, post
from tests.mail.account_helpers import (
    fresh_user,
    link,
    rows_of,
    signed_in,
    text,
    without_csrf,
)
from tests.mail.helpers import SmtpServer, deliver, email_rows

NEW = "a brand new passphrase"
SENT_PAGE = "If an account uses this address, we have sent it a link"


def ask(client, email: str):
    return post(client, "/password/forgot", {"email": email})


def receive_reset_link(client, smtp_server: SmtpServer, email: str, count: int = 1) -> str:
    response = ask(client, email)
    assert (response.status_code, response.headers["Location"]) == (302, "/password/forgot/sent")
    assert deliver().sent == 1
    received = smtp_server.wait_for(count)[count - 1]
    return link(received, "/password/reset/")


def set_password(client, path: str, password: str = NEW, confirm: str | None = None):
    return post(client, path, {"password": password, "confirm": confirm or password})


def test_reset_end_to_end_signs_out_everywhere_and_works_once(
    app: Flask, smtp_server: SmtpServer, make_user: UserBuilder
) -> None:
    user = make_user(email="ann@example.com", name="Ann", verified=False)
    elsewhere = app.test_client()  # a device signed in before the reset
    login(elsewhere, user)
    assert signed_in(elsewhere)
    client = app.test_client()

    login_page = text(client.get("/login"))
    assert 'href="/password/forgot"' in login_page
    assert "Forgot your password?" in login_page
    forgot = client.get("/password/forgot")
    assert forgot.status_code == 200
    assert 'name="csrf_token"' in text(forgot)

    path = receive_reset_link(client, smtp_server, "ANN@Example.com ")
    (received,) = smtp_server.messages()
    message = received.message
    assert received.rcpt_tos == ["ann@example.com"]
    assert message["Subject"] == "Set a new password for IdeaBoard"
    assert message["List-Unsubscribe"] is None  # account mail, not a notification
    assert "60 minutes" in received.body("plain")
    assert text(client.get("/password/forgot/sent")).count(SENT_PAGE) == 1

    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    assert "Choose a new password" in text(page)

    done = set_password(client, path)
    assert (done.status_code, done.headers["Location"]) == (302, "/login")
    assert "Log in with it" in text(client.get("/login"))
    user = fresh_user(user.id)
    assert check_password_hash(user.password_hash, NEW)
    assert user.email_verified_at is not None  # the link proved the address
    assert not signed_in(elsewhere)  # every old sign-in is over

    # The link works once.
    again = client.get(path)
    assert again.status_code == 410
    assert "expired or was used" in text(again)
    assert again.headers["Referrer-Policy"] == "no-referrer"
    assert set_password(client, path, "yet another passphrase").status_code == 410
    assert check_password_hash(fresh_user(user.id).password_hash, NEW)

    # The owner hears that the password changed; the old password is dead, the new one works.
    assert deliver().sent == 1
    notice = smtp_server.wait_for(2)[1]
    assert notice.message["Subject"] == "Your IdeaBoard password was changed"
    assert notice.rcpt_tos == ["ann@example.com"]
    assert post(client, "/login", {"email": user.email, "password": PASSWORD}).status_code == 422
    login(client, user, NEW)
    assert signed_in(client)


def test_using_one_reset_link_kills_every_other(
    app: Flask, smtp_server: SmtpServer, make_user: UserBuilder, clock: Clock
) -> None:
    user = make_user()
    client = app.test_client()
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    first = receive_reset_link(client, smtp_server, user.email)
    clock.advance(minutes=25)  # the next window: a second e-mail goes out
    second = receive_reset_link(client, smtp_server, user.email, count=2)
    assert first != second
    assert client.get(first).status_code == 200
    assert set_password(client, second).status_code == 302
    assert client.get(first).status_code == 410
    assert set_password(client, first, "another passphrase!").status_code == 410
    assert check_password_hash(fresh_user(user.id).password_hash, NEW)


def test_a_changed_password_or_address_kills_the_link(
    app: Flask, smtp_server: SmtpServer, make_user: UserBuilder
) -> None:
    user = make_user()
    client = app.test_client()
    path = receive_reset_link(client, smtp_server, user.email)
    user.email = "moved@example.com"
    db.session.commit()
    assert client.get(path).status_code == 410
    other = tokens.reset_token(user)
    assert client.get(f"/password/reset/{other}").status_code == 200
    user.password_hash = "scrypt:changed-elsewhere"
    db.session.commit()
    assert client.get(f"/password/reset/{other}").status_code == 410


def test_an_expired_link_fails_and_changes_nothing(
    app: Flask, smtp_server: SmtpServer, make_user: UserBuilder, clock: Clock
) -> None:
    user = make_user()
    client = app.test_client()
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    path = receive_reset_link(client, smtp_server, user.email)
    clock.advance(minutes=59)
    assert client.get(path).status_code == 200  # still good just before the hour
    clock.advance(minutes=2)
    expired = client.get(path)
    assert expired.status_code == 410
    page = text(expired)
    assert "expired or was used" in page
    assert 'href="/password/forgot"' in page  # a way to ask again
    assert set_password(client, path).status_code == 410
    assert check_password_hash(fresh_user(user.id).password_hash, PASSWORD)


def test_reset_link_lifetime_follows_the_setting(
    app_factory: Callable[..., Flask], smtp_server: SmtpServer, clock: Clock
) -> None:
    short = app_factory(**smtp_server.config(), IDEABOARD_RESET_LINK_MINUTES=5)
    with short.app_context():
        user = UserBuilder()()
        client = short.test_client()
        clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        path = receive_reset_link(client, smtp_server, user.email)
        assert "5 minutes" in smtp_server.messages()[0].body("plain")
        clock.advance(minutes=6)
        assert client.get(path).status_code == 410


def test_unknown_and_inactive_addresses_get_the_same_answer_and_no_email(
    app: Flask, smtp_server: SmtpServer, make_user: UserBuilder
) -> None:
    known = make_user(email="known@example.com")
    shadow = make_user(email="gone@example.com")
    shadow.active = False
    shadow.password_hash = "!"
    db.session.commit()
    client = app.test_client()
    answers = []
    for address in ("known@example.com", "nobody@example.com", "gone@example.com"):
        response = ask(client, address)
        page = client.get(response.headers["Location"])
        answers.append(
            (response.status_code, response.headers["Location"], without_csrf(text(page)))
        )
    assert answers[0] == answers[1] == answers[2]
    assert SENT_PAGE in answers[0][2]
    assert "nobody@example.com" not in answers[1][2]
    assert [row.target for row in email_rows()] == [known.email]
    assert deliver().sent == 1
    assert [m.rcpt_tos for m in smtp_server.wait_for(1)] == [["known@example.com"]]
    # A link minted for the inactive account anyway never works.
    forged = tokens.reset_token(shadow)
    assert client.get(f"/password/reset/{forged}").status_code == 410


def test_at_most_one_reset_email_per_address_per_window(
    app: Flask, smtp_server: SmtpServer, make_user: UserBuilder, clock: Clock
) -> None:
    user, other = make_user(), make_user()
    client = app.test_client()
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    for _ in range(5):
        assert ask(client, user.email).status_code == 302
    assert ask(client, other.email).status_code == 302  # another address has its own budget
    assert len(rows_of("password-reset")) == 2
    clock.advance(minutes=10)
    ask(client, user.email)
    assert len(rows_of("password-reset")) == 2
    clock.advance(minutes=10)  # the next 20-minute window
    ask(client, user.email)
    assert len(rows_of("password-reset")) == 3
    assert deliver().sent == 3
    assert sorted(m.rcpt_tos[0] for m in smtp_server.wait_for(3)) == sorted(
        [user.email, user.email, other.email]
    )


def test_the_forgot_form_is_rate_limited_per_client(
    app_factory: Callable[..., Flask], smtp_server: SmtpServer
) -> None:
    limited = app_factory(
        **smtp_server.config(),
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        IDEABOARD_LIMIT_RESET="2 per minute",
    )
    with limited.app_context():
        client = limited.test_client()
        token = csrf_token(client)
        statuses = [
            client.post(
                "/password/forgot", data={"email": f"a{n}@example.com", "csrf_token": token}
            ).status_code
            for n in range(3)
        ]
        assert statuses == [302, 302, 429]
        assert client.get("/password/forgot").status_code == 200  # GET is not counted


@pytest.mark.parametrize(
    "address",
    ["not-an-email", "ann@", "a b@example.com", "ann@example.com\r\nBcc: eve@example.com",
     "ann@example.com\nBcc: eve@example.com", "x" * 300 + "@example.com", ""],
    ids=["no-at", "no-domain", "space", "crlf-header", "lf-header", "too-long", "empty"],
)  # fmt: skip
def test_malformed_addresses_get_a_form_error_and_no_row(
    app: Flask, make_user: UserBuilder, address: str
) -> None:
    make_user(email="ann@example.com")
    client = app.test_client()
    response = ask(client, address)
    assert response.status_code == 422
    assert 'class="error"' in text(response)
    assert email_rows() == []


@pytest.mark.parametrize(
    "token",
    ["garbage", "a" * 2000, "eyJ1IjoxfQ.ZZZZ.sig", "%00%0d%0a"],
    ids=["garbage", "huge", "forged", "control"],
)
def test_a_broken_link_is_a_clear_400_page(app: Flask, token: str) -> None:
    client = app.test_client()
    for response in (
        client.get(f"/password/reset/{token}"),
        set_password(client, f"/password/reset/{token}"),
    ):
        assert response.status_code == 400
        assert "This link does not work" in text(response)


def test_a_token_of_another_kind_is_not_a_reset_token(app: Flask, make_user: UserBuilder) -> None:
    user = make_user()
    client = app.test_client()
    verify = tokens.verify_token(user, user.email)
    assert client.get(f"/password/reset/{verify}").status_code == 400


def test_a_refused_new_password_is_a_form_error_and_keeps_the_link(
    app: Flask, smtp_server: SmtpServer, make_user: UserBuilder
) -> None:
    user = make_user()
    client = app.test_client()
    path = receive_reset_link(client, smtp_server, user.email)
    for password, confirm, message in (
        ("password123", None, "most common"),
        ("short", None, "10"),
        (NEW, "something else", "The passwords differ."),
        ("with\x00nul byte", None, "not allowed"),
    ):
        response = set_password(client, path, password, confirm)
        assert response.status_code == 422, password
        assert message in text(response)
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert check_password_hash(fresh_user(user.id).password_hash, PASSWORD)
    assert set_password(client, path).status_code == 302


def test_reset_lifts_a_sign_in_lock(
    app_factory: Callable[..., Flask], smtp_server: SmtpServer
) -> None:
    app = app_factory(**smtp_server.config(), IDEABOARD_SIGNIN_MAX_FAILURES=3)
    with app.app_context():
        user = UserBuilder()()
        for _ in range(3):
            throttle.record_failure(user.email)
        db.session.commit()
        client = app.test_client()
        locked = post(client, "/login", {"email": user.email, "password": PASSWORD})
        assert locked.status_code == 429
        path = receive_reset_link(client, smtp_server, user.email)
        assert set_password(client, path).status_code == 302
        assert db.session.scalars(select(SignInFailures)).all() == []
        login(client, user, NEW)


def test_a_reset_letter_for_a_changed_or_deactivated_account_is_cancelled(
    app: Flask, smtp_server: SmtpServer, make_user: UserBuilder
) -> None:
    moved, gone = make_user(), make_user()
    client = app.test_client()
    ask(client, moved.email)
    ask(client, gone.email)
    moved.email = "elsewhere@example.com"
    gone.active = False
    db.session.commit()
    result = deliver()
    assert (result.sent, result.skipped) == (0, 2)
    reasons = {row.last_error for row in email_rows()}
    assert reasons == {"the account's address has changed since", "the account is not active"}
    assert all(row.state == OutboxState.CANCELLED.value for row in email_rows())
    assert smtp_server.messages() == []


def test_a_reset_for_a_name_with_line_breaks_cannot_inject_headers(
    app: Flask, smtp_server: SmtpServer
) -> None:
    user = User(
        email="eve@example.com",
        name="Eve\r\nBcc: victim@example.com",
        password_hash="x",
        email_verified_at=None,
    )
    db.session.add(user)
    db.session.commit()
    client = app.test_client()
    receive_reset_link(client, smtp_server, user.email)
    (received,) = smtp_server.messages()
    assert received.rcpt_tos == ["eve@example.com"]
    assert received.message["Bcc"] is None
    assert "\n" not in str(received.message["To"])


def test_a_signed_in_browser_is_signed_out_by_the_reset(
    app: Flask, smtp_server: SmtpServer, make_user: UserBuilder
) -> None:
    user = make_user()
    client = app.test_client()
    login(client, user)
    path = receive_reset_link(client, smtp_server, user.email)
    assert set_password(client, path).status_code == 302
    assert not signed_in(client)


def test_reset_works_in_korean(app: Flask, smtp_server: SmtpServer, make_user: UserBuilder) -> None:
    user = make_user(locale="ko")
    client = app.test_client()
    path = receive_reset_link(client, smtp_server, user.email)
    (received,) = smtp_server.messages()
    assert received.message["Subject"] == "IdeaBoard 새 비밀번호 설정"
    assert "60분" in received.body("plain")
    page = client.get(path, headers={"Accept-Language": "ko"})
    assert "새 비밀번호" in text(page)
