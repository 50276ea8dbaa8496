"""E-mails to the followers of an idea: a stage change, an official answer, a merge.

Followers are the idea's authors, voters, commenters and anyone who pressed Follow
(ideas.models.Follow). A follower is e-mailed when their account can receive notification
e-mails (verified, deliverable address, active) and chose one e-mail per update
(`email_notifications == "each"`); "daily" gets the digest instead (mail/digest.py), "none"
nothing. Whoever made the change is not told about it.

- StageChanged: the followers of the idea and of the ideas merged into it. A move into an
  internal stage publishes no event, so customers never hear of one.
- CommentAdded with official=True: the idea's followers hear the official answer.
- IdeasMerged: the duplicate's followers hear where it went. The merge also publishes a
  StageChanged for the duplicate; that one e-mails nobody, so each person gets one e-mail for
  the action. Both kinds share the dedupe key `email:stage:<change id>:user:<user id>`: one
  e-mail per person per status change, whatever runs twice.

Rows are written in bulk in the change's transaction (one query for the recipients); the
letters are rendered at send time and skip a recipient who turned the e-mails off meanwhile,
an idea hidden since, or a change that no longer exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, select

from ..accounts.models import EmailChoice, User
from ..events import CommentAdded, IdeasMerged, StageChanged, subscribe
from ..extensions import db
from ..i18n import display_name
from ..ideas.models import Comment, Follow, Idea, Notification
from ..ideas.permissions import can_see
from ..triage.models import StageRole, StatusChange
from ..urls import idea_url, public_url_for
from . import enqueue
from .letters import Draft, letter
from .plaintext import markdown_to_text

STAGE_LETTER = "stage_changed"
ANSWER_LETTER = "official_answer"
MERGED_LETTER = "idea_merged"


def wants_email(choice: EmailChoice) -> list[ColumnElement[bool]]:
    """The SQL twin of `user.can_receive_notifications and user.email_notifications == choice`."""
    return [
        User.active.is_(True),
        User.email_verified_at.is_not(None),
        User.email_undeliverable_at.is_(None),
        User.email_notifications == choice.value,
    ]


def refusal(user: User | None, choice: EmailChoice) -> str | None:
    """Why user gets no notification e-mail of this choice now (None: they do)."""
    if user is None:
        return "the recipient has no account"
    if not user.can_receive_notifications:
        return "the recipient cannot receive notification e-mails now"
    if user.email_notifications != choice.value:
        return f"the recipient chose {user.email_notifications!r} e-mails"
    return None


def _each_wanted(recipients: Any, exclude: int | None) -> list[User]:
    """The users in the recipients subquery who want each update, but exclude; one query."""
    query = select(User).where(User.id.in_(recipients), *wants_email(EmailChoice.EACH))
    if exclude is not None:
        query = query.where(User.id != exclude)
    return list(db.session.scalars(query.order_by(User.id)))


def _queue(
    users: Iterable[User],
    *,
    letter_name: str,
    key: str,
    params: Mapping[str, Any],
    idea_id: int,
    status_change_id: int | None = None,
) -> int:
    return enqueue.enqueue_many(
        enqueue.mail_row(
            letter=letter_name,
            to=user.email,
            user=user,
            dedupe_key=f"{key}:user:{user.id}",
            params=params,
            idea_id=idea_id,
            status_change_id=status_change_id,
        )
        for user in users
    )


def is_merge(idea: Idea, change: StatusChange) -> bool:
    """Whether the change is the one a merge made (the idea went to the duplicate stage)."""
    return idea.merged_into_id is not None and change.to_stage.has_role(StageRole.DUPLICATE)


# --- the subscribers --------------------------------------------------------------------------


def on_stage_changed(event: StageChanged) -> None:
    """E-mail the followers of the idea and of the ideas merged into it."""
    idea, change = event.idea, event.change
    if not enqueue.enabled() or not change.to_stage.is_public or idea.hidden_at is not None:
        return
    if is_merge(idea, change):
        return  # on_ideas_merged tells the duplicate's followers: one e-mail for the action
    ideas = [idea.id, *(merged.id for merged in event.merged)]
    following = select(Follow.user_id).where(Follow.idea_id.in_(ideas))
    _queue(
        _each_wanted(following, exclude=event.by.id),
        letter_name=STAGE_LETTER,
        key=f"email:stage:{change.id}",
        params={"change_id": change.id},
        idea_id=idea.id,
        status_change_id=change.id,
    )


def on_comment_added(event: CommentAdded) -> None:
    """E-mail the idea's followers an official answer (not its author)."""
    if not event.official or not enqueue.enabled() or event.idea.hidden_at is not None:
        return
    comment = event.comment
    following = select(Follow.user_id).where(Follow.idea_id == event.idea.id)
    _queue(
        _each_wanted(following, exclude=comment.author_id),
        letter_name=ANSWER_LETTER,
        key=f"email:answer:{comment.id}",
        params={"comment_id": comment.id},
        idea_id=event.idea.id,
    )


