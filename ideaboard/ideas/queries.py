"""Reading the board: tabs, filters, keyset pages, search and similar ideas."""

from __future__ import annotations

import base64
import binascii
import enum
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Integer, Select, bindparam, literal, select, tuple_
from sqlalchemy.orm import defer, joinedload

from .. import inputs
from ..accounts.models import User
from ..campaigns.models import Campaign
from ..database import utcnow
from ..errors import ValidationFailed
from ..extensions import db
from ..triage.models import Stage
from .models import Category, Follow, Idea, Vote
from .search import match_any, ordered_matches, overlap, terms_of

MAX_PAGE_SIZE = 100
MAX_CURSOR = 200  # a cursor holds two values; anything longer was not made here
# How a New cursor writes the creation time: UTC, always with microseconds (a fixed length).
CURSOR_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


class Sort(enum.StrEnum):
    TRENDING = "trending"
    TOP = "top"
    NEW = "new"


@dataclass(frozen=True)
class IdeaPage:
    items: list[Idea]
    next_cursor: str | None


@dataclass
class CardPage:
    """One page of the board as the values its cards show (see card_values), not as ideas:
    what a board page's shared copy is looked up by (memberpages.py) without loading ideas."""

    values: list[tuple[Any, ...]]
    next_cursor: str | None
    ids: list[int]


def parse_sort(raw: str | None) -> Sort:
    """Return the sort named by raw (default Trending), or raise ValidationFailed."""
    if not raw:
        return Sort.TRENDING
    try:
        return Sort(raw)
    except ValueError:
        raise ValidationFailed(_("Sort by trending, top or new."), field="sort") from None


def _encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: Sort) -> list[Any]:
    error = ValidationFailed(_("This page link is not valid; start from the first page."), "cursor")
    if len(cursor) > MAX_CURSOR:
        raise error
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        # Depth-limited: the cursor is the client's text, and the parser recurses.
        values = inputs.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeError):
        raise error from None
    if not isinstance(values, list) or not values or not _is_db_int(values[-1]):
        raise error
    if sort is Sort.NEW and len(values) == 1:
        # A New cursor made before New sorted by date held only the id: read its date.
        created = db.session.scalar(select(Idea.created_at).where(Idea.id == values[0]))
        if created is None:
            raise error
        return [created, values[0]]
    if len(values) != 2:
        raise error
    if sort is Sort.TRENDING and not (_is_db_int(values[0]) or _is_finite_float(values[0])):
        raise error
    if sort is Sort.TOP and not _is_db_int(values[0]):
        raise error
    if sort is Sort.NEW:
        created = _parse_cursor_time(values[0])
        if created is None:
            raise error
        return [created, values[1]]
    return values


def _parse_cursor_time(value: object) -> datetime | None:
    if not isinstance(value, str) or len(value) != len("2026-01-01T00:00:00.000000Z"):
        return None
    try:
        return datetime.strptime(value, CURSOR_TIME).replace(tzinfo=UTC)
    except ValueError:
        return None


def _is_db_int(value: object) -> bool:
    """A JSON integer that fits an INTEGER column (32-bit on PostgreSQL); others crash there."""
    return type(value) is int and -(2**31) <= value < 2**31


def _is_finite_float(value: object) -> bool:
    return type(value) is float and math.isfinite(value)


def _sort_key(sort: Sort) -> list[Any]:
    if sort is Sort.TRENDING:
        return [Idea.hot, Idea.id]
    if sort is Sort.TOP:
        return [Idea.score, Idea.id]
    # New: by the date the idea was made (an imported post keeps its post's date, so ids and
    # dates disagree), the id breaking ties.
    return [Idea.created_at, Idea.id]


def _cursor_values(sort: Sort, idea: Any) -> list[Any]:
    if sort is Sort.TRENDING:
        return [idea.hot, idea.id]
    if sort is Sort.TOP:
        return [idea.score, idea.id]
    return [idea.created_at.astimezone(UTC).strftime(CURSOR_TIME), idea.id]


def visible_ideas(viewer: User | None) -> Select[Idea]:
    """Return a select of the ideas the viewer may see in lists."""
    query = select(Idea)
    if not (viewer is not None and viewer.is_authenticated and viewer.is_staff):
        query = query.where(Idea.hidden_at.is_(None))
    return query


