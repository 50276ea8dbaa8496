"""Webhook deliveries as outbox rows: one per active webhook subscribed to the event.

Written in the caller's transaction (the subscribers in webhooks/subscribers.py call
enqueue_event when a domain event is published); webhooks/sender.py posts them.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from ..accounts.models import User
from ..api.schemas import dump
from ..api.serialize import comment_out, idea_out, status_change_out
from ..database import utcnow
from ..extensions import db
from ..ideas.models import Comment, Idea
from ..outbox.models import OutboxKind, OutboxMessage, OutboxState
from ..triage.models import StatusChange
from .models import Webhook

IDEA_CREATED = "idea.created"
STATUS_CHANGED = "status.changed"
COMMENT_ADDED = "comment.added"
IDEA_MERGED = "idea.merged"
IDEA_DELETED = "idea.deleted"
MENTIONS_SPIKE = "mentions.spike"
TEST = "webhook.test"
EVENTS = (IDEA_CREATED, STATUS_CHANGED, COMMENT_ADDED, IDEA_MERGED, IDEA_DELETED, MENTIONS_SPIKE)


def _event_key(
    event: str, idea: Idea | None, change: StatusChange | None, comment: Comment | None
) -> str:
    """Identify the occurrence, so enqueueing the same event twice sends it once."""
    if comment is not None:
        return f"{event}:comment:{comment.id}"
    if change is not None:
        return f"{event}:change:{change.id}"
    if idea is not None:
        return f"{event}:idea:{idea.id}"
    return f"{event}:{uuid.uuid4()}"


def event_payload(
    event: str,
    *,
    idea: Idea | None = None,
    change: StatusChange | None = None,
    comment: Comment | None = None,
    target: Idea | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the JSON body of an event: {event, occurred_at, data: {idea, …}}."""
    data: dict[str, Any] = dict(extra or {})
    if idea is not None:
        data["idea"] = dump(idea_out(idea, lang="en"))
    if change is not None:
        data["status_change"] = dump(status_change_out(change))
    if comment is not None:
        data["comment"] = dump(comment_out(comment))
    if target is not None:
        data["target"] = dump(idea_out(target, lang="en"))
    occurred = utcnow().isoformat().replace("+00:00", "Z")
    return {"event": event, "occurred_at": occurred, "data": data}


def _add_row(hook: Webhook, event: str, key: str, payload: dict[str, Any], **links: Any) -> bool:
    dedupe_key = f"webhook:{hook.id}:{key}"[:200]
    exists = db.session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    )
    if exists is not None:
        return False
    db.session.add(
        OutboxMessage(
            kind=OutboxKind.WEBHOOK.value,
            webhook_id=hook.id,
            dedupe_key=dedupe_key,
            target=hook.url,
            text=event,
            payload=payload,
            **links,
        )
    )
    return True


def enqueue_event(
    event: str,
    *,
    idea: Idea | None = None,
    change: StatusChange | None = None,
    comment: Comment | None = None,
    target: Idea | None = None,
) -> int:
    """Queue one delivery of the event per active webhook subscribed to it; return how many."""
    hooks = [
        hook
        for hook in db.session.scalars(select(Webhook).where(Webhook.active).order_by(Webhook.id))
        if hook.subscribes(event)
    ]
    if not hooks:
        return 0
    payload = event_payload(event, idea=idea, change=change, comment=comment, target=target)
    key = _event_key(event, idea, change, comment)
    links = {
        "idea_id": idea.id if idea is not None else None,
        "status_change_id": change.id if change is not None else None,
    }
    added = sum(_add_row(hook, event, key, payload, **links) for hook in hooks)
    db.session.flush()
    return added


def enqueue_idea_deleted(idea_id: int) -> int:
    """Queue idea.deleted ({"data": {"idea": {"id": …}}}) for the webhooks that want it.

    Only the id: the author deleted the idea, so its text is not sent anywhere again.
    """
    hooks = [
        hook
        for hook in db.session.scalars(select(Webhook).where(Webhook.active).order_by(Webhook.id))
        if hook.subscribes(IDEA_DELETED)
    ]
    payload = event_payload(IDEA_DELETED, extra={"idea": {"id": idea_id}})
    added = sum(
        _add_row(hook, IDEA_DELETED, f"{IDEA_DELETED}:idea:{idea_id}", payload) for hook in hooks
    )
    db.session.flush()
    return added


def enqueue_spike(alert: dict[str, Any]) -> int:
    """Queue mentions.spike for the webhooks that want it; data is SpikeAlert.as_payload().

    Keyed by class and hour: an alert is announced once per webhook, whoever judges it."""
    hooks = [
        hook
        for hook in db.session.scalars(select(Webhook).where(Webhook.active).order_by(Webhook.id))
        if hook.subscribes(MENTIONS_SPIKE)
    ]
    if not hooks:
        return 0
    payload = event_payload(MENTIONS_SPIKE, extra=alert)
    key = f"{MENTIONS_SPIKE}:{alert['label']}:{alert['hour']}"
    added = sum(_add_row(hook, MENTIONS_SPIKE, key, payload) for hook in hooks)
    db.session.flush()
    return added


# Rows not handed to the network yet: their payload can still be changed or stopped.
_UNSENT = (
    OutboxState.PENDING.value,
    OutboxState.FAILED.value,
    OutboxState.PARKED.value,
    OutboxState.HELD.value,
    OutboxState.WAITING.value,
)


def _unsent_rows_for(key: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == OutboxKind.WEBHOOK.value,
                OutboxMessage.dedupe_key.like(f"webhook:%:{key}"),
                OutboxMessage.state.in_(_UNSENT),
            )
        )
    )


def forget_unsent_comment(comment: Comment, *, removed: bool) -> int:
    """Keep a changed comment's old text out of comment.added deliveries not sent yet.

    Removed (deleted by its author, hidden by staff): the deliveries are cancelled. Edited:
    they carry the new text. Returns how many rows changed.
    """
    rows = _unsent_rows_for(f"{COMMENT_ADDED}:comment:{comment.id}")
    for row in rows:
        if removed:
            row.state = OutboxState.CANCELLED.value
            row.last_error = "the comment was deleted or hidden before it was sent"
            row.payload = {**row.payload, "data": {**row.payload.get("data", {}), "comment": None}}
        else:
            data = {**row.payload.get("data", {}), "comment": dump(comment_out(comment))}
            row.payload = {**row.payload, "data": data}
    db.session.flush()
    return len(rows)


def forget_unsent_idea(idea_id: int) -> int:
    """Cancel every webhook delivery about a deleted idea that was not sent yet."""
    rows = list(
        db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == OutboxKind.WEBHOOK.value,
                OutboxMessage.idea_id == idea_id,
                OutboxMessage.state.in_(_UNSENT),
            )
        )
    )
    for row in rows:
        row.state = OutboxState.CANCELLED.value
        row.last_error = "the idea was deleted by its author before it was sent"
    db.session.flush()
    return len(rows)


def enqueue_test(hook: Webhook, by: User) -> OutboxMessage:
    """Queue a webhook.test delivery to one webhook."""
    key = f"{TEST}:{uuid.uuid4()}"
    payload = event_payload(TEST, extra={"webhook_id": hook.id, "sent_by": by.name})
    _add_row(hook, TEST, key, payload)
    db.session.flush()
    row = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == f"webhook:{hook.id}:{key}")
    )
    assert row is not None  # just added
    return row
