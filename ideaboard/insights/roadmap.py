"""The public roadmap and changelog: what is planned, what is being built, what launched.

Which column a stage's ideas go in is the admins' choice (`Stage.roadmap_column`, set on the
workflow page): Planned or In progress; stages without one are not on the roadmap. The third
column, Launched, is the stage with the LAUNCHED role. Only public stages count, and hidden,
held or merged ideas never appear.

The changelog lists the launched ideas, the most recent launch first, each with its release
note: the public note of its latest stage change into the launched stage. A signed-in visitor
also sees which of them they voted for, and which launched since their last visit
(`User.changelog_seen_at`, set when they open the unfiltered first page).

Read-only, except `mark_changelog_seen`. The marks are per user:
they are never part of a page the anonymous page cache keeps.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Integer, Select, bindparam, func, select
from sqlalchemy.orm import contains_eager, joinedload

from ..accounts.models import User
from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..ideas.models import Category, Idea, Vote
from ..triage.models import RoadmapColumn, Stage, StageRole, StatusChange

logger = logging.getLogger(__name__)

COLUMN_LIMIT = 30  # cards shown in Planned and In progress (the most up-voted first)
LAUNCHED_LIMIT = 12  # recent launches shown in the Launched column
CHANGELOG_PAGE_SIZE = 20
MAX_PAGE = 500  # 10,000 launches back; further is not a page anyone reads
MAX_SLUG = 40  # Category.slug is String(40)


class BadFilter(DomainError):
    """A filter or page number in the address that names nothing: a 400 with the message."""

    code = "bad_request"
    status = 400


@dataclass(frozen=True)
class Card:
    idea: Idea
    stage: Stage
    since: datetime  # when the idea entered its stage (launched: its latest launch)

    def time_in_stage(self, now: datetime) -> timedelta:
        return max(timedelta(0), now - self.since)


@dataclass(frozen=True)
class Column:
    key: str  # "planned", "in_progress" or "launched"
    cards: tuple[Card, ...]
    total: int  # every idea in the column (cards holds at most the bound)


@dataclass(frozen=True)
class Roadmap:
    columns: tuple[Column, ...]  # Planned, In progress, Launched


@dataclass(frozen=True)
class Launch:
    idea: Idea
    change: StatusChange  # the latest change into the launched stage: the release note


@dataclass(frozen=True)
class ChangelogPage:
    items: tuple[Launch, ...]
    page: int
    has_next: bool


def parse_category(raw: str | None) -> Category | None:
    """Return the category named by the slug raw ("" or None: every category).

    Raises BadFilter (a 400) for a slug no category has.
    """
    if not raw:
        return None
    category = None
    if len(raw) <= MAX_SLUG:
        category = db.session.scalar(select(Category).where(Category.slug == raw))
    if category is None:
        raise BadFilter(_("There is no category called %(c)s.", c=raw[:MAX_SLUG]), field="category")
    return category


def parse_page(raw: str | None) -> int:
    """Return the 1-based page number raw names (default 1), or raise BadFilter."""
    if not raw:
        return 1
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 4 and 1 <= int(raw) <= MAX_PAGE):
        raise BadFilter(_("Give a page number from 1 to %(n)d.", n=MAX_PAGE), field="page")
    return int(raw)


def _listed() -> ColumnElement[bool]:
    """Ideas the public lists may show: not hidden, not held, not merged into another."""
    return Idea.hidden_at.is_(None) & Idea.held.is_(False) & Idea.merged_into_id.is_(None)


def launched_stage() -> Stage | None:
    """The public stage with the LAUNCHED role (None if there is none, or it is internal)."""
    return db.session.scalar(
        select(Stage).where(Stage.role == StageRole.LAUNCHED.value, Stage.is_public)
    )


def column_stages() -> dict[str, list[Stage]]:
    """Return {column key: its stages in workflow order} for Planned and In progress."""
    stages = db.session.scalars(
        select(Stage)
        .where(
            Stage.is_public,
            Stage.roadmap_column.in_([c.value for c in RoadmapColumn]),
            # The launched stage is its own column, whatever was stored on it.
            (Stage.role.is_(None)) | (Stage.role != StageRole.LAUNCHED.value),
        )
        .order_by(Stage.position, Stage.id)
    )
    columns: dict[str, list[Stage]] = {c.value: [] for c in RoadmapColumn}
    for stage in stages:
        columns[str(stage.roadmap_column)].append(stage)
    return columns


def _where(stage_ids: Sequence[int], category: Category | None) -> list[ColumnElement[bool]]:
    """The listed ideas in these stages (and this category, if given)."""
    conditions = [Idea.stage_id.in_(stage_ids), _listed()]
    if category is not None:
        conditions.append(Idea.category_id == category.id)
    return conditions


def _count(stage_ids: Sequence[int], category: Category | None) -> int:
    query = select(func.count(Idea.id)).where(*_where(stage_ids, category))
    return int(db.session.scalar(query) or 0)


def _stage_column(key: str, stages: Sequence[Stage], category: Category | None) -> Column:
    if not stages:
        return Column(key=key, cards=(), total=0)
    ids = [s.id for s in stages]
    ideas = db.session.scalars(
        select(Idea)
        .where(*_where(ids, category))
        .order_by(Idea.up_count.desc(), Idea.id.desc())
        .limit(COLUMN_LIMIT)
    ).unique()
    cards = tuple(
        Card(idea=idea, stage=idea.stage, since=idea.stage_entered_at or idea.created_at)
        for idea in ideas
    )
    return Column(key=key, cards=cards, total=_count(ids, category))


def _latest_launches(stage: Stage, category: Category | None) -> Select[StatusChange]:
    """Each listed launched idea's latest change into the launched stage, newest first."""
    ranked = (
        select(
            StatusChange.id.label("id"),
            func.row_number()
            .over(
                partition_by=StatusChange.idea_id,
                order_by=(StatusChange.created_at.desc(), StatusChange.id.desc()),
            )
            .label("rank"),
        )
        .where(StatusChange.to_stage_id == stage.id)
        .subquery()
    )
    query = (
        select(StatusChange)
        .join(ranked, (ranked.c.id == StatusChange.id) & (ranked.c.rank == 1))
        .join(StatusChange.idea)
        .where(Idea.stage_id == stage.id, _listed())
        .options(contains_eager(StatusChange.idea), joinedload(StatusChange.by))
        .order_by(StatusChange.created_at.desc(), StatusChange.id.desc())
    )
    if category is not None:
        query = query.where(Idea.category_id == category.id)
    return query


