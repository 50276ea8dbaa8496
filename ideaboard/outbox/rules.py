"""Outbox rules: claim a due row, record an outcome, retry, cancel, park. Flush, never commit.

The delivery loop (outbox/delivery.py) commits after the claim and again after the outcome,
and the sender does the network call in between, outside any transaction. A row is never
sent twice: a claim is a conditional UPDATE (PostgreSQL adds FOR UPDATE SKIP LOCKED), and a
row found in `sending` after a crash — or after a timeout that may have reached X — is first
looked up on the network ("does our reply already exist?") before it is sent again.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from ..database import rows_matched, utcnow
from ..errors import Conflict
from ..extensions import db
from ..social.models import SocialAccount
from .models import OutboxKind, OutboxMessage, OutboxState

# Rows the loop may claim once next_attempt_at has come (a parked row is looked at again to
# see whether its cap still holds it).
DUE_STATES = (OutboxState.PENDING.value, OutboxState.FAILED.value, OutboxState.PARKED.value)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)


def claim_next(
    worker: str, now: datetime, *, skip_accounts: set[int], stale_after: timedelta
) -> OutboxMessage | None:
    """Claim the next due row for worker (state → sending), or return None."""
    stale = now - stale_after
    due = or_(
        (OutboxMessage.state.in_(DUE_STATES)) & (OutboxMessage.next_attempt_at <= now),
        (OutboxMessage.state == OutboxState.SENDING.value) & (OutboxMessage.claimed_at < stale),
    )
    query = select(OutboxMessage.id, OutboxMessage.state).where(due)
    if skip_accounts:
        query = query.where(
            or_(OutboxMessage.account_id.is_(None), OutboxMessage.account_id.not_in(skip_accounts))
        )
    query = query.order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1)
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    found = db.session.execute(query).first()
    if found is None:
        return None
    row_id, state = found
    recovering = state == OutboxState.SENDING.value
    values: dict[str, object] = {
        "state": OutboxState.SENDING.value,
        "claimed_at": now,
        "claimed_by": worker,
        "attempts": OutboxMessage.attempts + 1,
    }
    if recovering:
        values["check_first"] = True  # the last sender died mid-send: did it post?
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.state == state)
        .values(**values)
    )
    if not rows_matched(claimed):
        return None
    db.session.flush()
    row = db.session.get(OutboxMessage, row_id)
    if row is not None:
        db.session.refresh(row)
    return row


def _month_start(now: datetime) -> datetime:
    return datetime(now.year, now.month, 1, tzinfo=UTC)


def _next_month(now: datetime) -> datetime:
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


def estimated_cost(row: OutboxMessage) -> float:
    """Return the estimated price of sending row on X (2026 pay-per-use)."""
    config = current_app.config
    has_link = "http://" in row.text or "https://" in row.text
    if row.kind == OutboxKind.X_REPLY.value:
        base = float(config["IDEABOARD_X_COST_REPLY"])
    else:
        base = float(config["IDEABOARD_X_COST_POST"])
    return base + (float(config["IDEABOARD_X_COST_LINK"]) if has_link else 0.0)


def spend_this_month(account_id: int, now: datetime) -> float:
    """Return the estimated spend of the account's sent posts this month."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(OutboxMessage.cost_usd), 0.0)).where(
            OutboxMessage.account_id == account_id,
            OutboxMessage.state == OutboxState.SENT.value,
            OutboxMessage.sent_at >= _month_start(now),
        )
    )
    return float(total or 0.0)


def park_if_over_cap(row: OutboxMessage, now: datetime) -> bool:
    """Tell whether sending row would pass its account's monthly cap; if so, park it."""
    if row.account_id is None:
        return False
    account = db.session.get(SocialAccount, row.account_id)
    if account is None or account.monthly_cap_usd is None:
        return False
    if spend_this_month(account.id, now) + estimated_cost(row) <= account.monthly_cap_usd:
        return False
    row.state = OutboxState.PARKED.value
    row.attempts = max(0, row.attempts - 1)
    # Checked again hourly (a cap raised in the database counts within the hour) and at once
    # when an admin changes the cap on the accounts page (release_capped).
    row.next_attempt_at = min(_next_month(now), now + CAP_RECHECK)
    row.last_error = (
        f"{CAP_MESSAGE} of ${account.monthly_cap_usd:.2f} reached; waits until "
        f"{_next_month(now):%Y-%m-%d} (raising the cap on the accounts page sends it now)"
    )
    db.session.flush()
    return True


