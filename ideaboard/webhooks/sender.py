"""The outbox sender for webhooks: a signed POST of the event as JSON.

Each delivery is a POST with three headers: `X-IdeaBoard-Event`, `X-IdeaBoard-Delivery` (the
outbox row id, stable across retries, so receivers can drop repeats) and
`X-IdeaBoard-Signature: sha256=<hex HMAC-SHA256 of the raw body with the webhook's secret>`.

2xx is success. 408, 5xx, time-outs and connection errors are tried again with back-off;
429 waits for Retry-After; other answers (3xx, 4xx) will not change, so the row dies.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from flask import Flask, current_app

from .. import netguard
from ..database import utcnow
from ..extensions import db
from ..outbox.models import OutboxKind, OutboxMessage
from ..outbox.senders import Deferred, Failed, Outcome, Sent, register_sender
from .models import Webhook

RETRY_AFTER_MAX = timedelta(hours=24)
USER_AGENT = "IdeaBoard-Webhook/1"


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


@dataclass(frozen=True)
class Delivery:
    """One POST, ready to go: read from the row and its webhook inside the transaction."""

    url: str
    body: bytes
    headers: dict[str, str]
    timeout: float
    allow_private: bool  # IDEABOARD_WEBHOOK_ALLOW_PRIVATE, read while the app is at hand


class WebhookSender:
    """Posts webhook rows; holds nothing between rows."""

    def prepare(self, row: OutboxMessage, now: datetime) -> Delivery | Outcome:
        hook = db.session.get(Webhook, row.webhook_id) if row.webhook_id is not None else None
        if hook is None or not hook.active:
            return Failed("the webhook was deleted or switched off", final=True)
        body = body_bytes(row.payload)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-IdeaBoard-Event": str(row.payload.get("event", row.text)),
            "X-IdeaBoard-Delivery": str(row.id),
            "X-IdeaBoard-Signature": signature(hook.secret, body),
        }
        timeout = float(current_app.config["IDEABOARD_WEBHOOK_TIMEOUT_SECONDS"])
        return Delivery(
            url=row.target or hook.url,
            body=body,
            headers=headers,
            timeout=timeout,
            allow_private=netguard.allow_private(),
        )

    def send(self, delivery: Delivery) -> Outcome:
        try:
            # Checked again at send time and pinned to the checked address; no redirects.
            response = netguard.post(
                delivery.url,
                data=delivery.body,
                headers=delivery.headers,
                timeout=delivery.timeout,
                allow_private=delivery.allow_private,
            )
        except netguard.BlockedDestination as error:
            return Failed(f"refused: {error.reason}", final=True)
        except requests.Timeout as error:
            return Failed(f"timeout after {delivery.timeout:g}s: {error}")
        except requests.RequestException as error:
            return Failed(f"connection: {error}")
        with response:
            status = response.status_code
            if 200 <= status < 300:
                return Sent(f"HTTP {status}")  # not an X post: no cost
            message = netguard.describe_status(response)  # never the body: it may hold secrets
            if status == 429:
                retry_at = _retry_at(response.headers.get("Retry-After"), utcnow())
                return Deferred(message, retry_at) if retry_at else Failed(message)
            if status == 408 or status >= 500:
                return Failed(message)
            return Failed(message, final=True)

    def settle(self, row: OutboxMessage, outcome: Outcome) -> None:
        """Nothing beyond the row to record."""

    def close(self) -> None:
        pass


def register_webhook_sender(app: Flask) -> None:
    """Register the webhook sender for the app's outbox."""
    register_sender(app, OutboxKind.WEBHOOK.value, WebhookSender)
