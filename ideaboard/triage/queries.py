"""What the staff workspace reads: the inbox and its queues, an idea's activity feed."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, or_, select

from ..accounts.models import Role, User
from ..errors import ValidationFailed
from ..extensions import db
from ..ideas.models import Category, Comment, Idea
from ..ideas.search import match_all, terms_of
from ..inputs import parse_row_id
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

INBOX_LIMIT = 100


@dataclass(frozen=True)
class InboxFilters:
    stage: str = ""  # a slug; "" means every stage (the inbox asks for the initial stage's)
    category: str = ""
    source: str = ""
    team: str = ""
    assignee: str = ""  # "", "me", "none" or a user id
    q: str = ""
    hidden: bool = False
    held: bool = False  # imported ideas waiting for approval


@dataclass(frozen=True)
class InboxRow:
    idea: Idea
    age: timedelta
    overdue: bool


def _by_slug(model: type[Stage] | type[Category] | type[Team], slug: str, field: str) -> int:
    found = db.session.scalar(select(model.id).where(model.slug == slug))
    if found is None:
        messages = {
            "stage": _("There is no stage called %(s)s.", s=slug),
            "category": _("There is no category called %(c)s.", c=slug),
            "team": _("There is no team called %(t)s.", t=slug),
        }
        raise ValidationFailed(messages[field], field)
    return int(found)


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


def inbox(
    filters: InboxFilters, *, viewer: User, now: datetime, target: timedelta
) -> list[InboxRow]:
    """Return the ideas matching the filters, oldest first, marked when past the target."""
    query = select(Idea, overdue(now, target).label("overdue"))
    if filters.stage:
        query = query.where(Idea.stage_id == _by_slug(Stage, filters.stage, "stage"))
    if filters.category:
        query = query.where(Idea.category_id == _by_slug(Category, filters.category, "category"))
    if filters.team:
        query = query.where(Idea.team_id == _by_slug(Team, filters.team, "team"))
    if filters.source:
        query = query.where(Idea.source == filters.source)
    if filters.assignee == "me":
        query = query.where(Idea.assignee_id == viewer.id)
    elif filters.assignee == "none":
        query = query.where(Idea.assignee_id.is_(None))
    elif filters.assignee:
        assignee_id = parse_row_id(filters.assignee)
        if assignee_id is None:
            raise ValidationFailed(_("Unknown assignee."), "assignee")
        query = query.where(Idea.assignee_id == assignee_id)
    query = query.where(Idea.hidden_at.is_not(None) if filters.hidden else Idea.hidden_at.is_(None))
    condition = match_all(terms_of(filters.q))
    if condition is not None:
        query = query.where(condition)
    query = query.order_by(Idea.created_at, Idea.id).limit(INBOX_LIMIT)
    return [
        InboxRow(idea=idea, age=now - idea.created_at, overdue=bool(late))
        for idea, late in db.session.execute(query).unique()
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
