"""The staff dashboard's figures: how long ideas sit in each stage, how fast staff answer.

Read-only. Hidden ideas (spam, abuse) never count. Every figure covers a bounded window:

- time in each stage: the status changes of the last WINDOW_DAYS days; each change records how
  long the idea had been in the stage it left (`seconds_in_from_stage`), so a stay counts once
  it has ended, under the stage it was in;
- first response per team and per person: the ideas created in the last WINDOW_DAYS days. The
  first response is the idea's first public answer (an official comment or a move into a
  public stage, `Idea.first_response_at`); the person is who gave it, the team the idea's
  current team. "Within target" is the share of ideas answered within
  IDEABOARD_RESPONSE_TARGET_HOURS among those whose outcome is known: answered, or still
  waiting past the target (an idea waiting less than the target is not late yet);
- ideas per week: the last WEEKS weeks (Monday 00:00 UTC), by source (web, X);
- overdue now: no first answer, waiting longer than the target (triage.queries.overdue), per team;
- first response to mentions in the listening inbox (listening_first_responses): the mentions
  fetched in the last WINDOW_DAYS days that opened in the inbox, from when the customer posted
  to staff's first reply (or the acknowledgement of the idea staff made of it), with the same
  target. A mention closed without an answer (dismissed, or converted without an
  acknowledgement) needed none and does not count.

Counts are grouped in SQL; medians and 90th percentiles are nearest-rank (insights.services)
over the window's durations, read as plain integers and sorted in Python. That read grows with
the number of status changes and ideas in the window: a board taking a thousand ideas a week
reads a few tens of thousands of integers, well under a megabyte. Past that, the same figures
come from `percentile_disc` on PostgreSQL (SQLite has no percentile function, hence Python).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from ..accounts.models import User
from ..extensions import db
from ..ideas.attribution import network_name
from ..ideas.models import Comment, Idea, Source
from ..insights.services import nearest_rank, week_start
from ..social.models import InboxState, MentionLog, SocialAccount
from ..triage.models import Stage, StatusChange, Team
from ..triage.queries import overdue

WINDOW_DAYS = 90
WEEKS = 12


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass(frozen=True)
class Durations:
    """Median, 90th percentile and count of some durations (None when there are none)."""

    count: int
    median: timedelta | None
    p90: timedelta | None

    @classmethod
    def of(cls, values: list[timedelta]) -> Durations:
        return cls(len(values), nearest_rank(values, 50), nearest_rank(values, 90))


@dataclass(frozen=True)
class StageTime:
    stage: Stage
    times: Durations


@dataclass(frozen=True)
class ResponseRow:
    """First responses of one team or one person."""

    label: str  # the person's name; for teams, see `team`
    team: Team | None
    times: Durations
    within_target: int
    decided: int  # answered, or waiting past the target

    @property
    def share_within_target(self) -> float | None:
        return self.within_target / self.decided if self.decided else None


@dataclass(frozen=True)
class WeekRow:
    start: datetime
    web: int
    x: int
    bluesky: int = 0
    mastodon: int = 0

    @property
    def total(self) -> int:
        return self.web + self.x + self.bluesky + self.mastodon


@dataclass(frozen=True)
class OverdueRow:
    team: Team | None
    count: int


@dataclass(frozen=True)
class Dashboard:
    now: datetime
    target: timedelta
    stages: list[StageTime]
    by_team: list[ResponseRow]
    by_person: list[ResponseRow]
    weeks: list[WeekRow]
    overdue: list[OverdueRow]
    listening: ListeningResponses | None = None

    @property
    def overdue_total(self) -> int:
        return sum(row.count for row in self.overdue)


def time_in_stages(now: datetime) -> list[StageTime]:
    """Per stage (workflow order), the stays that ended in the window."""
    since = now - timedelta(days=WINDOW_DAYS)
    rows = db.session.execute(
        select(StatusChange.from_stage_id, StatusChange.seconds_in_from_stage)
        .join(Idea, Idea.id == StatusChange.idea_id)
        .where(
            Idea.hidden_at.is_(None),
            StatusChange.created_at >= since,
            StatusChange.created_at <= now,
            StatusChange.from_stage_id.is_not(None),
            StatusChange.seconds_in_from_stage.is_not(None),
        )
    )
    stays: dict[int, list[timedelta]] = {}
    for stage_id, seconds in rows:
        if stage_id is not None and seconds is not None:
            stays.setdefault(stage_id, []).append(timedelta(seconds=seconds))
    stages = db.session.scalars(select(Stage).order_by(Stage.position, Stage.id))
    return [StageTime(stage=s, times=Durations.of(stays.get(s.id, []))) for s in stages]


@dataclass(frozen=True)
class _Answer:
    team_id: int | None
    waited: timedelta | None  # None: no answer yet
    responder_id: int | None
    created_at: datetime


def _first_responders(idea_ids: list[int], now: datetime) -> dict[int, int | None]:
    """Who gave each idea's first public answer: the earliest official comment or public move."""
    earliest: dict[int, tuple[datetime, int, int | None]] = {}
    chunk = 500  # keeps every IN list well under the databases' parameter limits
    for start in range(0, len(idea_ids), chunk):
        ids = idea_ids[start : start + chunk]
        events: Iterable[tuple[int, datetime, int, int | None]] = [
            *db.session.execute(
                select(
                    StatusChange.idea_id,
                    StatusChange.created_at,
                    StatusChange.id,
                    StatusChange.by_id,
                )
                .join(Stage, Stage.id == StatusChange.to_stage_id)
                .where(StatusChange.idea_id.in_(ids), Stage.is_public)
                .where(StatusChange.created_at <= now)
            ),
            *db.session.execute(
                select(Comment.idea_id, Comment.created_at, Comment.id, Comment.author_id).where(
                    Comment.idea_id.in_(ids), Comment.is_official, Comment.created_at <= now
                )
            ),
        ]
        for idea_id, at, row_id, by in events:
            key = (at, row_id, by)
            if idea_id not in earliest or key[:2] < earliest[idea_id][:2]:
                earliest[idea_id] = key
    return {idea_id: found[2] for idea_id, found in earliest.items()}


