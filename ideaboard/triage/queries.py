"""What the staff workspace reads: the inbox and its queues, an idea's activity feed."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import joinedload

from ..accounts.models import Role, User
from ..database import utcnow
from ..errors import ValidationFailed
from ..extensions import db
from ..ideas.models import Category, Comment, Idea, Source
from ..ideas.search import match_all, terms_of
from ..inputs import parse_row_id
from ..paging import Page, paginate
from .models import (
    IdeaEdit,
    IdeaNote,
    SavedReply,
    Stage,
    StageRole,
    StatusChange,
    Team,
    TeamMember,
)

INBOX_PAGE = 50  # ideas a page of the inbox shows (ideaboard/paging.py bounds the number)
Q_MAX = 200  # characters of the search text
SLUG_MAX = 60  # characters kept of a slug-like parameter (longer ones name nothing anyway)

# The inbox's sort orders: a bounded choice, "oldest" first by default (the waiting queue).
SORTS = ("oldest", "newest", "votes", "activity")
DEFAULT_SORT = "oldest"
# The query parameters a filter (and a saved filter) is made of, in their canonical order.
FILTER_KEYS = (
    "stage", "category", "source", "team", "assignee", "q", "hidden", "held", "overdue", "sort",
)  # fmt: skip
SOURCES = tuple(source.value for source in Source)


@dataclass(frozen=True)
class InboxFilters:
    stage: str = ""  # a slug; "" means every stage (the inbox asks for the initial stage's)
    category: str = ""
    source: str = ""
    team: str = ""  # "", "mine" (the viewer's teams) or a team's slug
    assignee: str = ""  # "", "me", "none" or a user id
    q: str = ""
    hidden: bool = False
    held: bool = False  # imported ideas waiting for approval
    overdue: bool = False  # no first answer and past the response target
    sort: str = DEFAULT_SORT

    def as_args(self, waiting: str) -> dict[str, str]:
        """The query parameters that give these filters back (parse_filters), in order.

        The stage is left out when it is the waiting queue's (the inbox's default) and kept,
        even empty ("every stage"), otherwise; other values only when they are not the default.
        """
        args: dict[str, str] = {}
        if self.stage != waiting:
            args["stage"] = self.stage
        for key in ("category", "source", "team", "assignee", "q"):
            value = getattr(self, key)
            if value:
                args[key] = value
        for key in ("hidden", "held", "overdue"):
            if getattr(self, key):
                args[key] = "1"
        if self.sort != DEFAULT_SORT:
            args["sort"] = self.sort
        return args

    def query_string(self, waiting: str) -> str:
        """The normalised query string of these filters ("" for the default inbox)."""
        return urlencode(self.as_args(waiting))


def parse_filters(args: Mapping[str, str], waiting: str) -> InboxFilters:
    """Read the filters from query parameters (bounded; checked when the inbox runs them)."""

    def text(key: str, limit: int = SLUG_MAX) -> str:
        return str(args.get(key, "") or "")[:limit]

    return InboxFilters(
        stage=str(args.get("stage", waiting))[:SLUG_MAX],
        category=text("category"),
        source=text("source"),
        team=text("team"),
        assignee=text("assignee"),
        q=text("q", Q_MAX),
        hidden=args.get("hidden") == "1",
        held=args.get("held") == "1",
        overdue=args.get("overdue") == "1",
        sort=text("sort") or DEFAULT_SORT,
    )


@dataclass(frozen=True)
class InboxRow:
    idea: Idea
    age: timedelta
    overdue: bool


@dataclass(frozen=True)
class Queue:
    """A link above the inbox: a fixed filter and how many ideas it holds now."""

    key: str  # "waiting", "mine", "my-teams", "unassigned", "overdue", "held", "hidden", "team"
    filters: InboxFilters
    count: int
    team: Team | None = None


def _slug_ids() -> dict[str, dict[str, int]]:
    """Every stage's, category's and team's id by slug (three small tables, three queries)."""
    found: dict[str, dict[str, int]] = {}
    for field, model in (("stage", Stage), ("category", Category), ("team", Team)):
        rows = db.session.execute(select(model.slug, model.id))
        found[field] = {slug: int(row_id) for slug, row_id in rows}
    return found


