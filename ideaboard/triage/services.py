"""Triage rules: stage changes, merge, hide/restore, assignment, edits. Flush, never commit.

The admin's workflow rules (stages, allowed transitions, teams) live in .workflow.

A stage change is the public answer to an idea: it records the change, notifies the
followers and publishes StageChanged, whose subscribers write the outbox rows that echo it
to the original social posts and the webhooks, all in the caller's one transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, insert, select, update

from ..accounts.models import User
from ..database import utcnow
from ..errors import Conflict, PermissionDenied, ValidationFailed
from ..events import IdeaHidden, IdeaRestored, IdeasMerged, StageChanged, publish
from ..extensions import db
from ..i18n import display_name, localized_name
from ..ideas.models import Follow, Idea, NotificationKind, Vote
from ..ideas.permissions import can_triage
from ..ideas.ranking import hot_rank
from ..ideas.services import clean_title, find_category, notify_followers, record_activity
from ..text import check_length, clean_text, render_markdown
from ..urls import idea_path
from .models import (
    IdeaEdit,
    IdeaNote,
    SavedReply,
    Stage,
    StageRole,
    StageTransition,
    StatusChange,
    Team,
    stage_with_role,
)

NOTE_MAX = 5_000
BULK_MAX = 200
REPLY_TITLE_MAX = 120
REPLY_LANGUAGES = ("ko", "en")


def _require_staff(user: User) -> None:
    if not can_triage(user):
        raise PermissionDenied(_("Only staff can do this."))


def find_stage(slug: str) -> Stage:
    """Return the stage with this slug, or raise ValidationFailed."""
    stage = db.session.scalar(select(Stage).where(Stage.slug == slug))
    if stage is None:
        raise ValidationFailed(_("There is no stage called %(s)s.", s=slug), field="stage")
    return stage


def allowed_next_stages(idea: Idea) -> list[Stage]:
    """Return the stages the workflow lets this idea move to, in workflow order."""
    return list(
        db.session.scalars(
            select(Stage)
            .join(StageTransition, StageTransition.to_stage_id == Stage.id)
            .where(StageTransition.from_stage_id == idea.stage_id)
            .order_by(Stage.position, Stage.id)
        )
    )


def is_transition_allowed(from_stage_id: int, to_stage_id: int) -> bool:
    """Tell whether the workflow allows moving between the two stages."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    StageTransition.from_stage_id == from_stage_id,
                    StageTransition.to_stage_id == to_stage_id,
                )
            )
        )
    )


def clean_note(note: str) -> str:
    """Return the official note as stored, or raise ValidationFailed."""
    note = clean_text(note, field="note", label=_("Note"), multiline=True)
    check_length(note, field="note", label=_("Note"), minimum=1, maximum=NOTE_MAX, stored_max=None)
    return note


def _record_first_response(idea: Idea, when: datetime) -> None:
    if idea.first_response_at is None:
        idea.first_response_at = when


def change_stage(
    idea: Idea,
    stage: Stage,
    note: str,
    by: User,
    *,
    at: datetime | None = None,
    batch_key: str | None = None,
    check_workflow: bool = True,
) -> StatusChange:
    """Move the idea to stage with a public note; record, notify and enqueue the echo."""
    _require_staff(by)
    note = clean_note(note)
    if stage.id == idea.stage_id:
        raise ValidationFailed(
            _("The idea is already in the stage %(s)s.", s=display_name(stage)), field="stage"
        )
    if check_workflow and not is_transition_allowed(idea.stage_id, stage.id):
        raise Conflict(
            _(
                "An idea cannot move from %(a)s to %(b)s.",
                a=display_name(idea.stage),
                b=display_name(stage),
            ),
            field="stage",
        )
    when = at or utcnow()
    entered = idea.stage_entered_at or idea.created_at
    change = StatusChange(
        idea_id=idea.id,
        from_stage_id=idea.stage_id,
        to_stage_id=stage.id,
        note=note,
        note_html=render_markdown(note),
        by_id=by.id,
        created_at=when,
        seconds_in_from_stage=max(0, int((when - entered).total_seconds())),
        batch_key=batch_key,
    )
    db.session.add(change)
    idea.stage = stage
    idea.stage_entered_at = when
    idea.updated_at = when
    record_activity(idea, when)
    if stage.is_public:
        _record_first_response(idea, when)
    db.session.flush()
    change.to_stage = stage
    if not stage.is_public:
        return change  # an internal stage: no notification, reply, announcement or webhook
    notify_followers(idea, NotificationKind.STAGE_CHANGED, by, status_change_id=change.id)
    merged = tuple(db.session.scalars(select(Idea).where(Idea.merged_into_id == idea.id)).unique())
    publish(StageChanged(idea, change, by, merged))
    db.session.flush()
    return change


