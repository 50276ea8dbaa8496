"""Helpers of the account e-mail tests: read links out of received e-mails, look at rows."""

from __future__ import annotations

import html
import re
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from flask.testing import FlaskClient

from ideaboard.accounts.models import User
from ideaboard.extensions import db
from tests.helpers import Clock
from tests.mail.helpers import Received, email_rows

_URL = re.compile(r"https?://[^\s<>\"]+")


def links(received: Received, part: str = "/") -> list[str]:
    """The URLs in the plain-text body whose path starts with part, as site paths."""
    found = []
    for url in _URL.findall(received.body("plain")):
        path = urlsplit(url).path
        if path.startswith(part):
            found.append(path)
    return found


def link(received: Received, part: str) -> str:
    """The one link (a site path) to part in the e-mail; it is in the HTML part too."""
    (path,) = set(links(received, part))
    assert path in received.body("html")
    return path


def rows_of(letter: str) -> list[SimpleNamespace]:
    """The e-mail rows of one letter, oldest first, as plain copies.

    The test's session is the requests' session too: a read left open would hold a SQLite
    snapshot that a later request could not write from, so it is ended here.
    """
    db.session.rollback()
    rows = [
        SimpleNamespace(
            target=row.target,
            state=row.state,
            last_error=row.last_error,
            lang=row.lang,
            dedupe_key=row.dedupe_key,
            payload=dict(row.payload or {}),
        )
        for row in email_rows()
        if (row.payload or {}).get("letter") == letter
    ]
    db.session.rollback()
    return rows


def fresh_user(user_id: int) -> User:
    """The account as the database has it now (a detached copy; the read is ended)."""
    db.session.rollback()
    user = db.session.get(User, user_id)
    assert user is not None
    db.session.refresh(user)
    db.session.expunge(user)
    db.session.rollback()
    return user


def text(response: Any) -> str:
    """The page's HTML with character references read back (apostrophes, &amp;)."""
    return html.unescape(str(response.get_data(as_text=True)))


def signed_in(client: FlaskClient) -> bool:
    response = client.get("/me")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def later(client: FlaskClient, clock: Clock, **delta: float) -> None:
    """Move the clock on while client is signed in.

    The first request after a pause writes the sign-in's last-seen time in its own short
    transaction (accounts/sessions.py). Requests here share the test's session, so a read it
    left open would be a stale SQLite snapshot the next POST could not write from; in
    production every request has its own. So: one GET to record the visit, then a fresh start.
    """
    clock.advance(**delta)
    db.session.rollback()
    client.get("/")
    db.session.rollback()


_CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+"')


def without_csrf(page: str) -> str:
    """The page with its CSRF tokens blanked (they carry the time they were made)."""
    return _CSRF_VALUE.sub(r'\1"', page)