def _by_slug(ids: dict[str, dict[str, int]], field: str, slug: str) -> int:
    found = ids[field].get(slug)
    if found is None:
        messages = {
            "stage": _("There is no stage called %(s)s.", s=slug),
            "category": _("There is no category called %(c)s.", c=slug),
            "team": _("There is no team called %(t)s.", t=slug),
        }
        raise ValidationFailed(messages[field], field)
    return found


def response_target() -> timedelta:
    """How long an idea may wait for its first answer (IDEABOARD_RESPONSE_TARGET_HOURS)."""
    return timedelta(hours=float(current_app.config["IDEABOARD_RESPONSE_TARGET_HOURS"]))


def overdue(now: datetime, target: timedelta) -> ColumnElement[bool]:
    """The one rule of "overdue": no first answer yet, and waiting longer than the target.

    The inbox marks its rows with it; the staff e-mail of overdue ideas selects with it.
    """
    return and_(Idea.first_response_at.is_(None), Idea.created_at < now - target)


def overdue_by_team(now: datetime, target: timedelta) -> dict[int | None, list[int]]:
    """Return the ids of the visible overdue ideas per team (None: no team), oldest first."""
    query = (
        select(Idea.id, Idea.team_id)
        .where(overdue(now, target), Idea.hidden_at.is_(None))
        .order_by(Idea.created_at, Idea.id)
    )
    found: dict[int | None, list[int]] = {}
    for idea_id, team_id in db.session.execute(query):
        found.setdefault(team_id, []).append(idea_id)
    return found


def _conditions(
    filters: InboxFilters,
    *,
    viewer: User,
    now: datetime,
    target: timedelta,
    ids: dict[str, dict[str, int]],
) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the filters, or ValidationFailed naming the bad parameter."""
    where: list[ColumnElement[bool]] = []
    if filters.sort not in SORTS:
        raise ValidationFailed(
            _(
                "There is no sort order called %(s)s. Choose one of: %(all)s.",
                s=filters.sort,
                all=", ".join(SORTS),
            ),
            "sort",
        )
    if filters.stage:
        where.append(Idea.stage_id == _by_slug(ids, "stage", filters.stage))
    if filters.category:
        where.append(Idea.category_id == _by_slug(ids, "category", filters.category))
    if filters.team == "mine":
        mine = select(TeamMember.team_id).where(TeamMember.user_id == viewer.id)
        where.append(Idea.team_id.in_(mine))
    elif filters.team:
        where.append(Idea.team_id == _by_slug(ids, "team", filters.team))
    if filters.source:
        if filters.source not in SOURCES:
            message = _("There is no source called %(s)s.", s=filters.source)
            raise ValidationFailed(message, "source")
        where.append(Idea.source == filters.source)
    if filters.assignee == "me":
        where.append(Idea.assignee_id == viewer.id)
    elif filters.assignee == "none":
        where.append(Idea.assignee_id.is_(None))
    elif filters.assignee:
        assignee_id = parse_row_id(filters.assignee)
        if assignee_id is None:
            raise ValidationFailed(_("Unknown assignee."), "assignee")
        where.append(Idea.assignee_id == assignee_id)
    where.append(Idea.hidden_at.is_not(None) if filters.hidden else Idea.hidden_at.is_(None))
    if filters.held:
        where.append(Idea.held.is_(True))
    if filters.overdue:
        where.append(overdue(now, target))
    condition = match_all(terms_of(filters.q))
    if condition is not None:
        where.append(condition)
    return where


def filter_conditions(
    filters: InboxFilters, *, viewer: User, now: datetime
) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the inbox's filters (the staff CSV export selects with them),
    or ValidationFailed naming the bad parameter."""
    return _conditions(filters, viewer=viewer, now=now, target=response_target(), ids=_slug_ids())


def _order(sort: str) -> list[Any]:
    if sort == "newest":
        return [Idea.created_at.desc(), Idea.id.desc()]
    if sort == "votes":
        return [Idea.score.desc(), Idea.created_at, Idea.id]
    if sort == "activity":
        return [Idea.last_activity_at.desc(), Idea.id.desc()]
    return [Idea.created_at, Idea.id]


