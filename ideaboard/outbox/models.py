"""The outbox: every message IdeaBoard sends (social replies, posts, e-mails, webhooks).

A row is written in the same transaction as the change it reports, so if the change commits
the message will go out, and if it rolls back nothing does. The worker claims due rows,
sends them and records the result (pending → sending → sent, or failed with a next attempt
time, or dead after the last attempt; parked while its account's spending cap is reached;
held until staff confirm a large fan-out; superseded by a newer stage reply to the same post;
staff can retry or cancel).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import Model


class OutboxKind(enum.StrEnum):
    # A reply to a post, and a post on the brand account, per social network.
    X_REPLY = "x_reply"
    X_POST = "x_post"
    BLUESKY_REPLY = "bluesky_reply"
    BLUESKY_POST = "bluesky_post"
    MASTODON_REPLY = "mastodon_reply"
    MASTODON_POST = "mastodon_post"
    EMAIL = "email"
    WEBHOOK = "webhook"


class OutboxState(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"
    CANCELLED = "cancelled"
    # Waiting because sending would pass its account's monthly spending cap: looked at again
    # hourly, and released (back to pending) when an admin raises or removes the cap.
    PARKED = "parked"
    # A stage change's replies to more posts than IDEABOARD_ECHO_MAX_REPLIES: never sent
    # until staff confirm them (→ pending) or cancel them (social/echo.py).
    HELD = "held"
    # A stage reply a newer stage change of the same post replaced before it was sent: never
    # sent, never retried (shown to staff).
    SUPERSEDED = "superseded"
    # A continuation of a thread (social/threads.py): it answers an earlier post of the
    # thread, so it waits until that one is sent (and its id on X known); never claimed.
    WAITING = "waiting"


class OutboxMessage(Model):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_next_attempt", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("social_accounts.id", ondelete="SET NULL")
    )
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16), default=OutboxState.PENDING.value)
    # Makes enqueueing idempotent, e.g. "x_reply:status:42:post:1861…" — one reply per post
    # per status change, however often the code path runs.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    idea_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id", ondelete="SET NULL"))
    status_change_id: Mapped[int | None] = mapped_column(
        ForeignKey("status_changes.id", ondelete="SET NULL")
    )
    # Where it goes: for X, the post replied to; for webhooks, the URL; for e-mail, the address.
    target: Mapped[str | None] = mapped_column(String(500))
    lang: Mapped[str | None] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    remote_id: Mapped[str | None] = mapped_column(String(64))
    remote_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    # Set when a send may have reached the network without our knowing (a timeout, a crash
    # while sending): the next attempt first asks the network whether the post exists.
    check_first: Mapped[bool] = mapped_column(default=False)
    cost_usd: Mapped[float | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