def on_ideas_merged(event: IdeasMerged) -> None:
    """E-mail the duplicate's followers that it was merged, and where to follow it now.

    The recipients are the people the merge's stage change notified in the app (the
    duplicate's followers at that moment, whoever merged excepted): their follows may have
    moved to the target since, so the follows no longer say who they were.
    """
    change, duplicate = event.change, event.duplicate
    if not enqueue.enabled() or not change.to_stage.is_public or duplicate.hidden_at is not None:
        return
    told = select(Notification.user_id).where(Notification.status_change_id == change.id)
    _queue(
        _each_wanted(told, exclude=event.by.id),
        letter_name=MERGED_LETTER,
        key=f"email:stage:{change.id}",
        params={"change_id": change.id, "target_id": event.target.id},
        idea_id=duplicate.id,
        status_change_id=change.id,
    )


def register(app: Flask) -> None:
    """Subscribe the follower e-mails to the domain events."""
    subscribe(app, StageChanged, on_stage_changed)
    subscribe(app, CommentAdded, on_comment_added)
    subscribe(app, IdeasMerged, on_ideas_merged)


# --- the letters (rendered at send time, in the recipient's language) ------------------------


def _get(model: Any, value: Any) -> Any:
    return db.session.get(model, value) if isinstance(value, int) else None


def signature(user: User | None) -> str:
    """Who answered, as the idea's timeline names them: "Kim Gayoung (KG)"."""
    return f"{user.name} ({user.display_initials})" if user is not None else ""


def settings_url() -> str:
    """The profile section where a person chooses their e-mails."""
    return public_url_for("accounts.profile", _anchor="email-notifications")


def stage_name(change: StatusChange) -> str:
    return display_name(change.to_stage)


def _change_to_tell(params: Mapping[str, Any], user: User | None) -> StatusChange | str:
    change: StatusChange | None = _get(StatusChange, params.get("change_id"))
    if change is None:
        return "the status change no longer exists"
    reason = refusal(user, EmailChoice.EACH)
    if reason:
        return reason
    if not change.to_stage.is_public:
        return "the stage is internal now"
    if not can_see(user, change.idea):
        return "the idea is hidden now"
    return change


@letter(STAGE_LETTER)
def stage_changed_letter(params: Mapping[str, Any], user: User | None) -> Draft | str:
    change = _change_to_tell(params, user)
    if isinstance(change, str):
        return change
    idea, stage = change.idea, stage_name(change)
    return Draft(
        subject=_("[%(stage)s] %(title)s", stage=stage, title=idea.title),
        context={
            "idea_title": idea.title,
            "idea_link": f"{idea_url(idea)}#status-{change.id}",
            "stage": stage,
            "note": markdown_to_text(change.note),
            "by": signature(change.by),
            "settings_url": settings_url(),
        },
        notification=True,
    )


@letter(MERGED_LETTER)
def idea_merged_letter(params: Mapping[str, Any], user: User | None) -> Draft | str:
    change = _change_to_tell(params, user)
    if isinstance(change, str):
        return change
    duplicate = change.idea
    target: Idea | None = _get(Idea, params.get("target_id")) or duplicate.merged_into
    if target is None or not can_see(user, target):
        return "the idea it was merged into is gone or hidden"
    stage = stage_name(change)
    return Draft(
        subject=_("[%(stage)s] %(title)s", stage=stage, title=duplicate.title),
        context={
            "idea_title": duplicate.title,
            "idea_link": f"{idea_url(duplicate)}#status-{change.id}",
            "target_title": target.title,
            "target_link": idea_url(target),
            "stage": stage,
            "note": markdown_to_text(change.note),
            "by": signature(change.by),
            "settings_url": settings_url(),
        },
        notification=True,
    )


@letter(ANSWER_LETTER)
def official_answer_letter(params: Mapping[str, Any], user: User | None) -> Draft | str:
    comment: Comment | None = _get(Comment, params.get("comment_id"))
    if comment is None or not comment.is_official:
        return "the official answer no longer exists"
    if not comment.is_public:  # deleted by its author or hidden by staff after it was queued
        return "the official answer was deleted or hidden"
    reason = refusal(user, EmailChoice.EACH)
    if reason:
        return reason
    idea = comment.idea
    if not can_see(user, idea):
        return "the idea is hidden now"
    return Draft(
        subject=_("Official answer: %(title)s", title=idea.title),
        context={
            "idea_title": idea.title,
            "idea_link": f"{idea_url(idea)}#comment-{comment.id}",
            "answer": markdown_to_text(comment.body),
            "by": signature(comment.author),
            "settings_url": settings_url(),
        },
        notification=True,
    )