def _answers(now: datetime) -> list[_Answer]:
    since = now - timedelta(days=WINDOW_DAYS)
    rows = db.session.execute(
        select(Idea.id, Idea.team_id, Idea.created_at, Idea.first_response_at).where(
            Idea.hidden_at.is_(None), Idea.created_at >= since, Idea.created_at <= now
        )
    ).all()
    answered_ids = [
        int(row.id) for row in rows if row.first_response_at and row.first_response_at <= now
    ]
    responders = _first_responders(answered_ids, now)
    answers = []
    for row in rows:
        answered = row.first_response_at is not None and row.first_response_at <= now
        waited = max(timedelta(0), row.first_response_at - row.created_at) if answered else None
        answers.append(
            _Answer(
                team_id=row.team_id,
                waited=waited,
                responder_id=responders.get(int(row.id)) if answered else None,
                created_at=row.created_at,
            )
        )
    return answers


def _response_row(
    label: str, team: Team | None, answers: list[_Answer], now: datetime, target: timedelta
) -> ResponseRow:
    times = [a.waited for a in answers if a.waited is not None]
    within = sum(1 for t in times if t <= target)
    late_waiting = sum(1 for a in answers if a.waited is None and now - a.created_at > target)
    return ResponseRow(
        label=label,
        team=team,
        times=Durations.of(times),
        within_target=within,
        decided=len(times) + late_waiting,
    )


def first_responses(
    now: datetime, target: timedelta
) -> tuple[list[ResponseRow], list[ResponseRow]]:
    """First-response figures per team (display order, then "no team") and per person (by name)."""
    answers = _answers(now)
    by_team: dict[int | None, list[_Answer]] = {}
    by_person: dict[int, list[_Answer]] = {}
    for answer in answers:
        by_team.setdefault(answer.team_id, []).append(answer)
        if answer.responder_id is not None:
            by_person.setdefault(answer.responder_id, []).append(answer)
    teams = list(db.session.scalars(select(Team).order_by(Team.position, Team.id)))
    team_rows = [
        _response_row(t.name, t, by_team[t.id], now, target) for t in teams if t.id in by_team
    ]
    if None in by_team:
        team_rows.append(_response_row("", None, by_team[None], now, target))
    people = list(db.session.scalars(select(User).where(User.id.in_(list(by_person)))))
    person_rows = sorted(
        (_response_row(p.name, None, by_person[p.id], now, target) for p in people),
        key=lambda row: (row.label.casefold(), row.label),
    )
    return team_rows, person_rows


