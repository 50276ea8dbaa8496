"""Saved inbox filters: a staff member names the inbox's current filter and sort.

Rules: the name is 1–60 characters of clean text, unique per person (case as typed); a person
keeps at most PER_USER_MAX of them; the stored query is the filters' normalised query string
(queries.InboxFilters.query_string, bounded by the filters' own bounds), and it is checked
before it is saved and read back through the same parser each time it is used, so a stage or
team removed since shows as a clear message on the inbox. Only their owner sees or deletes
them. Flush, never commit.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..accounts.models import User
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..text import check_length, clean_text
from . import queries
from .models import SavedFilter
from .services import _require_staff

NAME_MAX = 60
PER_USER_MAX = 30
QUERY_MAX = 2_000  # the column; the filters' bounds keep a query well inside it


def saved_filters_of(user: User) -> list[SavedFilter]:
    """The user's saved filters by name (at most PER_USER_MAX exist)."""
    return list(
        db.session.scalars(
            select(SavedFilter)
            .where(SavedFilter.user_id == user.id)
            .order_by(SavedFilter.name, SavedFilter.id)
            .limit(PER_USER_MAX)
        )
    )


def filters_of(saved: SavedFilter, waiting: str) -> queries.InboxFilters:
    """The filters a saved query stands for, read through the inbox's own parser."""
    args = dict(parse_qsl(saved.query[:QUERY_MAX], keep_blank_values=True))
    known = {key: value for key, value in args.items() if key in queries.FILTER_KEYS}
    return queries.parse_filters(known, waiting)


def save_filter(
    user: User, name: str, filters: queries.InboxFilters, *, waiting: str
) -> SavedFilter:
    """Save the filters under name for user; raise ValidationFailed or Conflict."""
    _require_staff(user)
    name = clean_text(name, field="name", label=_("Name"))
    check_length(name, field="name", label=_("Name"), minimum=1, maximum=NAME_MAX)
    queries.check_filters(filters, viewer=user)
    query = filters.query_string(waiting)
    if len(query) > QUERY_MAX:
        raise ValidationFailed(_("This filter is too long to save."), field="name")
    mine = SavedFilter.user_id == user.id
    if db.session.scalar(select(SavedFilter.id).where(mine, SavedFilter.name == name)):
        raise Conflict(_("You already have a saved filter called %(name)s.", name=name), "name")
    if (db.session.scalar(select(func.count()).where(mine)) or 0) >= PER_USER_MAX:
        raise ValidationFailed(
            _("You can keep at most %(n)d saved filters; delete one first.", n=PER_USER_MAX),
            field="name",
        )
    saved = SavedFilter(user_id=user.id, name=name, query=query)
    db.session.add(saved)
    db.session.flush()
    return saved


def delete_filter(user: User, saved_id: int) -> SavedFilter:
    """Delete one of user's saved filters; someone else's is NotFound, like a missing one."""
    saved = db.session.get(SavedFilter, saved_id)
    if saved is None or saved.user_id != user.id:
        raise NotFound(_("There is no such saved filter."))
    db.session.delete(saved)
    db.session.flush()
    return saved
