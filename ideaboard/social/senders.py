"""The outbox senders for the social networks: replies and posts on the brand accounts.

One sender serves every network's kinds (x_reply, bluesky_reply, mastodon_reply and the
_post kinds): prepare() reads the row and finds the connector of its account (inside the
loop's transaction); send() talks to the network with no transaction open and reports a typed
outcome. A row found in `sending` after a crash, or after a time-out that may have reached
the network, is first looked up there ("does our reply already exist?") before it is sent
again. Refused credentials (an expired app password, a revoked token) make the row wait an
hour, with the reason shown to staff, instead of failing it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select

from ..database import utcnow
from ..extensions import db
from ..outbox.models import OutboxMessage
from ..outbox.rules import estimated_cost
from ..outbox.senders import (
    Deferred,
    Failed,
    Found,
    Outcome,
    Parked,
    Sent,
    Skipped,
    register_sender,
)
from . import threads
from .accounts import DISABLED
from .connectors import Connector, SendError
from .jobs import connector_for
from .models import SocialAccount
from .networks import POST_KINDS, REPLY_KINDS, SOCIAL_KINDS, network_of_kind

ConnectorFactory = Callable[[SocialAccount], Connector]
DISABLED_RECHECK = timedelta(hours=1)
AUTH_RECHECK = timedelta(hours=1)
LANDED_LATE = "the network reports this reply exists: an earlier attempt landed late"


@dataclass(frozen=True)
class XMessage:
    """What one send needs, read from the row while the transaction was open."""

    connector: Connector
    kind: str
    text: str
    target: str | None
    check_first: bool
    attempts: int
    cost_usd: float


def default_account(kind: str) -> SocialAccount | None:
    """Return the first connected account of the row kind's network (answers rows that name
    none)."""
    known = network_of_kind(kind)
    query = select(SocialAccount).order_by(SocialAccount.id).limit(1)
    if known is not None:
        query = query.where(SocialAccount.network == known.slug)
    return db.session.scalar(query)


def failed_outcome(error: SendError) -> Failed | Deferred:
    """Turn a connector's SendError into an outcome (a rate limit waits for its reset;
    refused credentials wait for staff to fix them, looked at again hourly)."""
    if error.retry_at is not None:
        return Deferred(error.message, error.retry_at)
    if error.auth:
        return Deferred(f"the network refused the account's credentials: {error.message}",
                        utcnow() + AUTH_RECHECK)  # fmt: skip
    return Failed(error.message, final=error.final, ambiguous=error.ambiguous)


class SocialSender:
    """Sends every network's reply and post rows; keeps one connector per account for a
    delivery run."""

    def __init__(self, connectors: ConnectorFactory | None = None) -> None:
        self.factory = connectors or connector_for
        self.connectors: dict[int, Connector] = {}

    def prepare(self, row: OutboxMessage, now: datetime) -> XMessage | Outcome:
        account = db.session.get(SocialAccount, row.account_id) if row.account_id else None
        account = account or default_account(row.kind)
        if account is None:
            return Failed("no social account is connected", final=True)
        if not account.active:  # an admin disabled it: the reply waits, checked hourly
            return Deferred(DISABLED, now + DISABLED_RECHECK)
        waiting = threads.check_ready(row)
        if waiting == "wait":  # a continuation claimed early (a staff retry): back to wait
            threads.hold(row)
            return Parked()
        if waiting is not None:
            return Skipped(waiting)
        if account.id not in self.connectors:
            self.connectors[account.id] = self.factory(account)
        return XMessage(
            connector=self.connectors[account.id],
            kind=row.kind,
            text=row.text,
            target=row.target,
            check_first=row.check_first,
            attempts=row.attempts,
            cost_usd=estimated_cost(row),
        )

    def send(self, message: XMessage) -> Outcome:
        connector, text, target = message.connector, message.text, message.target
        is_reply = message.kind in REPLY_KINDS
        try:
            if message.check_first and is_reply and target:
                existing = connector.find_reply(target, text)
                if existing is not None:
                    return Found(existing, cost_usd=message.cost_usd)
            if is_reply and target:
                posted = connector.post_reply(text, target)
            elif message.kind in POST_KINDS:
                posted = connector.post(text)
            else:
                raise SendError(f"no sender for {message.kind} messages yet", final=True)
        except SendError as error:
            if error.duplicate and (message.check_first or message.attempts > 1):
                # An earlier attempt that timed out has landed after all: the copy is refused.
                # The reply exists, so the row is done; find its id if search shows it.
                try:
                    found = connector.find_reply(target or "", text) if target else None
                except SendError:
                    found = None
                return Found(found or "", cost_usd=message.cost_usd, note=LANDED_LATE)
            return failed_outcome(error)
        return Sent(posted.id, posted.url, cost_usd=message.cost_usd)

    def settle(self, row: OutboxMessage, outcome: Outcome) -> None:
        """A part of a thread is on X: the next part may go now, answering the first post."""
        if isinstance(outcome, Sent | Found):
            threads.release_next(row, utcnow())

    def close(self) -> None:
        for connector in self.connectors.values():
            close = getattr(connector, "close", None)
            if close is not None:
                close()


def social_senders(
    connectors: ConnectorFactory | None = None,
) -> dict[str, Callable[[], SocialSender]]:
    """Return {kind: sender factory} for every network: one factory, so a delivery run opens
    one sender (and one connector per account) for all the kinds."""

    def factory() -> SocialSender:
        return SocialSender(connectors)

    return dict.fromkeys(SOCIAL_KINDS, factory)


def register_senders(app: Flask) -> None:
    """Register the social senders for the app's outbox."""
    for kind, factory in social_senders().items():
        register_sender(app, kind, factory)