def list_ideas(
    *,
    sort: Sort = Sort.TRENDING,
    stage: str | None = None,
    category: str | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 20,
    viewer: User | None = None,
    cards: bool = False,
) -> IdeaPage:
    """Return one page of the board, newest-ranked first, and the cursor of the next page.

    cards: load only what an idea card shows (no body; the author's name, not their whole
    row): a board page's ideas are most of its database time."""
    query, key, limit = _board_query(sort, stage, category, cursor, limit, viewer)
    if cards:
        query = query.options(*_card_options())
    terms = terms_of(q)
    if terms:
        # The plan depends on how common the terms are (see search.ordered_matches).
        items = ordered_matches(query, terms, key, limit + 1)
    else:
        query = query.order_by(*(column.desc() for column in key)).limit(limit + 1)
        items = list(db.session.scalars(query).unique())
    next_cursor = None
    if len(items) > limit:
        items = items[:limit]
        next_cursor = _encode_cursor(_cursor_values(sort, items[-1]))
    return IdeaPage(items=items, next_cursor=next_cursor)


def list_cards(
    *,
    sort: Sort = Sort.TRENDING,
    stage: str | None = None,
    category: str | None = None,
    cursor: str | None = None,
    limit: int = 20,
    viewer: User | None = None,
) -> CardPage:
    """The page list_ideas returns without a search, as card_values rows: one plain query,
    no ideas loaded (a search picks its own plan: list_ideas)."""
    query, key, limit = _board_query(sort, stage, category, cursor, limit, viewer)
    query = query.order_by(*(column.desc() for column in key)).limit(limit + 1)
    rows = list(
        db.session.execute(
            query.with_only_columns(*_card_columns(), User.name).outerjoin(
                User, User.id == Idea.author_id
            )
        )
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = _encode_cursor(_cursor_values(sort, rows[-1]))
    return CardPage(values=[tuple(row) for row in rows], next_cursor=next_cursor,
                    ids=[row.id for row in rows])  # fmt: skip


@lru_cache(maxsize=1)
def _card_columns() -> tuple[Any, ...]:
    return tuple(c for c in Idea.__table__.c if c.key not in ("body", "body_html"))


def card_values(idea: Idea) -> tuple[Any, ...]:
    """What a card of the idea shows, as list_cards reads it: its columns but the body, and
    its author's name (equal values for equal cards, whichever way they were read)."""
    loaded = idea.__dict__
    author = loaded.get("author")
    return (
        *(loaded.get(c.key) for c in _card_columns()),
        author.name if author is not None else None,
    )


def _board_query(
    sort: Sort,
    stage: str | None,
    category: str | None,
    cursor: str | None,
    limit: int,
    viewer: User | None,
) -> tuple[Select[Idea], list[Any], int]:
    """The select of a board page's ideas (filters and cursor, no order), its sort key and
    the page size."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query = visible_ideas(viewer)
    if stage:
        stage_query = select(Stage.id).where(Stage.slug == stage)
        if not (viewer is not None and viewer.is_authenticated and viewer.is_staff):
            stage_query = stage_query.where(Stage.is_public)  # internal stages are staff-only
        stage_id = db.session.scalar(stage_query)
        if stage_id is None:
            raise ValidationFailed(_("There is no stage called %(s)s.", s=stage), field="stage")
        query = query.where(Idea.stage_id == stage_id)
    if category:
        category_id = db.session.scalar(select(Category.id).where(Category.slug == category))
        if category_id is None:
            raise ValidationFailed(
                _("There is no category called %(c)s.", c=category), field="category"
            )
        query = query.where(Idea.category_id == category_id)
    key = _sort_key(sort)
    if cursor:
        values = _decode_cursor(cursor, sort)
        # Bound with each column's own type: the date goes through UTCDateTime (naive UTC).
        bound = [literal(value, column.type) for column, value in zip(key, values, strict=True)]
        query = query.where(tuple_(*key) < tuple_(*bound))
    return query, key, limit


@lru_cache(maxsize=1)
def _card_options() -> tuple[Any, ...]:
    return (
        defer(Idea.body),
        defer(Idea.body_html),
        joinedload(Idea.author).load_only(User.id, User.name),
    )


def similar_ideas(title: str, *, limit: int = 5, viewer: User | None = None) -> list[Idea]:
    """Return visible ideas sharing words with title, the closest first."""
    terms = [t for t in terms_of(title) if len(t) >= 2]
    condition = match_any(terms)
    if condition is None:
        return []
    candidates = db.session.scalars(
        visible_ideas(viewer).where(condition).order_by(Idea.hot.desc()).limit(50)
    ).unique()
    scored = [(overlap(terms, idea), idea) for idea in candidates]
    scored = [pair for pair in scored if pair[0] >= 0.34 or len(terms) == 1]
    scored.sort(key=lambda pair: (-pair[0], -pair[1].hot))
    return [idea for _score, idea in scored[:limit]]


def votes_of(user: User, ideas: list[Idea]) -> dict[int, int]:
    """Return {idea id: the user's vote} for the ideas the user voted on."""
    return votes_on(user, [idea.id for idea in ideas])


def votes_on(user: User, idea_ids: list[int]) -> dict[int, int]:
    """Return {idea id: the user's vote} for those of the ideas the user voted on."""
    if not idea_ids or not user.is_authenticated:
        return {}
    rows = db.session.execute(_votes_of_query(), {"user_id": user.id, "ids": idea_ids})
    return {idea_id: value for idea_id, value in rows}


def cards_by_id(idea_ids: list[int], viewer: User | None) -> list[Idea]:
    """The ideas (loaded for their cards) in the order of idea_ids, those the viewer may see."""
    if not idea_ids:
        return []
    query = visible_ideas(viewer).where(Idea.id.in_(idea_ids)).options(*_card_options())
    found = {idea.id: idea for idea in db.session.scalars(query).unique()}
    return [found[idea_id] for idea_id in idea_ids if idea_id in found]


def workflow_rows() -> list[tuple[Any, ...]]:
    """Every stage and category as plain values: part of what a board page shows (names,
    colours, the filters), read cheaply for its shared copy's key."""
    stages, categories = _workflow_rows_queries()
    rows = [tuple(row) for query in (stages, categories) for row in db.session.execute(query)]
    # The campaigns closed by now: their ideas' vote buttons close at the deadline, with no
    # row changing then, so a kept copy of a page must not outlive it (memberpages.py).
    closed = db.session.scalars(select(Campaign.id).where(Campaign.closes_at <= utcnow()))
    rows.append(("closed campaigns", *closed))
    return rows


@lru_cache(maxsize=1)
def _workflow_rows_queries() -> tuple[Any, Any]:
    return (
        select(Stage.__table__).order_by(Stage.id),
        select(Category.__table__).order_by(Category.id),
    )


@lru_cache(maxsize=1)
def _votes_of_query() -> Select[int, int]:
    # Built once: every signed-in board page runs it (SQLAlchemy caches its compiled form).
    return select(Vote.idea_id, Vote.value).where(
        Vote.user_id == bindparam("user_id", type_=Integer),
        Vote.idea_id.in_(bindparam("ids", expanding=True)),
    )


def ideas_by(user: User, limit: int = 50) -> list[Idea]:
    """Return the user's own ideas, newest first (by date, then id)."""
    return list(
        db.session.scalars(
            select(Idea)
            .where(Idea.author_id == user.id)
            .order_by(Idea.created_at.desc(), Idea.id.desc())
            .limit(limit)
        ).unique()
    )


def voted_by(user: User, limit: int = 50) -> list[tuple[Idea, int]]:
    """Return the ideas the user voted on with their vote, most recent vote first."""
    rows = db.session.execute(
        select(Idea, Vote.value)
        .join(Vote, Vote.idea_id == Idea.id)
        .where(Vote.user_id == user.id, Idea.hidden_at.is_(None))
        .order_by(Vote.updated_at.desc(), Vote.id.desc())
        .limit(limit)
    ).unique()
    return [(idea, value) for idea, value in rows]


def followed_by(user: User, limit: int = 50) -> list[Idea]:
    """Return the ideas the user follows, most recently followed first."""
    return list(
        db.session.scalars(
            select(Idea)
            .join(Follow, Follow.idea_id == Idea.id)
            .where(Follow.user_id == user.id, Idea.hidden_at.is_(None))
            .order_by(Follow.created_at.desc())
            .limit(limit)
        ).unique()
    )


def all_stages() -> list[Stage]:
    """Return the public stages in workflow order."""
    return list(db.session.scalars(_all_stages_query()))


@lru_cache(maxsize=1)
def _all_stages_query() -> Select[Stage]:
    return select(Stage).where(Stage.is_public).order_by(Stage.position, Stage.id)


def all_categories() -> list[Category]:
    """Return the categories in display order."""
    return list(db.session.scalars(_all_categories_query()))


@lru_cache(maxsize=1)
def _all_categories_query() -> Select[Category]:
    return select(Category).order_by(Category.position, Category.id)