def bulk_change_stage(
    ideas: list[Idea], stage: Stage, note: str, by: User
) -> tuple[list[StatusChange], list[tuple[Idea, str]]]:
    """Move several ideas to one stage with one note; return the changes and the refusals.

    Ideas the workflow does not let move are reported back, not changed; the others are.
    """
    _require_staff(by)
    note = clean_note(note)
    if not ideas:
        raise ValidationFailed(_("Select at least one idea."), field="ideas")
    if len(ideas) > BULK_MAX:
        raise ValidationFailed(_("Select at most %(n)d ideas.", n=BULK_MAX), field="ideas")
    batch = str(uuid.uuid4())
    changes: list[StatusChange] = []
    refused: list[tuple[Idea, str]] = []
    for idea in ideas:
        if idea.stage_id == stage.id or not is_transition_allowed(idea.stage_id, stage.id):
            refused.append(
                (
                    idea,
                    _(
                        "cannot move from %(a)s to %(b)s",
                        a=display_name(idea.stage),
                        b=display_name(stage),
                    ),
                )
            )
            continue
        changes.append(change_stage(idea, stage, note, by, batch_key=batch))
    return changes, refused


def merge_ideas(duplicate: Idea, target: Idea, by: User, note: str = "") -> StatusChange:
    """Merge duplicate into target: votes and followers move, duplicate becomes Duplicate.

    A voter who voted on both keeps their vote on the target; counts are recomputed from the
    rows in the same transaction. The duplicate's author is told through the stage change.
    """
    _require_staff(by)
    if duplicate.id == target.id:
        raise ValidationFailed(_("An idea cannot be merged into itself."), field="target")
    if target.merged_into_id is not None or target.stage.has_role(StageRole.DUPLICATE):
        raise Conflict(_("The target idea is itself a duplicate; merge into its original."))
    if duplicate.merged_into_id is not None:
        raise Conflict(_("This idea has already been merged."))
    duplicate_stage = stage_with_role(StageRole.DUPLICATE)
    if duplicate_stage is None:
        raise Conflict(_("No stage is marked for duplicates, so ideas cannot be merged."))

    # Votes: move those whose voter has no vote on the target; drop the rest.
    on_target = select(Vote.user_id).where(Vote.idea_id == target.id).scalar_subquery()
    db.session.execute(
        update(Vote)
        .where(Vote.idea_id == duplicate.id, Vote.user_id.not_in(on_target))
        .values(idea_id=target.id)
    )
    db.session.execute(delete(Vote).where(Vote.idea_id == duplicate.id))
    _follow_own_idea(duplicate)

    duplicate.merged_into_id = target.id
    message = note.strip() or _(
        "Merged into [%(title)s](%(url)s): follow that idea for updates; your vote moved there.",
        title=target.title,
        url=idea_path(target),
    )
    # The stage change tells the duplicate's followers (its author included) while they still
    # follow it; then their follows move to the target.
    change = change_stage(duplicate, duplicate_stage, message, by, check_workflow=False)
    following = select(Follow.user_id).where(Follow.idea_id == target.id).scalar_subquery()
    db.session.execute(
        update(Follow)
        .where(Follow.idea_id == duplicate.id, Follow.user_id.not_in(following))
        .values(idea_id=target.id)
    )
    _follow_own_idea(duplicate)  # the author keeps following their own idea
    for idea in (target, duplicate):
        _recount(idea)
    _log_edit(duplicate, by, "merged_into", None, target.id)
    publish(IdeasMerged(duplicate, target, change, by))
    db.session.flush()
    return change