def check_filters(filters: InboxFilters, *, viewer: User) -> None:
    """Raise ValidationFailed if the filters name a stage, team, sort… that does not exist."""
    _conditions(filters, viewer=viewer, now=utcnow(), target=timedelta(), ids=_slug_ids())


def inbox(
    filters: InboxFilters, *, viewer: User, now: datetime, target: timedelta, page: int = 1
) -> Page[InboxRow]:
    """Return one page of the ideas matching the filters, in the filters' sort order,
    each marked when past the first-answer target."""
    where = _conditions(filters, viewer=viewer, now=now, target=target, ids=_slug_ids())
    query = (
        select(Idea, overdue(now, target).label("overdue"))
        .where(*where)
        .options(joinedload(Idea.team), joinedload(Idea.assignee))
        .order_by(*_order(filters.sort))
    )
    count = select(func.count(Idea.id)).where(*where)  # without the eager-loading joins
    found = paginate(query, page, INBOX_PAGE, count=count)
    rows = [
        InboxRow(idea=idea, age=now - idea.created_at, overdue=bool(late))
        for idea, late in found.items
    ]
    return Page(rows, found.number, found.pages, found.total, found.size, found.param)


def queues(
    *, viewer: User, now: datetime, target: timedelta, waiting: str, teams: list[Team]
) -> list[Queue]:
    """The inbox's queues with how many ideas each holds, counted in one query.

    Each queue is a filter, counted by the same conditions the inbox lists it with, so a
    queue's number and its list cannot disagree.
    """
    wanted: list[tuple[str, InboxFilters, Team | None]] = [
        ("waiting", InboxFilters(stage=waiting), None),
        ("unassigned", InboxFilters(stage=waiting, assignee="none"), None),
        ("overdue", InboxFilters(overdue=True), None),
        ("mine", InboxFilters(assignee="me"), None),
        ("my-teams", InboxFilters(team="mine"), None),
    ]
    wanted += [("team", InboxFilters(team=team.slug), team) for team in teams]
    wanted += [
        ("held", InboxFilters(hidden=True, held=True), None),
        ("hidden", InboxFilters(hidden=True), None),
    ]
    ids = _slug_ids()
    counts = [
        func.count(case((and_(*_conditions(f, viewer=viewer, now=now, target=target, ids=ids)), 1)))
        for _key, f, _team in wanted
    ]
    numbers = db.session.execute(select(*counts).select_from(Idea)).one()
    return [
        Queue(key, f, int(n or 0), team) for (key, f, team), n in zip(wanted, numbers, strict=True)
    ]


def staff_members() -> list[User]:
    """Return staff and admins by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.role.in_([Role.STAFF.value, Role.ADMIN.value]), User.active)
            .order_by(User.name)
        )
    )


def teams() -> list[Team]:
    """Return the teams in display order."""
    return list(db.session.scalars(select(Team).order_by(Team.position, Team.id)))


def team_members() -> dict[int, list[User]]:
    """Return each team's members by name ({team id: [users]}; teams without any left out)."""
    query = (
        select(TeamMember.team_id, User)
        .join(User, User.id == TeamMember.user_id)
        .order_by(User.name, User.id)
    )
    members: dict[int, list[User]] = {}
    for team_id, user in db.session.execute(query):
        members.setdefault(team_id, []).append(user)
    return members


def teams_of(user: User) -> list[Team]:
    """Return the teams user is on, in display order."""
    return list(
        db.session.scalars(
            select(Team)
            .join(TeamMember, TeamMember.team_id == Team.id)
            .where(TeamMember.user_id == user.id)
            .order_by(Team.position, Team.id)
        )
    )


class FeedKind(enum.StrEnum):
    STAGE = "stage"  # a stage change with its public note
    ANSWER = "answer"  # an official answer (a comment by staff)
    NOTE = "note"  # an internal note: staff only
    EDIT = "edit"  # title, category, routing, hide/restore, merged into another idea
    MERGED_IN = "merged_in"  # another idea was merged into this one


