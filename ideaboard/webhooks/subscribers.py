"""Domain events the webhooks announce: each becomes one outbox row per subscribed webhook."""

from __future__ import annotations

from flask import Flask

from ..events import (
    CommentAdded,
    CommentChanged,
    IdeaApproved,
    IdeaDeleted,
    IdeasMerged,
    IdeaSubmitted,
    MentionSpike,
    StageChanged,
    subscribe,
)
from .enqueue import (
    COMMENT_ADDED,
    IDEA_CREATED,
    IDEA_MERGED,
    STATUS_CHANGED,
    enqueue_event,
    enqueue_idea_deleted,
    enqueue_spike,
    forget_unsent_comment,
    forget_unsent_idea,
)
from .sender import register_webhook_sender


def on_idea_submitted(event: IdeaSubmitted) -> None:
    enqueue_event(IDEA_CREATED, idea=event.idea)


def on_idea_approved(event: IdeaApproved) -> None:
    """A held idea becomes public now: for the webhooks, it is created now."""
    enqueue_event(IDEA_CREATED, idea=event.idea)


def on_stage_changed(event: StageChanged) -> None:
    enqueue_event(STATUS_CHANGED, idea=event.idea, change=event.change)


def on_ideas_merged(event: IdeasMerged) -> None:
    shown = event.change if event.change.to_stage.is_public else None  # internal: staff-only
    enqueue_event(IDEA_MERGED, idea=event.duplicate, change=shown, target=event.target)


def on_comment_added(event: CommentAdded) -> None:
    enqueue_event(COMMENT_ADDED, idea=event.idea, comment=event.comment)


def on_comment_changed(event: CommentChanged) -> None:
    """Deliveries not sent yet never carry a comment's old, deleted or hidden text."""
    if event.change in ("edited", "deleted", "hidden"):
        forget_unsent_comment(event.comment, removed=event.change != "edited")


def on_idea_deleted(event: IdeaDeleted) -> None:
    """Consumers saw idea.created: tell them it is gone, and send nothing more about it."""
    forget_unsent_idea(event.idea_id)
    enqueue_idea_deleted(event.idea_id)


def on_mention_spike(event: MentionSpike) -> None:
    enqueue_spike(event.alert.as_payload())


def register(app: Flask) -> None:
    """Subscribe the webhooks to the domain events and register their sender."""
    subscribe(app, IdeaSubmitted, on_idea_submitted)
    subscribe(app, IdeaApproved, on_idea_approved)
    subscribe(app, StageChanged, on_stage_changed)
    subscribe(app, IdeasMerged, on_ideas_merged)
    subscribe(app, CommentAdded, on_comment_added)
    subscribe(app, CommentChanged, on_comment_changed)
    subscribe(app, IdeaDeleted, on_idea_deleted)
    subscribe(app, MentionSpike, on_mention_spike)
    register_webhook_sender(app)