def _follow_own_idea(idea: Idea) -> None:
    """Make the idea's author follow it (asked of the database: a merge moves follows in bulk)."""
    if idea.author_id is None:
        return
    mine = (Follow.user_id == idea.author_id, Follow.idea_id == idea.id)
    if not db.session.scalar(select(exists().where(*mine))):
        db.session.execute(insert(Follow).values(user_id=idea.author_id, idea_id=idea.id))


def _recount(idea: Idea) -> None:
    db.session.flush()
    up = (
        db.session.scalar(select(func.count()).where(Vote.idea_id == idea.id, Vote.value == 1)) or 0
    )
    down = (
        db.session.scalar(select(func.count()).where(Vote.idea_id == idea.id, Vote.value == -1))
        or 0
    )
    followers = db.session.scalar(select(func.count()).where(Follow.idea_id == idea.id)) or 0
    idea.up_count, idea.down_count, idea.score = up, down, up - down
    idea.follower_count = followers
    idea.hot = hot_rank(idea.score, idea.created_at)


def _log_edit(idea: Idea, by: User, field: str, old: object, new: object) -> None:
    record_activity(idea)
    db.session.add(
        IdeaEdit(
            idea_id=idea.id,
            by_id=by.id,
            field=field,
            old_value=None if old is None else str(old),
            new_value=None if new is None else str(new),
        )
    )


def hide_idea(idea: Idea, by: User, reason: str) -> None:
    """Hide an idea from public lists (spam, abuse); staff still see it."""
    _require_staff(by)
    reason = clean_text(reason, field="reason", label=_("Reason"))
    check_length(reason, field="reason", label=_("Reason"), minimum=1, maximum=200)
    if idea.hidden_at is not None:
        raise Conflict(_("This idea is hidden already."))
    idea.hidden_at = utcnow()
    idea.hidden_reason = reason
    _log_edit(idea, by, "hidden", None, reason)
    db.session.flush()
    publish(IdeaHidden(idea, by, reason))


def restore_idea(idea: Idea, by: User) -> None:
    """Show a hidden idea again."""
    _require_staff(by)
    if idea.hidden_at is None:
        raise Conflict(_("This idea is not hidden."))
    _log_edit(idea, by, "hidden", idea.hidden_reason, None)
    idea.hidden_at = None
    idea.hidden_reason = None
    db.session.flush()
    publish(IdeaRestored(idea, by))


def assign_idea(idea: Idea, by: User, *, team: Team | None, assignee: User | None) -> None:
    """Route the idea to a team and, optionally, a staff member."""
    _require_staff(by)
    if assignee is not None and not assignee.is_staff:
        raise ValidationFailed(_("Ideas can only be assigned to staff."), field="assignee")
    if (team.id if team else None) != idea.team_id:
        _log_edit(
            idea,
            by,
            "team",
            localized_name(idea.team, "en") if idea.team else None,
            localized_name(team, "en") if team else None,
        )
        idea.team = team
    if (assignee.id if assignee else None) != idea.assignee_id:
        _log_edit(
            idea,
            by,
            "assignee",
            idea.assignee.name if idea.assignee else None,
            assignee.name if assignee else None,
        )
        idea.assignee = assignee
    db.session.flush()