@dataclass(frozen=True)
class FeedEntry:
    """One line of the staff activity feed."""

    kind: FeedKind
    created_at: datetime
    by: User | None
    item: StatusChange | Comment | IdeaNote | IdeaEdit


FEED_LIMIT = 500  # the newest entries shown; older ones are summarised by count


def activity(idea: Idea, limit: int = FEED_LIMIT) -> tuple[list[FeedEntry], int]:
    """Return the idea's staff activity feed, newest first, and how many older entries were
    left out: stage changes, official answers, internal notes, edits, routing, hide/restore,
    merges (this idea into another, and others into this one)."""
    entries: list[FeedEntry] = []
    changes = select(StatusChange).where(StatusChange.idea_id == idea.id)
    for change in db.session.scalars(changes):
        entries.append(FeedEntry(FeedKind.STAGE, change.created_at, change.by, change))
    # An answer its author deleted is an empty placeholder: nothing for the feed to show.
    answers = select(Comment).where(
        Comment.idea_id == idea.id, Comment.is_official, Comment.deleted_at.is_(None)
    )
    for comment in db.session.scalars(answers).unique():
        entries.append(FeedEntry(FeedKind.ANSWER, comment.created_at, comment.author, comment))
    for note in db.session.scalars(select(IdeaNote).where(IdeaNote.idea_id == idea.id)):
        entries.append(FeedEntry(FeedKind.NOTE, note.created_at, note.author, note))
    for edit in db.session.scalars(select(IdeaEdit).where(IdeaEdit.idea_id == idea.id)):
        entries.append(FeedEntry(FeedKind.EDIT, edit.created_at, edit.by, edit))
    merged_in = select(IdeaEdit).where(
        IdeaEdit.field == "merged_into", IdeaEdit.new_value == str(idea.id)
    )
    for edit in db.session.scalars(merged_in):
        entries.append(FeedEntry(FeedKind.MERGED_IN, edit.created_at, edit.by, edit))
    order = list(FeedKind)
    entries.sort(key=lambda e: (e.created_at, order.index(e.kind), e.item.id), reverse=True)
    return entries[:limit], max(0, len(entries) - limit)


def saved_replies(first_lang: str | None = None) -> list[SavedReply]:
    """Return the saved replies by title, those in first_lang (the idea's language) first."""
    replies = list(db.session.scalars(select(SavedReply).order_by(SavedReply.title, SavedReply.id)))
    return sorted(replies, key=lambda r: r.lang != first_lang)


def group_saved_replies(
    replies: list[SavedReply], first_lang: str | None
) -> list[tuple[str, list[SavedReply]]]:
    """The saved replies (by title) grouped by language, first_lang's group first: what the
    saved-reply picker lists (the staff idea page, each reply box of the listening inbox)."""
    groups: dict[str, list[SavedReply]] = {}
    for reply in sorted(replies, key=lambda r: r.lang != first_lang):
        groups.setdefault(reply.lang, []).append(reply)
    return list(groups.items())


MERGE_CANDIDATES = 10


def merge_candidates(idea: Idea, q: str, limit: int = MERGE_CANDIDATES) -> list[Idea]:
    """Ideas this one could be merged into whose title or text has every word of q (or whose
    number is q): never the idea itself, hidden, held, merged or duplicate ideas; most
    votes first."""
    query = (
        select(Idea)
        .join(Stage, Stage.id == Idea.stage_id)
        .where(
            Idea.id != idea.id,
            Idea.hidden_at.is_(None),
            Idea.held.is_(False),
            Idea.merged_into_id.is_(None),
            or_(Stage.role.is_(None), Stage.role != StageRole.DUPLICATE.value),
        )
    )
    number = parse_row_id(q.strip().lstrip("#"))
    condition = match_all(terms_of(q))
    if number is not None:
        condition = Idea.id == number if condition is None else or_(Idea.id == number, condition)
    if condition is None:
        return []
    query = query.where(condition).order_by(Idea.score.desc(), Idea.id.desc()).limit(limit)
    return list(db.session.scalars(query).unique())