CAP_MESSAGE = "monthly cap"
CAP_RECHECK = timedelta(hours=1)


def release_capped(account_id: int, now: datetime) -> int:
    """Make rows parked by the monthly cap pending and due now (an admin raised or removed it).

    A row the new cap still does not allow is parked again when the loop claims it.
    """
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.account_id == account_id,
            OutboxMessage.state == OutboxState.PARKED.value,
        )
        .values(state=OutboxState.PENDING.value, next_attempt_at=now, last_error=None)
    )
    return rows_matched(result)


def mark_sent(
    row: OutboxMessage,
    remote_id: str,
    remote_url: str | None,
    now: datetime,
    *,
    cost_usd: float | None = None,
) -> None:
    """Record a successful send (cost_usd: what the network charges for it, if anything)."""
    row.state = OutboxState.SENT.value
    row.remote_id = remote_id
    row.remote_url = remote_url
    row.sent_at = now
    row.cost_usd = cost_usd
    row.check_first = False
    row.last_error = None
    db.session.flush()


def mark_failed(
    row: OutboxMessage,
    error: str,
    now: datetime,
    *,
    final: bool = False,
    retry_at: datetime | None = None,
    ambiguous: bool = False,
    rng: random.Random | None = None,
) -> None:
    """Record a failed send: dead if final or out of attempts, else due again later."""
    row.last_error = error[:1000]
    if ambiguous:
        row.check_first = True
    if final:
        row.state = OutboxState.DEAD.value
    elif retry_at is not None:
        # A rate limit is not the row's fault: wait for X's reset, keep the attempt.
        row.state = OutboxState.FAILED.value
        row.attempts = max(0, row.attempts - 1)
        row.next_attempt_at = max(retry_at, now) + timedelta(seconds=1)
    elif row.attempts >= row.max_attempts:
        row.state = OutboxState.DEAD.value
    else:
        row.state = OutboxState.FAILED.value
        delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, row.attempts - 1))
        jitter = (rng or random.Random()).uniform(0, delay.total_seconds() / 2)  # noqa: S311
        row.next_attempt_at = now + delay + timedelta(seconds=jitter)
    db.session.flush()


def mark_skipped(row: OutboxMessage, reason: str) -> None:
    """Cancel a row the sender found nothing to send for (reason shown to staff)."""
    row.state = OutboxState.CANCELLED.value
    row.last_error = reason[:1000]
    db.session.flush()


def retry(row: OutboxMessage) -> None:
    """Send a failed, dead or cancelled row again as soon as possible (staff action)."""
    if row.state in (OutboxState.SENT.value, OutboxState.SENDING.value):
        raise Conflict(_("This message is sent or being sent."))
    _refuse_held_or_superseded(row)
    row.state = OutboxState.PENDING.value
    row.attempts = 0
    row.next_attempt_at = utcnow()
    db.session.flush()


def cancel(row: OutboxMessage) -> None:
    """Stop a row from being sent (staff action)."""
    if row.state in (OutboxState.SENT.value, OutboxState.SENDING.value):
        raise Conflict(_("This message is sent or being sent."))
    if row.state == OutboxState.SUPERSEDED.value:
        raise Conflict(_("A newer stage change replaced this reply; it is not sent."))
    row.state = OutboxState.CANCELLED.value
    db.session.flush()


def _refuse_held_or_superseded(row: OutboxMessage) -> None:
    """A replaced reply is never sent again; a held fan-out is confirmed as a whole."""
    if row.state == OutboxState.SUPERSEDED.value:
        raise Conflict(_("A newer stage change replaced this reply; it is not sent."))
    if row.state == OutboxState.HELD.value:
        raise Conflict(_("This reply waits for its stage change's replies to be confirmed."))
