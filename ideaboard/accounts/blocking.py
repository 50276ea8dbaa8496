"""Blocking: staff stop a customer from posting; they still sign in and read.

The one rule every write path asks (`ensure_may_contribute`): submitting an idea, voting,
commenting and following, on the pages and in the JSON API alike, go through the services in
ideas.services, which call it first, before anything is written. A refusal is `UserBlocked`
(HTTP 403, code `user_blocked`) and its message carries the reason staff gave.

Who may block whom: staff and admins block customers only. Nobody blocks a staff member or an
admin (an admin makes such an account a customer first), and nobody blocks themselves. Blocking
keeps everything the person wrote; unblocking lets them post again.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from ..database import utcnow
from ..errors import Conflict, PermissionDenied
from ..extensions import db
from ..text import check_length, clean_text
from .models import Role, User

REASON_MAX = 300  # the column is String(300): graphemes never exceed code points
SEARCH_MAX = 100
PAGE_SIZE = 25
PAGE_MAX = 400  # 10,000 rows deep at most: a search narrows further than that


class UserBlocked(PermissionDenied):
    """The account is blocked from posting; the message says why."""

    code = "user_blocked"


def refusal_message(user: User) -> str:
    """What a blocked person is told when they try to post."""
    reason = user.blocked_reason or ""
    return str(
        _(
            "Your account is blocked from posting, voting, commenting and following. "
            "Reason: %(reason)s",
            reason=reason,
        )
    )


def ensure_may_contribute(user: User) -> None:
    """Raise UserBlocked when the user may not submit, vote, comment or follow."""
    if user.blocked_at is not None:
        raise UserBlocked(refusal_message(user))


def may_block(by: User, target: User) -> bool:
    """Staff and admins block customers only, never themselves."""
    return by.is_staff and target.id != by.id and target.role == Role.CUSTOMER.value


def clean_reason(raw: str | None) -> str:
    """Return the reason as stored, or raise ValidationFailed."""
    reason = clean_text(raw, field="reason", label=_("Reason"))
    check_length(
        reason,
        field="reason",
        label=_("Reason"),
        minimum=1,
        maximum=REASON_MAX,
        stored_max=REASON_MAX,
    )
    return reason


def block_user(target: User, by: User, reason: str | None) -> None:
    """Block target with a reason; PermissionDenied when by may not, Conflict if blocked."""
    if not may_block(by, target):
        if target.id == by.id:
            raise PermissionDenied(_("You cannot block yourself."))
        raise PermissionDenied(_("Staff and admins cannot be blocked."))
    cleaned = clean_reason(reason)
    if target.blocked_at is not None:
        raise Conflict(_("%(name)s is already blocked.", name=target.name))
    target.blocked_at = utcnow()
    target.blocked_reason = cleaned
    target.blocked_by_id = by.id
    db.session.flush()


def unblock_user(target: User, by: User) -> None:
    """Let target post again; Conflict when they are not blocked."""
    if not by.is_staff:
        raise PermissionDenied(_("Only staff can do this."))
    if target.blocked_at is None:
        raise Conflict(_("%(name)s is not blocked.", name=target.name))
    target.blocked_at = None
    target.blocked_reason = None
    target.blocked_by_id = None
    db.session.flush()


@dataclass(frozen=True)
class PeoplePage:
    people: list[User]
    page: int
    has_next: bool


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_people(q: str = "", *, blocked_only: bool = False, page: int = 1) -> PeoplePage:
    """One page of people who can sign in, by name, matching q in the name or e-mail address.

    Bounded: q is cut to SEARCH_MAX characters, pages hold PAGE_SIZE rows and stop at
    PAGE_MAX; one more row than the page is read to know whether another page follows.
    """
    page = max(1, min(page, PAGE_MAX))
    query = select(User).where(User.active)
    term = q.strip()[:SEARCH_MAX].casefold()
    if term:
        pattern = _like(term)
        query = query.where(
            or_(
                func.lower(User.name).like(pattern, escape="\\"),
                User.email.like(pattern, escape="\\"),
            )
        )
    if blocked_only:
        query = query.where(User.blocked_at.is_not(None))
    rows = list(
        db.session.scalars(
            query.order_by(func.lower(User.name), User.id)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )
    return PeoplePage(people=rows[:PAGE_SIZE], page=page, has_next=len(rows) > PAGE_SIZE)