def edit_idea(idea: Idea, by: User, *, title: str, category_slug: str | None) -> None:
    """Change the title and category (staff), keeping the history."""
    _require_staff(by)
    title = clean_title(title)
    category = find_category(category_slug)
    if title != idea.title:
        _log_edit(idea, by, "title", idea.title, title)
        idea.title = title
    if (category.id if category else None) != idea.category_id:
        _log_edit(
            idea, by, "category", idea.category.slug if idea.category else None,
            category.slug if category else None,
        )  # fmt: skip
        idea.category = category
    idea.updated_at = utcnow()
    db.session.flush()


def add_note(idea: Idea, by: User, body: str) -> IdeaNote:
    """Add a staff-only note to the idea. It publishes no event: nothing outside the staff
    activity feed (no page, API, feed, e-mail, notification, webhook or reply) carries it."""
    _require_staff(by)
    body = clean_text(body, field="body", label=_("Internal note"), multiline=True)
    check_length(
        body, field="body", label=_("Internal note"), minimum=1, maximum=NOTE_MAX, stored_max=None
    )
    note = IdeaNote(
        idea_id=idea.id,
        author_id=by.id,
        body=body,
        body_html=render_markdown(body),
        created_at=utcnow(),
    )
    db.session.add(note)
    record_activity(idea, note.created_at)  # the team discussing it is activity to sort by
    db.session.flush()
    return note


def _clean_saved_reply(title: str, body: str, lang: str) -> tuple[str, str, str]:
    title = clean_text(title, field="title", label=_("Title"))
    check_length(title, field="title", label=_("Title"), minimum=1, maximum=REPLY_TITLE_MAX)
    body = clean_text(body, field="body", label=_("Text"), multiline=True)
    check_length(body, field="body", label=_("Text"), minimum=1, maximum=NOTE_MAX, stored_max=None)
    if lang not in REPLY_LANGUAGES:
        raise ValidationFailed(_("Choose Korean or English."), field="lang")
    return title, body, lang


def _check_title_free(title: str, lang: str, reply_id: int | None) -> None:
    query = select(SavedReply.id).where(
        func.lower(SavedReply.title) == title.lower(), SavedReply.lang == lang
    )
    if reply_id is not None:
        query = query.where(SavedReply.id != reply_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise Conflict(_("A saved reply in this language already has this title."), field="title")


def add_saved_reply(by: User, *, title: str, body: str, lang: str) -> SavedReply:
    """Add a saved reply (title unique per language, case aside)."""
    _require_staff(by)
    title, body, lang = _clean_saved_reply(title, body, lang)
    _check_title_free(title, lang, None)
    now = utcnow()
    reply = SavedReply(
        title=title, body=body, lang=lang, updated_by_id=by.id, created_at=now, updated_at=now
    )
    db.session.add(reply)
    db.session.flush()
    return reply


def update_saved_reply(reply: SavedReply, by: User, *, title: str, body: str, lang: str) -> None:
    """Change a saved reply's title, text or language."""
    _require_staff(by)
    title, body, lang = _clean_saved_reply(title, body, lang)
    _check_title_free(title, lang, reply.id)
    reply.title, reply.body, reply.lang = title, body, lang
    reply.updated_by_id = by.id
    reply.updated_at = utcnow()
    db.session.flush()


def delete_saved_reply(reply: SavedReply, by: User) -> None:
    """Delete a saved reply (answers it was inserted into keep their text)."""
    _require_staff(by)
    db.session.delete(reply)
    db.session.flush()


def assign_to_me(ideas: list[Idea], by: User) -> list[Idea]:
    """Assign the ideas to the staff member who asks, keeping their teams; return those that
    changed (ideas already theirs are left as they are)."""
    _require_staff(by)
    if not ideas:
        raise ValidationFailed(_("Select at least one idea."), field="ideas")
    if len(ideas) > BULK_MAX:
        raise ValidationFailed(_("Select at most %(n)d ideas.", n=BULK_MAX), field="ideas")
    changed = [idea for idea in ideas if idea.assignee_id != by.id]
    for idea in changed:
        assign_idea(idea, by, team=idea.team, assignee=by)
    return changed
