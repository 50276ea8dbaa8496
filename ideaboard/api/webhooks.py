"""Outbound webhooks: events become outbox rows in the caller's transaction; the worker posts them.

Each delivery is a POST of the event as JSON with three headers: `X-IdeaBoard-Event`,
`X-IdeaBoard-Delivery` (the outbox row id, stable across retries, so receivers can drop
repeats) and `X-IdeaBoard-Signature: sha256=<hex HMAC-SHA256 of the raw body with the
webhook's secret>`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from flask import current_app
from sqlalchemy import select

from .. import netguard
from ..accounts.models import User
from ..database import utcnow
from ..extensions import db
from ..ideas.models import Comment, Idea
from ..social.connectors import SendError
from ..social.models import OutboxKind, OutboxMessage
from ..triage.models import StatusChange
from .models import Webhook
from .schemas import dump
from .serialize import comment_out, idea_out, status_change_out

logger = logging.getLogger(__name__)

IDEA_CREATED = "idea.created"
STATUS_CHANGED = "status.changed"
COMMENT_ADDED = "comment.added"
IDEA_MERGED = "idea.merged"
TEST = "webhook.test"
EVENTS = (IDEA_CREATED, STATUS_CHANGED, COMMENT_ADDED, IDEA_MERGED)
RETRY_AFTER_MAX = timedelta(hours=24)
USER_AGENT = "IdeaBoard-Webhook/1"


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
        data["idea"] = dump(idea_out(idea))
    if change is not None:
        data["status_change"] = dump(status_change_out(change))
    if comment is not None:
        data["comment"] = dump(comment_out(comment))
    if target is not None:
        data["target"] = dump(idea_out(target))
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


def body_bytes(payload: dict[str, Any]) -> bytes:
    """Return the exact bytes that are sent and signed."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    """Return the X-IdeaBoard-Signature value for body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _retry_at(value: str | None, now: datetime) -> datetime | None:
    """Read Retry-After (seconds or an HTTP date), capped at a day."""
    if not value:
        return None
    value = value.strip()
    when: datetime | None
    if value.isdigit():
        when = now + timedelta(seconds=int(value))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
    return min(when, now + RETRY_AFTER_MAX)


def send_webhook(row_id: int) -> str:
    """POST one claimed webhook row; return a delivery note, or raise SendError.

    2xx is success. 408, 5xx, time-outs and connection errors are tried again with back-off;
    429 waits for Retry-After; other answers (3xx, 4xx) will not change, so the row dies.
    """
    row = db.session.get(OutboxMessage, row_id)
    hook = db.session.get(Webhook, row.webhook_id) if row is not None else None
    if row is None or hook is None or not hook.active:
        db.session.rollback()
        raise SendError("the webhook was deleted or switched off", final=True)
    body = body_bytes(row.payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-IdeaBoard-Event": str(row.payload.get("event", row.text)),
        "X-IdeaBoard-Delivery": str(row.id),
        "X-IdeaBoard-Signature": signature(hook.secret, body),
    }
    url = row.target or hook.url
    timeout = float(current_app.config["IDEABOARD_WEBHOOK_TIMEOUT_SECONDS"])
    db.session.commit()  # no transaction open while the receiver thinks
    try:
        response = netguard.post(
            url, data=body, headers=headers, timeout=timeout, allow_private=netguard.allow_private()
        )
    except netguard.BlockedDestination as error:
        raise SendError(f"refused: {error.reason}", final=True) from error
    except requests.Timeout as error:
        raise SendError(f"timeout after {timeout:g}s: {error}") from error
    except requests.RequestException as error:
        raise SendError(f"connection: {error}") from error
    with response:
        status = response.status_code
        if 200 <= status < 300:
            return f"HTTP {status}"
        message = netguard.describe_status(response)  # never the body: it may hold secrets
        if status == 429:
            retry_at = _retry_at(response.headers.get("Retry-After"), utcnow())
            raise SendError(message, retry_at=retry_at)
        if status == 408 or status >= 500:
            raise SendError(message)
        raise SendError(message, final=True)
