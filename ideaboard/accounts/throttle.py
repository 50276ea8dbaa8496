"""Per-account sign-in throttling, shared by every process through the database.

After IDEABOARD_SIGNIN_MAX_FAILURES failed attempts for one address within
IDEABOARD_SIGNIN_WINDOW_SECONDS, every attempt for that address (right password or not) is
refused for IDEABOARD_SIGNIN_LOCK_SECONDS. It counts by address, known or not, so the answer
tells nothing about which addresses have accounts. The per-address limits of flask-limiter
stay in front of it, against one client trying many accounts.
"""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta

from flask import current_app
from flask_babel import ngettext
from sqlalchemy import case, delete, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..database import UTCDateTime, table_of, utcnow
from ..errors import TooManyAttempts
from ..extensions import db
from .models import SignInFailures


def _key(email: str) -> str:
    from .services import normalise_email

    return hashlib.sha256(normalise_email(email).encode("utf-8", "surrogatepass")).hexdigest()


def _seconds(name: str) -> float:
    return float(current_app.config[name])


def check(email: str) -> None:
    """Raise TooManyAttempts while sign-ins for this address are locked."""
    locked_until = db.session.scalar(
        select(SignInFailures.locked_until).where(SignInFailures.key == _key(email))
    )
    now = utcnow()
    if locked_until is not None and locked_until > now:
        seconds = max(1, math.ceil((locked_until - now).total_seconds()))
        minutes = max(1, math.ceil(seconds / 60))
        raise TooManyAttempts(
            ngettext(
                "Too many failed sign-ins for this account. Try again in %(num)d minute.",
                "Too many failed sign-ins for this account. Try again in %(num)d minutes.",
                minutes,
            ),
            field="email",
            retry_after=seconds,
        )


def record_failure(email: str) -> None:
    """Count a failed attempt; lock the address once the window holds too many."""
    key = _key(email)
    now = utcnow()
    window_start = now - timedelta(seconds=_seconds("IDEABOARD_SIGNIN_WINDOW_SECONDS"))
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    table = table_of(SignInFailures)
    stale = table.c.window_started_at <= window_start
    statement = insert(table).values(key=key, failures=1, window_started_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "failures": case((stale, 1), else_=table.c.failures + 1),
            "window_started_at": case(
                (stale, literal(now, UTCDateTime())), else_=table.c.window_started_at
            ),
        },
    )
    db.session.execute(statement)
    db.session.execute(
        update(SignInFailures)
        .where(
            SignInFailures.key == key,
            SignInFailures.failures >= int(current_app.config["IDEABOARD_SIGNIN_MAX_FAILURES"]),
        )
        .values(
            failures=0,
            window_started_at=now,
            locked_until=now + timedelta(seconds=_seconds("IDEABOARD_SIGNIN_LOCK_SECONDS")),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.flush()


def record_success(email: str) -> None:
    """Forget the address's failed attempts after a good sign-in."""
    db.session.execute(
        delete(SignInFailures)
        .where(SignInFailures.key == _key(email))
        .execution_options(synchronize_session=False)
    )
