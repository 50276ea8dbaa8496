"""Write e-mail outbox rows (in the caller's transaction; flush, never commit).

Every row names its letter (letters.py) and recipient; its dedupe key makes enqueueing
idempotent (one e-mail per key, however often the code path runs) and gives the message a
stable Message-ID, so a resend after a crash is recognisably the same message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import current_app

from ..accounts.models import User
from ..database import utcnow
from ..extensions import db
from ..outbox.models import OutboxKind, OutboxMessage, OutboxState
from . import settings

DEDUPE_MAX = 200


def enabled() -> bool:
    """Whether e-mail goes anywhere (an SMTP server, or the development mailbox)."""
    return settings.mode(current_app.config) != "off"


def language_of(user: User | None) -> str:
    """The language to write to user in: theirs, else the site's default."""
    default = str(current_app.config["IDEABOARD_DEFAULT_LOCALE"])
    return (user.locale if user is not None and user.locale else None) or default


def mail_row(
    *,
    letter: str,
    to: str,
    dedupe_key: str,
    user: User | None = None,
    lang: str | None = None,
    params: Mapping[str, Any] | None = None,
    idea_id: int | None = None,
    status_change_id: int | None = None,
) -> dict[str, Any]:
    """Return the column values of one e-mail row (for enqueue_many)."""
    if len(dedupe_key) > DEDUPE_MAX:
        raise ValueError(f"dedupe key longer than {DEDUPE_MAX}: {dedupe_key[:40]}…")
    now = utcnow()
    return {
        "kind": OutboxKind.EMAIL.value,
        "state": OutboxState.PENDING.value,
        "dedupe_key": dedupe_key,
        "target": to,
        "lang": lang or language_of(user),
        "idea_id": idea_id,
        "status_change_id": status_change_id,
        # The row's text is filled with the subject when it is sent (shown to staff).
        "text": "",
        "payload": {
            "letter": letter,
            "user_id": user.id if user is not None else None,
            "params": dict(params or {}),
        },
        "attempts": 0,
        "max_attempts": 8,
        "next_attempt_at": now,
        "created_at": now,
        "check_first": False,
    }


def enqueue_many(rows: Iterable[dict[str, Any]]) -> int:
    """Insert the rows; a key already queued is left alone. Return how many were new."""
    values = list(rows)
    if not values or not enabled():
        return 0
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    statement = dialect_insert(OutboxMessage).on_conflict_do_nothing(index_elements=["dedupe_key"])
    result = db.session.execute(statement.returning(OutboxMessage.id), values)
    return len(result.all())


def enqueue(
    *,
    letter: str,
    to: str,
    dedupe_key: str,
    user: User | None = None,
    lang: str | None = None,
    params: Mapping[str, Any] | None = None,
    idea_id: int | None = None,
    status_change_id: int | None = None,
) -> bool:
    """Queue one e-mail; return False if e-mail is off or the key was queued before."""
    row = mail_row(
        letter=letter,
        to=to,
        dedupe_key=dedupe_key,
        user=user,
        lang=lang,
        params=params,
        idea_id=idea_id,
        status_change_id=status_change_id,
    )
    return enqueue_many([row]) == 1
