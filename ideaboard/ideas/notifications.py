"""The in-app notification list of a user."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Integer, Select, bindparam, func, select, update

from ..accounts.models import User
from ..database import rows_matched, utcnow
from ..extensions import db
from .models import Notification


@lru_cache(maxsize=1)
def unread_count_query() -> Select[int]:
    """The count unread_count returns, for the bound `user_id` (built once: every signed-in
    page's navigation runs it)."""
    return (
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.user_id == bindparam("user_id", type_=Integer),
            Notification.read_at.is_(None),
        )
    )


def unread_count(user: User) -> int:
    """Return how many notifications the user has not read."""
    return int(db.session.scalar(unread_count_query(), {"user_id": user.id}) or 0)


def recent_notifications(user: User, limit: int = 50) -> list[Notification]:
    """Return the user's notifications, newest first."""
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the user read; return how many changed."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return rows_matched(result)
