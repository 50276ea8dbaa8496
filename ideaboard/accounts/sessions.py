"""Server-side sign-ins: one user_sessions row per login, named by the session/remember cookies.

Flask-Login keeps `User.get_id()` in the (signed, not secret from its owner) session cookie and
in the remember cookie. Here that id is "<row id>.<secret>": the row holds only a SHA-256 hash
of the secret, so a cookie is good exactly as long as its row is live. Logging out, "sign out"
on the profile and a password change revoke rows; a replayed cookie then loads nobody.

Loading the user is one query (user joined to the live row). The row's last_seen_at is
written at most every few minutes, in its own short transaction, so page views do not write.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache

from flask import current_app, request
from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.exc import SQLAlchemyError

from ..database import UTCDateTime, rows_matched, table_of, utcnow, write_intent
from ..extensions import db
from .models import User, UserSession

logger = logging.getLogger(__name__)

# last_seen_at is rewritten when older than this (and only on GET/HEAD requests).
TOUCH_EVERY = timedelta(minutes=5)
USER_AGENT_MAX = 200
_SECRET_BYTES = 32
_SECRET_MAX = 100  # a longer secret in a cookie is not one of ours


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _lifetime(remember: bool) -> timedelta:
    config = current_app.config
    if remember:
        return timedelta(days=float(config["IDEABOARD_REMEMBER_DAYS"]))
    return timedelta(hours=float(config["IDEABOARD_SESSION_IDLE_HOURS"]))


def _client() -> tuple[str, str]:
    agent = (request.user_agent.string or "")[:USER_AGENT_MAX]
    agent = "".join(ch for ch in agent if ch.isprintable())
    return agent, (request.remote_addr or "")[:45]


def start(user: User, *, remember: bool) -> UserSession:
    """Create a sign-in for user on this request's device; the user's get_id() now names it."""
    now = utcnow()
    # Forget this user's ended sign-ins, so the table holds only live ones (plus a few stale).
    db.session.execute(
        table_of(UserSession)
        .delete()
        .where(
            UserSession.user_id == user.id,
            (UserSession.revoked_at.is_not(None)) | (UserSession.expires_at <= now),
        )
    )
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    agent, ip = _client()
    row = UserSession(
        user_id=user.id,
        token_hash=hash_secret(secret),
        created_at=now,
        last_seen_at=now,
        user_agent=agent,
        ip=ip,
        remember=remember,
        expires_at=now + _lifetime(remember),
    )
    db.session.add(row)
    db.session.flush()
    user.__dict__["login_key"] = f"{row.id}.{secret}"
    user.__dict__["login_session"] = row
    return row


def current(user: User) -> UserSession | None:
    """Return the sign-in the user object was loaded through (None for API-token callers)."""
    row = user.__dict__.get("login_session")
    return row if isinstance(row, UserSession) else None


def _parse(key: str) -> tuple[int, str] | None:
    row_id, sep, secret = (key or "").partition(".")
    if not sep or not row_id.isascii() or not row_id.isdigit() or len(row_id) > 10:
        return None
    if not secret or len(secret) > _SECRET_MAX:
        return None
    number = int(row_id)
    return (number, secret) if 0 < number < 2**31 else None


@cache
def _live_sign_in() -> Select[User, UserSession]:
    """The loader's query, built once: every signed-in request runs it, and building the
    statement cost more than running it (its SQL is compiled once either way)."""
    return (
        select(User, UserSession)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.id == bindparam("row_id"),
            UserSession.token_hash == bindparam("token_hash"),
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > bindparam("now", type_=UTCDateTime),
            User.active.is_(True),
        )
    )


def load(key: str) -> User | None:
    """Flask-Login's user loader: the active user whose live sign-in this key names."""
    parsed = _parse(key)
    if parsed is None:
        return None
    row_id, secret = parsed
    now = utcnow()
    found = db.session.execute(
        _live_sign_in(), {"row_id": row_id, "token_hash": hash_secret(secret), "now": now}
    ).first()
    if found is None:
        return None
    user, row = found
    user.__dict__["login_key"] = key
    user.__dict__["login_session"] = row
    if now - row.last_seen_at >= TOUCH_EVERY and request.method in ("GET", "HEAD"):
        _touch(row, now)
    return user


def _touch(row: UserSession, now: datetime) -> None:
    """Record that the sign-in was used, in its own short transaction; never fail the page."""
    values: dict[str, object] = {"last_seen_at": now}
    if not row.remember:  # a browser-session sign-in lives while it is used
        values["expires_at"] = now + _lifetime(False)
    try:
        with write_intent(), db.engine.begin() as connection:
            connection.execute(update(UserSession).where(UserSession.id == row.id).values(**values))
    except SQLAlchemyError:
        logger.warning("could not record the use of sign-in %s", row.id, exc_info=True)


def live_sessions(user: User) -> Sequence[UserSession]:
    """The user's live sign-ins, most recently used first."""
    return db.session.scalars(
        select(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > utcnow(),
        )
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ).all()


def revoke(user: User, session_id: int) -> bool:
    """End one of the user's sign-ins; False if it is not theirs or already ended."""
    result = db.session.execute(
        update(UserSession)
        .where(
            UserSession.id == session_id,
            UserSession.user_id == user.id,
            UserSession.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    db.session.flush()
    return bool(rows_matched(result))


def revoke_all(user: User, *, keep: UserSession | None = None) -> int:
    """End all of the user's sign-ins except keep (if given); return how many ended."""
    statement = update(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
    )
    if keep is not None:
        statement = statement.where(UserSession.id != keep.id)
    result = db.session.execute(statement.values(revoked_at=utcnow()))
    db.session.flush()
    return rows_matched(result)


def describe_agent(agent: str) -> str:
    """A short "Browser · System" from a User-Agent string for the device list ("" if unknown)."""
    browser = next(
        (
            name
            for token, name in (
                ("Edg/", "Edge"),
                ("OPR/", "Opera"),
                ("SamsungBrowser", "Samsung Internet"),
                ("Whale/", "Whale"),
                ("Firefox/", "Firefox"),
                ("Chrome/", "Chrome"),
                ("Chromium/", "Chromium"),
                ("Safari/", "Safari"),
                ("curl/", "curl"),
            )
            if token in agent
        ),
        "",
    )
    system = next(
        (
            name
            for token, name in (
                ("Android", "Android"),
                ("iPhone", "iOS"),
                ("iPad", "iPadOS"),
                ("Windows", "Windows"),
                ("Mac OS X", "macOS"),
                ("CrOS", "ChromeOS"),
                ("Linux", "Linux"),
            )
            if token in agent
        ),
        "",
    )
    if browser and system:
        return f"{browser} · {system}"
    return browser or system  # "": the page says "Unknown device"
