"""Builders shared by the sign-in security tests (tests/accounts/test_*)."""

from __future__ import annotations

from werkzeug.security import generate_password_hash

from ideaboard.accounts import sessions
from ideaboard.accounts.models import User, UserSession
from ideaboard.extensions import db
from tests.helpers import PASSWORD, post

CHEAP_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
NEW_PASSWORD = "a fresh long passphrase"
LOCKED = "Too many failed sign-ins for this account."


def page_text(response) -> str:
    return response.get_data(as_text=True)


def cheap_password(user: User) -> User:
    user.password_hash = CHEAP_HASH
    db.session.commit()
    return user


def signed_in(client) -> bool:
    response = client.get("/me")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def cookie(client, name: str) -> str | None:
    cookie = client.get_cookie(name)
    return cookie.value if cookie is not None else None


def log_in(client, user: User, *, remember: bool = False, password: str = PASSWORD, **kwargs):
    data = {"email": user.email, "password": password}
    if remember:
        data["remember"] = "y"
    return post(client, "/login", data, **kwargs)


def log_out(client) -> None:
    response = post(client, "/logout")
    assert response.status_code == 302


def live_rows(user: User) -> list[UserSession]:
    db.session.rollback()  # a fresh snapshot (and fresh objects)
    return list(sessions.live_sessions(user))
