"""Changing the account's address: confirmed by a link to the new address, told to the old
one (with a link that puts it back), never telling which addresses have accounts."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from werkzeug.security import check_password_hash

from ideaboard.accounts import throttle, tokens
from ideaboard.accounts.models import SignInFailures
from ideaboard.database import utcnow
from ideaboard.extensions import db
from tests.helpers import PASSWORD, UserBuilder, login, post
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


def ask_change(client, email: str, password: str = PASSWORD):
    return post(client, "/me/email", {"email": email, "password": password})


def flashed(client, response) -> str:
    assert response.status_code == 302, text(response)
    return text(client.get(response.headers["Location"]))


def test_change_end_to_end_new_address_confirms_old_address_is_told(
    app: Flask, smtp_server: SmtpServer, make_user: UserBuilder
) -> None:
    user = make_user(email="old@example.com", name="Ann")
    user.email_undeliverable_at = utcnow()
    user.email_undeliverable_reason = "recipient refused: 550 mailbox full for ever"
    db.session.commit()
    client = app.test_client()
    login(client, user)

    response = ask_change(client, "New.Address@Example.org")
    assert response.headers["Location"] == "/me#email"
    page = flashed(client, response)
    assert "We sent a link to new.address@example.org" in page
    assert "until then you keep signing in with old@example.com" in page
    assert fresh_user(user.id).email == "old@example.com"  # nothing changes yet

    assert deliver().sent == 1
    (confirm,) = smtp_server.wait_for(1)
    assert confirm.rcpt_tos == ["new.address@example.org"]
    assert confirm.message["Subject"] == "Confirm your new e-mail address for IdeaBoard"
    assert confirm.message["List-Unsubscribe"] is None
    path = link(confirm, "/email/confirm/")

    # Opening the link (or a mail scanner fetching it) only shows a button.
    shown = client.get(path)
    assert shown.status_code == 200
    assert shown.headers["Referrer-Policy"] == "no-referrer"
    assert "Use new.address@example.org for the account of Ann?" in text(shown)
    assert fresh_user(user.id).email == "old@example.com"

    done = post(client, path)
    assert done.status_code == 200
    assert "new.address@example.org is your account's address" in text(done)
    changed = fresh_user(user.id)
    assert changed.email == "new.address@example.org"
    assert changed.email_verified_at is not None
    assert changed.email_undeliverable_at is None
    assert changed.email_undeliverable_reason is None
    assert post(client, path).status_code == 410  # used

    assert deliver().sent == 1
    notice = smtp_server.wait_for(2)[1]
    assert notice.rcpt_tos == ["old@example.com"]
    assert notice.message["Subject"] == "The e-mail address of your IdeaBoard account was changed"
    body = notice.body("plain")
    assert "n***@example.org" in body
    assert "new.address" not in body
    assert link(notice, "/email/undo/").startswith("/email/undo/")

    # Signing in goes by the new address now.
    other = app.test_client()
    assert (
        post(other, "/login", {"email": "old@example.com", "password": PASSWORD}).status_code == 422
    )
    login(other, changed)
    assert signed_in(other)


def test_a_taken_address_gets_the_same_answer_and_its_owner_is_told(
    app: Flask, smtp_server: SmtpServer, make_user: UserBuilder
) -> None:
    user = make_user(email="ann@example.com")
    make_user(email="bob@example.com", name="Bob")
    client = app.test_client()
    login(client, user)
    taken = flashed(client, ask_change(client, "Bob@Example.com"))
    free = flashed(client, ask_change(client, "carol@example.com"))
    assert "We sent a link to bob@example.com" in taken
    assert "We sent a link to carol@example.com" in free
    assert without_csrf(taken).replace("bob@", "X@") == without_csrf(free).replace("carol@", "X@")
    assert [row.target for row in rows_of("address-in-use")] == ["bob@example.com"]
    assert [row.target for row in rows_of("confirm-email-change")] == ["carol@example.com"]
    assert deliver().sent == 2
    to_bob = next(m for m in smtp_server.wait_for(2) if m.rcpt_tos == ["bob@example.com"])
    assert "Someone asked to move another IdeaBoard account to this e-mail address" in (
        to_bob.body("plain")
    )
    assert "/email/confirm/" not in to_bob.body("plain")
    assert fresh_user(user.id).email == "ann@example.com"


def test_a_wrong_password_is_a_form_error_and_counts_as_a_failed_sign_in(
    app: Flask, make_user: UserBuilder
) -> None:
    user = make_user()
    client = app.test_client()
    login(client, user)
    response = ask_change(client, "new@example.com", "not my password")
    assert response.status_code == 422
    assert "The current password is wrong." in text(response)
    assert db.session.scalar(select(SignInFailures.failures)) == 1
    assert email_rows() == []


def test_bad_addresses_are_form_errors_and_write_nothing(
    app: Flask, make_user: UserBuilder
) -> None:
    user = make_user(email="ann@example.com")
    client = app.test_client()
    login(client, user)
    for address, message in (
        ("not-an-address", "not a valid e-mail address"),
        ("new@example.com\r\nBcc: eve@example.com", "not allowed"),
        ("x" * 300 + "@example.com", "254"),
        ("ANN@example.com", "This is already your address."),
        ("", "This field is required."),
    ):
        response = ask_change(client, address)
        assert response.status_code == 422, address
        assert message in text(response), address
    assert email_rows() == []
    assert db.session.scalar(select(SignInFailures.failures)) is None


def test_the_undo_link_puts_the_address_back_and_locks_out_whoever_changed_it(
    app: Flask, smtp_server: SmtpServer, make_user: UserBuilder
) -> None:
    user = make_user(email="victim@example.com", name="Victim")
    intruder = app.test_client()
    login(intruder, user)
    ask_change(intruder, "intruder@example.net")
    deliver()
    post(intruder, link(smtp_server.wait_for(1)[0], "/email/confirm/"))
    deliver()
    notice = smtp_server.wait_for(2)[1]
    assert notice.rcpt_tos == ["victim@example.com"]
    undo = link(notice, "/email/undo/")

    victim = app.test_client()
    shown = victim.get(undo)
    assert shown.status_code == 200
    assert shown.headers["Referrer-Policy"] == "no-referrer"
    assert "Make victim@example.com the address of the account of Victim again?" in text(shown)
    assert fresh_user(user.id).email == "intruder@example.net"  # a GET changes nothing

    response = post(victim, undo)
    assert response.status_code == 302
    reset = response.headers["Location"]
    assert reset.startswith("/password/reset/")
    restored = fresh_user(user.id)
    assert restored.email == "victim@example.com"
    assert restored.email_verified_at is not None
    assert not check_password_hash(restored.password_hash, PASSWORD)  # the known one is dead
    page = victim.get(reset)
    assert "is your account's address again" in text(page)
    assert not signed_in(intruder)
    assert post(victim, undo).status_code == 410  # once

    assert post(victim, reset, {"password": NEW, "confirm": NEW}).status_code == 302
    login(victim, restored, NEW)
    # Nothing was sent to the intruder's address about the undo.
    deliver()
    assert [m.rcpt_tos for m in smtp_server.messages()][2:] == [["victim@example.com"]]


def test_a_pending_change_dies_with_a_password_reset_or_another_change(
    app: Flask, make_user: UserBuilder
) -> None:
    user = make_user(email="ann@example.com")
    client = app.test_client()
    first = f"/email/confirm/{tokens.change_token(user, 'one@example.com')}"
    second = f"/email/confirm/{tokens.change_token(user, 'two@example.com')}"
    assert client.get(first).status_code == 200
    assert post(client, second).status_code == 200  # ann is two@ now
    assert client.get(first).status_code == 410
    third = f"/email/confirm/{tokens.change_token(fresh_user(user.id), 'three@example.com')}"
    user = db.session.get(type(user), user.id)
    user.password_hash = "scrypt:reset-since"
    db.session.commit()
    assert client.get(third).status_code == 410
    assert fresh_user(user.id).email == "two@example.com"


def test_a_confirmation_for_an_address_taken_since_is_refused_clearly(
    app: Flask, make_user: UserBuilder
) -> None:
    user = make_user(email="ann@example.com")
    path = f"/email/confirm/{tokens.change_token(user, 'late@example.com')}"
    make_user(email="late@example.com")
    client = app.test_client()
    response = post(client, path)
    assert response.status_code == 409
    assert "Another account uses this address now" in text(response)
    assert fresh_user(user.id).email == "ann@example.com"


def test_the_confirm_button_needs_its_csrf_token(app: Flask, make_user: UserBuilder) -> None:
    user = make_user(email="ann@example.com")
    path = f"/email/confirm/{tokens.change_token(user, 'new@example.com')}"
    assert app.test_client().post(path).status_code == 400
    assert fresh_user(user.id).email == "ann@example.com"


def test_a_locked_account_cannot_change_its_address(app: Flask, make_user: UserBuilder) -> None:
    user = make_user()
    client = app.test_client()
    login(client, user)
    for _ in range(app.config["IDEABOARD_SIGNIN_MAX_FAILURES"]):
        throttle.record_failure(user.email)
    db.session.commit()
    response = ask_change(client, "new@example.com")
    assert response.status_code == 429
    assert 'id="password-error"' in text(response)
    assert "Too many failed sign-ins for this account." in text(response)
    assert email_rows() == []
