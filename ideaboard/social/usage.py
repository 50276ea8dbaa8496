"""What an account spends on X's pay-per-use API: reads recorded per poll, posts per row.

The accounts page shows this month's spend by kind; the monthly cap (outbox/rules.py,
spend_this_month) counts all of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..outbox.models import OutboxMessage, OutboxState
from ..outbox.rules import X_KINDS, has_url
from .models import ReadUsage


def record_reads(account_id: int, posts: int, now: datetime) -> ReadUsage | None:
    """Record that a poll of the account read `posts` posts (nothing when none). Flushes."""
    if posts <= 0:
        return None
    usage = ReadUsage(
        account_id=account_id,
        fetched_at=now,
        posts=posts,
        cost_usd=posts * float(current_app.config["IDEABOARD_X_COST_READ"]),
    )
    db.session.add(usage)
    db.session.flush()
    return usage


@dataclass
class Spend:
    """One kind of spend: how many, and what they cost (USD)."""

    count: int = 0
    usd: float = 0.0


@dataclass
class MonthSpend:
    """An account's spend this month by kind."""

    reads: Spend = field(default_factory=Spend)
    plain: Spend = field(default_factory=Spend)  # replies and posts without a URL
    with_url: Spend = field(default_factory=Spend)  # replies and posts with a URL

    @property
    def total(self) -> float:
        return self.reads.usd + self.plain.usd + self.with_url.usd


def month_start(now: datetime) -> datetime:
    return datetime(now.year, now.month, 1, tzinfo=UTC)


def spend_by_kind(account_id: int, now: datetime) -> MonthSpend:
    """Return the account's estimated spend this month: reads, plain posts, posts with a URL."""
    start = month_start(now)
    spend = MonthSpend()
    count, usd = db.session.execute(
        select(
            func.coalesce(func.sum(ReadUsage.posts), 0),
            func.coalesce(func.sum(ReadUsage.cost_usd), 0.0),
        ).where(ReadUsage.account_id == account_id, ReadUsage.fetched_at >= start)
    ).one()
    spend.reads = Spend(int(count or 0), float(usd or 0.0))
    sent = db.session.execute(
        select(OutboxMessage.text, OutboxMessage.cost_usd).where(
            OutboxMessage.account_id == account_id,
            OutboxMessage.kind.in_(X_KINDS),
            OutboxMessage.state == OutboxState.SENT.value,
            OutboxMessage.sent_at >= start,
        )
    )
    for text, cost in sent:
        kind = spend.with_url if has_url(text) else spend.plain
        kind.count += 1
        kind.usd += float(cost or 0.0)
    return spend
