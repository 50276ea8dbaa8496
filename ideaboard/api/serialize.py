"""Turn models into the API's response schemas (also used for webhook payloads)."""

from __future__ import annotations

from typing import Any

from ..i18n import current_language, display_name, localized_name, localized_names
from ..ideas.attribution import attribution
from ..ideas.models import Comment, Idea
from ..outbox.models import OutboxMessage, OutboxState
from ..triage.models import Stage, StatusChange
from ..triage.visibility import public_origin, sees_internal
from ..urls import idea_url
from .schemas import (
    Author,
    CommentOut,
    IdeaOut,
    Names,
    OutboxRowOut,
    StaffSignature,
    StageOut,
    StatusChangeOut,
)


def idea_author(idea: Idea) -> Author:
    """Return who suggested the idea (ideas.attribution)."""
    by = attribution(idea)
    return Author(name=by.name, handle=by.handle)


def idea_out(idea: Idea, viewer: Any = None, lang: str | None = None) -> IdeaOut:
    """Return the idea as the API shows it to viewer (None: the public, as in webhooks).

    Staff see the idea's stage; others its latest public stage (internal stages are staff-only).
    `stage_name` is in lang, by default the request's language.
    """
    stage = idea.stage_for(viewer)
    return IdeaOut(
        id=idea.id,
        title=idea.title,
        body=idea.body,
        stage=stage.slug,
        stage_name=localized_name(stage, lang or current_language()),
        stage_names=Names(**localized_names(stage)),
        category=idea.category.slug if idea.category is not None else None,
        score=idea.score,
        up=idea.up_count,
        down=idea.down_count,
        comment_count=idea.comment_count,
        source=idea.source,
        source_url=idea.source_url,
        campaign=idea.campaign.slug if idea.campaign_id is not None and idea.campaign else None,
        author=idea_author(idea),
        created_at=idea.created_at,
        updated_at=idea.updated_at,
        url=idea_url(idea),
    )


def status_change_out(change: StatusChange, viewer: Any = None) -> StatusChangeOut:
    """Return a status change as the API shows it to viewer (None: the public).

    The public never sees an internal stage as the origin: it sees the public stage before.
    """
    by = change.by
    origin = change.from_stage if sees_internal(viewer) else public_origin(change)
    return StatusChangeOut(
        id=change.id,
        idea_id=change.idea_id,
        from_stage=origin.slug if origin is not None else None,
        to_stage=change.to_stage.slug,
        note=change.note,
        by=StaffSignature(name=by.name, initials=by.display_initials) if by is not None else None,
        created_at=change.created_at,
    )


def comment_out(comment: Comment) -> CommentOut:
    """Return a comment as the API shows it."""
    author = comment.author
    return CommentOut(
        id=comment.id,
        idea_id=comment.idea_id,
        body=comment.body,
        is_official=comment.is_official,
        author=Author(name=author.name if author is not None else "", handle=None),
        created_at=comment.created_at,
    )


def stage_out(stage: Stage) -> StageOut:
    """Return a stage as the API shows it, named in the request's language."""
    return StageOut(
        slug=stage.slug,
        name=display_name(stage),
        names=Names(**localized_names(stage)),
        position=stage.position,
        color=stage.color,
        is_open=stage.is_open,
        is_public=stage.is_public,
    )


def outbox_row_out(row: OutboxMessage) -> OutboxRowOut:
    """Return an outbox row as staff see it."""
    return OutboxRowOut(
        id=row.id,
        kind=row.kind,
        state=OutboxState(row.state),
        target=row.target,
        text=row.text,
        idea_id=row.idea_id,
        status_change_id=row.status_change_id,
        webhook_id=row.webhook_id,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        remote_id=row.remote_id,
        remote_url=row.remote_url,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )
