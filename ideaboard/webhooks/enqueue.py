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
from ..outbox.models import OutboxKind, OutboxMessage
from ..triage.models import StatusChange
from .models import Webhook

IDEA_CREATED = "idea.created"
STATUS_CHANGED = "status.changed"
COMMENT_ADDED = "comment.added"
IDEA_MERGED = "idea.merged"
TEST = "webhook.test"
EVENTS = (IDEA_CREATED, STATUS_CHANGED, COMMENT_ADDED, IDEA_MERGED)


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
