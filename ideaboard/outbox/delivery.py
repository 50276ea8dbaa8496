"""The delivery loop: claim due rows, hand each to the sender of its kind, record the outcome.

The loop is the edge that owns the transactions here. For every row:

1. claim it (state → sending) and commit, so no other worker takes it;
2. park it if its account's monthly cap is reached (commit; next row);
3. let the sender read what it needs into a plain snapshot, then commit, so no transaction
   is open during the network call;
4. call the sender (network I/O only);
5. record the outcome on the row and commit.

A crash between 1 and 5 leaves the row in `sending`; after IDEABOARD_OUTBOX_STALE_SECONDS
another worker claims it again and the sender first asks the network whether it landed.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from ..database import utcnow, write_intent
from ..extensions import db
from . import rules
from .models import OutboxMessage, OutboxState
from .senders import (
    OUTCOME_TYPES,
    Deferred,
    Failed,
    Found,
    Outcome,
    Parked,
    Sender,
    SenderFactory,
    Sent,
    Skipped,
    registered_senders,
)


@dataclass
class DeliveryResult:
    claimed: int = 0
    sent: int = 0
    found_existing: int = 0
    failed: int = 0
    dead: int = 0
    deferred: int = 0  # rate limit or spending cap: tried again later, not counted as failure
    skipped: int = 0  # nothing to send any more (unsubscribed, undeliverable): cancelled


def record(row: OutboxMessage, outcome: Outcome, now: datetime) -> None:
    """Write the outcome of one send onto its row (flush, never commit)."""
    if isinstance(outcome, Sent):
        rules.mark_sent(row, outcome.remote_id, outcome.remote_url, now, cost_usd=outcome.cost_usd)
    elif isinstance(outcome, Found):
        rules.mark_sent(row, outcome.remote_id, None, now, cost_usd=outcome.cost_usd)
        if outcome.note:
            row.last_error = outcome.note
            db.session.flush()
    elif isinstance(outcome, Deferred):
        rules.mark_failed(row, outcome.message, now, retry_at=outcome.retry_at)
    elif isinstance(outcome, Failed):
        rules.mark_failed(
            row, outcome.message, now, final=outcome.final, ambiguous=outcome.ambiguous
        )
    elif isinstance(outcome, Skipped):
        rules.mark_skipped(row, outcome.reason)
    # Parked: park_if_over_cap has written it already.


class _Run:
    """One pass of deliver_due: the senders it opened, one per factory."""

    def __init__(self, factories: Mapping[str, SenderFactory]) -> None:
        self.factories = factories
        self.senders: dict[SenderFactory, Sender] = {}

    def sender_for(self, kind: str) -> Sender | None:
        factory = self.factories.get(kind)
        if factory is None:
            return None
        if factory not in self.senders:
            self.senders[factory] = factory()
        return self.senders[factory]

    def close(self) -> None:
        for sender in self.senders.values():
            sender.close()

    def deliver(self, row_id: int, now: datetime) -> tuple[Outcome | None, str | None]:
        """Deliver one claimed row, record the outcome; return it and the row's new state."""
        row = db.session.get(OutboxMessage, row_id)
        if row is None:
            return None, None
        if rules.park_if_over_cap(row, now):
            db.session.commit()
            return Parked(), OutboxState.PARKED.value
        sender = self.sender_for(row.kind)
        outcome: Outcome
        if sender is None:
            outcome = Failed(f"no sender for {row.kind} messages yet", final=True)
        else:
            prepared = sender.prepare(row, now)
            if isinstance(prepared, OUTCOME_TYPES):
                outcome = prepared
            else:
                db.session.commit()  # nothing open while we talk to the network
                outcome = sender.send(prepared)
        row = db.session.get(OutboxMessage, row_id)
        if row is None:  # deleted while we sent (its webhook was removed)
            db.session.rollback()
            return None, None
        record(row, outcome, utcnow())
        if sender is not None:
            sender.settle(row, outcome)
        state = row.state
        db.session.commit()
        return outcome, state


def deliver_due(
    *,
    worker: str,
    senders: Mapping[str, SenderFactory] | None = None,
    limit: int | None = None,
    stop: threading.Event | None = None,
) -> DeliveryResult:
    """Send every due outbox row once (rows that fail again wait for their next attempt).

    senders overrides the app's registered sender factories for some kinds (tests use it).
    """
    result = DeliveryResult()
    run = _Run({**registered_senders(), **(senders or {})})
    blocked: set[int] = set()
    stale = timedelta(seconds=float(current_app.config["IDEABOARD_OUTBOX_STALE_SECONDS"]))
    try:
        with write_intent():
            while limit is None or result.claimed < limit:
                if stop is not None and stop.is_set():
                    break
                now = utcnow()
                row = rules.claim_next(worker, now, skip_accounts=blocked, stale_after=stale)
                db.session.commit()
                if row is None:
                    break
                result.claimed += 1
                row_id, account_id = row.id, row.account_id
                outcome, state = run.deliver(row_id, now)
                if isinstance(outcome, Sent):
                    result.sent += 1
                elif isinstance(outcome, Found):
                    result.found_existing += 1
                elif isinstance(outcome, Skipped):
                    result.skipped += 1
                elif isinstance(outcome, Deferred | Parked):
                    result.deferred += 1
                    if account_id is not None:
                        blocked.add(account_id)  # rate limited or capped: leave its rows be
                elif state == OutboxState.DEAD.value:
                    result.dead += 1
                else:
                    result.failed += 1
    finally:
        run.close()
    return result
