"""Public transparency figures: how many ideas came in, where they stand, how fast we answer.

Read-only functions over the ideas and their status changes. Hidden ideas never count and never
show. Nothing here looks at the request or the signed-in user.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import contains_eager, joinedload

from ..database import utcnow
from ..extensions import db
from ..ideas.attribution import attribution
from ..ideas.models import Idea, Source
from ..triage.models import Stage, StageRole, StatusChange

logger = logging.getLogger(__name__)

RECENT_DAYS = 30
WEEKS = 12
MAX_LIMIT = 200


@dataclass(frozen=True)
class StageCount:
    stage: Stage
    count: int


@dataclass(frozen=True)
class WeekCount:
    """One week (Monday 00:00 UTC to the next Monday): ideas received and ideas first answered."""

    start: date
    received: int
    answered: int


@dataclass(frozen=True)
class BoardStats:
    now: datetime
    total: int  # every visible idea ever received
    last_30_days: int  # visible ideas created in the 30 days before `now`
    by_source: dict[str, int]  # all time; "web" and "x" always present
    by_stage: tuple[StageCount, ...]  # public stages in workflow order, zeros included
    launched: int  # visible ideas whose current stage is Launched
    # Time to first response over the last 30 days' ideas *that have a response*; unanswered
    # ideas are left out of the percentiles and counted in `unanswered_30_days` instead.
    answered_30_days: int
    unanswered_30_days: int
    median_response: timedelta | None
    p90_response: timedelta | None
    weeks: tuple[WeekCount, ...]  # oldest first; the last one is the current, partial week

    @property
    def weeks_received(self) -> int:
        return sum(week.received for week in self.weeks)

    @property
    def weeks_answered(self) -> int:
        return sum(week.answered for week in self.weeks)


@dataclass(frozen=True)
class LaunchedIdea:
    idea: Idea
    launch: StatusChange  # the change that moved it to Launched most recently
    suggested_by: str  # the author's name, or the social author's name or @handle; may be ""


def nearest_rank(values: Sequence[timedelta], percent: int) -> timedelta | None:
    """Return the nearest-rank percentile of values, or None when there are none.

    Nearest rank: sort the n values ascending and take the k-th (1-based), where
    k = ceil(percent / 100 * n), at least 1. The result is always one of the observed values,
    never an interpolation; so the median of an even count is the lower of the two middle ones.
    """
    if not 0 < percent <= 100:
        raise ValueError("percent must be in (0, 100]")
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percent * len(ordered) / 100))
    return ordered[rank - 1]


def week_start(moment: datetime) -> date:
    """Return the Monday (UTC) of the week holding moment."""
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _visible() -> Select[int]:
    return select(func.count(Idea.id)).where(Idea.hidden_at.is_(None))


def _count(query: Select[int]) -> int:
    return int(db.session.scalar(query) or 0)


def _public_stages() -> list[Stage]:
    return list(
        db.session.scalars(select(Stage).where(Stage.is_public).order_by(Stage.position, Stage.id))
    )


def _by_source() -> dict[str, int]:
    rows = db.session.execute(
        select(Idea.source, func.count(Idea.id))
        .where(Idea.hidden_at.is_(None))
        .group_by(Idea.source)
    )
    # The site and X always; a newer network once ideas have come from it.
    counts = {Source.WEB.value: 0, Source.X.value: 0}
    for source, count in rows:
        counts[str(source)] = int(count)
    return counts


def _weekly(now: datetime) -> tuple[WeekCount, ...]:
    first = week_start(now) - timedelta(weeks=WEEKS - 1)
    since = _midnight(first)
    created = db.session.scalars(
        select(Idea.created_at).where(
            Idea.hidden_at.is_(None), Idea.created_at >= since, Idea.created_at <= now
        )
    )
    answered = db.session.scalars(
        select(Idea.first_response_at).where(
            Idea.hidden_at.is_(None),
            Idea.first_response_at >= since,
            Idea.first_response_at <= now,
        )
    )
    # Bucketing in Python keeps the query the same on SQLite and PostgreSQL; twelve weeks of
    # timestamps is a small read.
    received_by_week = Counter(week_start(moment) for moment in created)
    answered_by_week = Counter(week_start(moment) for moment in answered if moment is not None)
    starts = [first + timedelta(weeks=n) for n in range(WEEKS)]
    return tuple(
        WeekCount(start=s, received=received_by_week[s], answered=answered_by_week[s])
        for s in starts
    )


def _response_times(
    pairs: Iterable[tuple[datetime, datetime | None]], now: datetime
) -> list[timedelta]:
    return [
        max(timedelta(0), answered - created)
        for created, answered in pairs
        if answered is not None and answered <= now
    ]


def board_stats(now: datetime | None = None) -> BoardStats:
    """Return the public figures of the board as of now (default: the current time).

    `now` ends the 30-day and 12-week windows; an answer given after it counts as no answer
    yet. Totals and per-stage counts are the ideas' current state.
    """
    now = now or utcnow()
    since = now - timedelta(days=RECENT_DAYS)
    stages = _public_stages()
    per_stage = dict(
        db.session.execute(
            select(Idea.stage_id, func.count(Idea.id))
            .where(Idea.hidden_at.is_(None))
            .group_by(Idea.stage_id)
        ).all()
    )
    recent = db.session.execute(
        select(Idea.created_at, Idea.first_response_at).where(
            Idea.hidden_at.is_(None), Idea.created_at >= since, Idea.created_at <= now
        )
    ).all()
    times = _response_times(recent, now)
    launched = next((s for s in stages if s.has_role(StageRole.LAUNCHED)), None)
    return BoardStats(
        now=now,
        total=_count(_visible()),
        last_30_days=len(recent),
        by_source=_by_source(),
        by_stage=tuple(StageCount(stage=s, count=int(per_stage.get(s.id, 0))) for s in stages),
        launched=int(per_stage.get(launched.id, 0)) if launched else 0,
        answered_30_days=len(times),
        unanswered_30_days=len(recent) - len(times),
        median_response=nearest_rank(times, 50),
        p90_response=nearest_rank(times, 90),
        weeks=_weekly(now),
    )


def suggested_by(idea: Idea) -> str:
    """Return who suggested the idea, as shown (ideas.attribution)."""
    return attribution(idea).name


def _clamp(limit: int) -> int:
    return max(1, min(int(limit), MAX_LIMIT))


def launched_ideas(limit: int = 50) -> list[LaunchedIdea]:
    """Return visible Launched ideas with their launch note, the most recent launch first.

    An idea launched, reopened and launched again shows once, with its latest launch.
    """
    launched_id = db.session.scalar(select(Stage.id).where(Stage.role == StageRole.LAUNCHED.value))
    if launched_id is None:
        return []
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
        .where(StatusChange.to_stage_id == launched_id)
        .subquery()
    )
    query = (
        select(StatusChange)
        .join(ranked, (ranked.c.id == StatusChange.id) & (ranked.c.rank == 1))
        .join(StatusChange.idea)
        .where(Idea.stage_id == launched_id, Idea.hidden_at.is_(None))
        .options(contains_eager(StatusChange.idea), joinedload(StatusChange.by))
        .order_by(StatusChange.created_at.desc(), StatusChange.id.desc())
        .limit(_clamp(limit))
    )
    return [
        LaunchedIdea(idea=change.idea, launch=change, suggested_by=suggested_by(change.idea))
        for change in db.session.scalars(query).unique()
    ]


def recent_status_changes(limit: int = 50, idea: Idea | None = None) -> list[StatusChange]:
    """Return the newest public status changes of visible ideas (of one idea if given)."""
    query = (
        select(StatusChange)
        .join(StatusChange.idea)
        .join(StatusChange.to_stage)
        .where(Stage.is_public, Idea.hidden_at.is_(None))
        .options(
            contains_eager(StatusChange.idea),
            contains_eager(StatusChange.to_stage),
            joinedload(StatusChange.by),
        )
        .order_by(StatusChange.created_at.desc(), StatusChange.id.desc())
        .limit(_clamp(limit))
    )
    if idea is not None:
        query = query.where(StatusChange.idea_id == idea.id)
    return list(db.session.scalars(query).unique())
