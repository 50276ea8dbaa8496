"""Senders by kind, and the typed outcomes they report.

A sender delivers one kind of outbox row (an X reply, an X post, a webhook …) in two steps:

- `prepare(row, now)` runs inside the delivery loop's transaction and reads what the send
  needs (the receiver's secret, a connection for the row's account) into a plain snapshot,
  or returns an outcome at once (e.g. the webhook was deleted).
- `send(snapshot)` runs with no transaction open and talks to the network. It returns an
  outcome and never touches the database.

Senders never commit or roll back: the loop does. Each delivery package registers its
sender factories when the app is created (`register_sender`); a factory is called once per
delivery run, and the sender's `close()` runs when the run ends. A kind with no sender fails
as final with a clear message. After the outcome is recorded, `settle(row, outcome)` runs in
the same transaction, for what the outcome means beyond the row (a bounce marks the address).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from flask import Flask, current_app

from .models import OutboxMessage

EXTENSION = "ideaboard.outbox.senders"


@dataclass(frozen=True)
class Sent:
    """The network took the message; remote_id/remote_url name it there."""

    remote_id: str
    remote_url: str | None = None
    cost_usd: float | None = None


@dataclass(frozen=True)
class Found:
    """An earlier attempt had landed after all (the network has the message); note says how."""

    remote_id: str
    cost_usd: float | None = None
    note: str | None = None


@dataclass(frozen=True)
class Failed:
    """The send failed: `final` if trying again cannot help, `ambiguous` if it may have landed."""

    message: str
    final: bool = False
    ambiguous: bool = False
    # What went wrong, for the sender's settle() (e.g. "recipient_refused" for a bounce).
    code: str | None = None


@dataclass(frozen=True)
class Deferred:
    """Not the row's fault (a rate limit): try again at retry_at, keeping the attempt."""

    message: str
    retry_at: datetime


@dataclass(frozen=True)
class Skipped:
    """Nothing to send any more (the recipient unsubscribed, the address bounced): cancelled."""

    reason: str


@dataclass(frozen=True)
class Parked:
    """Held by its account's monthly spending cap (decided by the loop, not a sender)."""


Outcome = Sent | Found | Failed | Deferred | Parked | Skipped
OUTCOME_TYPES = (Sent, Found, Failed, Deferred, Parked, Skipped)


class Sender(Protocol):
    def prepare(self, row: OutboxMessage, now: datetime) -> Any:
        """Return a plain snapshot for send(), or an Outcome to record without sending."""

    def send(self, snapshot: Any) -> Outcome:
        """Deliver the snapshot over the network; no database access here."""

    def settle(self, row: OutboxMessage, outcome: Outcome) -> None:
        """Act on the recorded outcome inside the loop's transaction (flush, never commit),
        e.g. mark a bouncing address undeliverable. Most senders do nothing here."""

    def close(self) -> None:
        """Release what the sender holds (connections) at the end of a delivery run."""


SenderFactory = Callable[[], Sender]


def register_sender(app: Flask, kind: str, factory: SenderFactory) -> None:
    """Make factory's senders deliver the rows of this kind in app."""
    registry: dict[str, SenderFactory] = app.extensions.setdefault(EXTENSION, {})
    registry[kind] = factory


def registered_senders(app: Flask | None = None) -> Mapping[str, SenderFactory]:
    """Return {kind: sender factory} as registered in app (default: the current app)."""
    registry: dict[str, SenderFactory] = (app or current_app).extensions.get(EXTENSION, {})
    return dict(registry)
