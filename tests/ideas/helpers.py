"""Helpers shared by the idea page tests (board, submit, vote, comment, follow)."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.triage.models import Stage
from tests.helpers import PASSWORD, login

JSON = {"Accept": "application/json"}
# One hash round: the login form is exercised for real, without scrypt's 0.1 s per login.
CHEAP_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
# A fixed past moment, so creation times (and so the stored Trending rank) are predictable.
T0 = utcnow().replace(microsecond=0) - timedelta(days=30)


def sign_in(client, user) -> None:
    """Log the client in through the real login form, with a cheap password hash."""
    user.password_hash = CHEAP_HASH
    db.session.commit()
    login(client, user)


def count_rows(model, *criteria) -> int:
    """Return how many rows of model match the criteria."""
    return int(db.session.scalar(select(func.count()).select_from(model).where(*criteria)) or 0)


def page_text(response) -> str:
    return response.get_data(as_text=True)


def stage_by_slug(slug: str) -> Stage:
    stage = db.session.scalar(select(Stage).where(Stage.slug == slug))
    assert stage is not None
    return stage


def field_error(page: str, field: str) -> str:
    """Return the error message a form page shows under a field."""
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    assert match, f"no error shown for {field}"
    return html.unescape(match.group(1))


def redirects_to_login(response) -> bool:
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


def ids_of(ideas) -> list[int]:
    return [idea.id for idea in ideas]