def ideas_per_week(now: datetime) -> list[WeekRow]:
    """Ideas received per week over the last WEEKS weeks (oldest first), per source."""
    first = week_start(now) - timedelta(weeks=WEEKS - 1)
    since = _midnight(first)
    rows = db.session.execute(
        select(Idea.created_at, Idea.source).where(
            Idea.hidden_at.is_(None), Idea.created_at >= since, Idea.created_at <= now
        )
    )
    counts: Counter[tuple[date, str]] = Counter(
        (week_start(created), str(source)) for created, source in rows
    )
    weeks = []
    for n in range(WEEKS):
        day = first + timedelta(weeks=n)
        weeks.append(
            WeekRow(
                start=_midnight(day),
                web=counts[(day, Source.WEB.value)],
                x=counts[(day, Source.X.value)],
                bluesky=counts[(day, Source.BLUESKY.value)],
                mastodon=counts[(day, Source.MASTODON.value)],
            )
        )
    return weeks


def overdue_now(now: datetime, target: timedelta) -> list[OverdueRow]:
    """Visible ideas past the first-answer target right now, per team (zeros left out)."""
    counted = dict(
        db.session.execute(
            select(Idea.team_id, func.count(Idea.id))
            .where(overdue(now, target), Idea.hidden_at.is_(None))
            .group_by(Idea.team_id)
        ).all()
    )
    teams = db.session.scalars(select(Team).order_by(Team.position, Team.id))
    rows = [OverdueRow(team=t, count=int(counted[t.id])) for t in teams if counted.get(t.id)]
    if counted.get(None):
        rows.append(OverdueRow(team=None, count=int(counted[None])))
    return rows


# --- the listening inbox's first responses ------------------------------------------------------


@dataclass(frozen=True)
class ListeningResponses:
    """First responses to the listening inbox's mentions: all accounts, then each account."""

    total: ResponseRow
    by_account: list[ResponseRow]


# Closed without an answer: nothing was owed (chatter dismissed, an idea made without an
# acknowledgement), so neither an answer time nor a late one.
_NO_ANSWER_NEEDED = (InboxState.DISMISSED.value, InboxState.CONVERTED.value)


def listening_first_responses(now: datetime, target: timedelta) -> ListeningResponses:
    """Median, 90th percentile and share within target of the first answer to mentions that
    opened in the listening inbox in the window, for every account together and per account."""
    since = now - timedelta(days=WINDOW_DAYS)
    rows = db.session.execute(
        select(
            MentionLog.account_id,
            MentionLog.posted_at,
            MentionLog.fetched_at,
            MentionLog.first_response_at,
            MentionLog.inbox_state,
        ).where(
            MentionLog.inbox_state.is_not(None),
            MentionLog.fetched_at >= since,
            MentionLog.fetched_at <= now,
        )
    )
    by_account: dict[int, list[_Answer]] = {}
    for account_id, posted_at, fetched_at, answered_at, state in rows:
        if answered_at is not None and answered_at > now:
            answered_at = None  # answered after the moment the figures are for
        if answered_at is None and state in _NO_ANSWER_NEEDED:
            continue
        # The customer's wait starts when they posted (a clock a few seconds off the network's
        # cannot make it start after the mention was fetched).
        start = min(posted_at, fetched_at) if posted_at is not None else fetched_at
        waited = max(timedelta(0), answered_at - start) if answered_at is not None else None
        by_account.setdefault(int(account_id), []).append(
            _Answer(team_id=None, waited=waited, responder_id=None, created_at=start)
        )
    accounts = db.session.scalars(
        select(SocialAccount)
        .where(SocialAccount.id.in_(list(by_account)))
        .order_by(SocialAccount.id)
    )
    everything = [answer for answers in by_account.values() for answer in answers]
    return ListeningResponses(
        total=_response_row("", None, everything, now, target),
        by_account=[
            _response_row(
                f"@{a.username} ({network_name(a.network)})", None, by_account[a.id], now, target
            )
            for a in accounts
        ],
    )


def dashboard(now: datetime, target: timedelta) -> Dashboard:
    """Every figure of the staff dashboard as of now."""
    by_team, by_person = first_responses(now, target)
    return Dashboard(
        now=now,
        target=target,
        stages=time_in_stages(now),
        by_team=by_team,
        by_person=by_person,
        weeks=ideas_per_week(now),
        overdue=overdue_now(now, target),
        listening=listening_first_responses(now, target),
    )