def _launched_column(category: Category | None) -> Column:
    stage = launched_stage()
    if stage is None:
        return Column(key="launched", cards=(), total=0)
    query = _latest_launches(stage, category)
    total = _count([stage.id], category)
    changes = db.session.scalars(query.limit(LAUNCHED_LIMIT)).unique()
    cards = tuple(Card(idea=c.idea, stage=stage, since=c.created_at) for c in changes)
    return Column(key="launched", cards=cards, total=total)


def roadmap(category: Category | None = None) -> Roadmap:
    """Return the three columns of the roadmap, in one category if given."""
    stages = column_stages()
    planned, in_progress = RoadmapColumn.PLANNED.value, RoadmapColumn.IN_PROGRESS.value
    return Roadmap(
        columns=(
            _stage_column(planned, stages[planned], category),
            _stage_column(in_progress, stages[in_progress], category),
            _launched_column(category),
        )
    )


def changelog(
    category: Category | None = None, page: int = 1, size: int = CHANGELOG_PAGE_SIZE
) -> ChangelogPage:
    """Return one page of launches with their release notes, the most recent first."""
    page = max(1, min(page, MAX_PAGE))
    size = max(1, min(size, 100))
    stage = launched_stage()
    if stage is None:
        return ChangelogPage(items=(), page=page, has_next=False)
    query = _latest_launches(stage, category).offset((page - 1) * size).limit(size + 1)
    changes = list(db.session.scalars(query).unique())
    items = tuple(Launch(idea=c.idea, change=c) for c in changes[:size])
    return ChangelogPage(items=items, page=page, has_next=len(changes) > size)


def voted_for(user: User, ideas: Sequence[Idea]) -> set[int]:
    """Return the ids of the ideas among these that the user voted up."""
    if not ideas:
        return set()
    return set(
        db.session.scalars(
            select(Vote.idea_id).where(
                Vote.user_id == user.id,
                Vote.value == 1,
                Vote.idea_id.in_([idea.id for idea in ideas]),
            )
        )
    )


def last_visit(user: User) -> datetime:
    """When the user last opened the changelog; never: when they signed up."""
    return user.changelog_seen_at or user.created_at


def mark_changelog_seen(user: User, now: datetime | None = None) -> None:
    """Remember that the user saw the changelog now (flush, never commit)."""
    user.changelog_seen_at = now or utcnow()
    db.session.flush()


@lru_cache(maxsize=1)
def new_launches_voted_query() -> Select[int]:
    """The count new_launches_voted returns, for the bound `user_id` and `since`: built once,
    so every page's navigation runs it from SQLAlchemy's compiled cache."""
    user_id = bindparam("user_id", type_=Integer)
    since = bindparam("since", type_=StatusChange.__table__.c.created_at.type)
    return (
        select(func.count(func.distinct(Idea.id)))
        .select_from(Idea)
        .join(Stage, Stage.id == Idea.stage_id)
        .join(Vote, (Vote.idea_id == Idea.id) & (Vote.user_id == user_id) & (Vote.value == 1))
        .join(
            StatusChange,
            (StatusChange.idea_id == Idea.id)
            & (StatusChange.to_stage_id == Stage.id)
            & (StatusChange.created_at > since),
        )
        .where(Stage.role == StageRole.LAUNCHED.value, Stage.is_public, _listed())
    )


def new_launches_voted(user: User) -> int:
    """How many listed ideas the user voted up launched since their last changelog visit."""
    count = db.session.scalar(
        new_launches_voted_query(), {"user_id": user.id, "since": last_visit(user)}
    )
    return int(count or 0)
