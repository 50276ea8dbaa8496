"""Spike alerts, wired: count logged mentions per hour and class, judge, record, announce.

`spikes.py` holds the rule (pure logic). This module feeds it from `mention_log` and acts
on its answer (docs/listening.md, "Spike alerts"):

- **Which moment counts.** A mention is counted in the UTC hour its author posted it
  (`posted_at`), never later than the hour it was fetched (`fetched_at`; also used when the
  network gave no time). So a worker that was stopped for three hours and then fetches the
  backlog at once does not see a false spike in the hour it caught up: the backlog falls
  back into the hours the customers wrote in. The price: a post fetched late changes an
  hour that was judged already. Judged hours are not judged again (only the two below), so
  a late post can at worst make a past hour's alert go missing, never fire one twice.
  That moment is stored when the mention is logged (`mention_log.counted_at`, NULL for the
  brand's own posts) and indexed with the class, so the check reads only the hours it
  compares — the judged two and the same two on each of the 7 days before — from the index
  (about 10 ms at 12,500 mentions a day, bench/listening.py).
- **Which hours are judged.** Each check judges the hour in progress and the last complete
  hour. The hour in progress is judged on its count so far, with the same rule: counts only
  grow, so an hour that meets the rule early will meet it at its end too. A 5× hour reaches
  3× (the default factor) about 36 minutes in, and alerts then; the last complete hour
  catches what arrived in its final minutes.
- **What counts.** Every logged mention with a class, except the account's own posts.
- **Exactly once.** `spike_alerts` has a unique (label, hour). The insert that wins (ON
  CONFLICT DO NOTHING … RETURNING) publishes `MentionSpike`; its subscribers queue the
  admins' e-mails and the `mentions.spike` webhook deliveries in the same transaction, with
  dedupe keys of their own. A second check, or a second worker, finds the row and queues
  nothing; it only raises the stored count when the hour has grown since.

`check_spikes` (= `find_spikes`, reads only, then `record_spikes`) flushes and never commits:
the worker (`Worker._spike_check`) and the CLI (`flask ideaboard check-spikes`) commit. The
worker reads outside a write transaction and writes only when the rule found something, so
on SQLite the count never holds the write lock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import DateTime

from ..database import utcnow
from ..events import MentionSpike, publish
from ..extensions import db
from ..social.models import MentionLog
from .classify import LABELS, Label
from .models import SpikeAlertRow
from .spikes import DAY, HOUR, SpikeAlert, SpikeSettings, detect_spikes, utc_hour

logger = logging.getLogger(__name__)

# The banner shows alerts nobody dismissed from the last day; older ones stay on the dashboard.
BANNER_HOURS = 24
BANNER_MAX = 3


class hour_of(FunctionElement[datetime]):
    """The UTC hour a naive-UTC timestamp column falls in, as SQL on SQLite and PostgreSQL."""

    type = DateTime()
    inherit_cache = True


@compiles(hour_of)
def _hour_of_default(element: hour_of, compiler: Any, **kw: Any) -> str:
    return f"date_trunc('hour', {compiler.process(element.clauses, **kw)})"


@compiles(hour_of, "sqlite")
def _hour_of_sqlite(element: hour_of, compiler: Any, **kw: Any) -> str:
    return f"strftime('%Y-%m-%d %H:00:00', {compiler.process(element.clauses, **kw)})"


def _as_hour(value: Any) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime):
        raise TypeError(f"not an hour: {value!r}")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def mention_counts(
    since: datetime, until: datetime, hours: tuple[datetime, ...] = ()
) -> dict[tuple[datetime, Label], int]:
    """Mentions per (UTC hour, class) from since to until: one grouped query.

    A mention counts at `mention_log.counted_at` (its post's time, never after it was
    fetched; the brand's own posts have none), read from the index on (counted_at, label)
    alone. With `hours`, only those hours and the same hours on each earlier day back to
    `since` are read — what the spike rule compares — instead of every hour between."""
    counted = MentionLog.counted_at
    if hours:
        first, last = min(hours), max(hours) + HOUR
        days = (first - since) // DAY
        span = or_(
            *(
                and_(counted >= first - DAY * day, counted < last - DAY * day)
                for day in range(days + 1)
            )
        )
    else:
        span = and_(counted >= since, counted < until)
    hour = hour_of(counted)
    rows = db.session.execute(
        select(hour, MentionLog.label, func.count())
        .where(span, MentionLog.label.in_(LABELS))
        .group_by(hour, MentionLog.label)
    )
    counts: dict[tuple[datetime, Label], int] = {}
    for at, label, count in rows:
        if label in LABELS:
            counts[(_as_hour(at), label)] = int(count)
    return counts


def listening_start() -> datetime | None:
    """The hour listening began: the first mention ever logged (before it, no record)."""
    first = db.session.scalar(select(func.min(MentionLog.fetched_at)))
    return utc_hour(_as_hour(first)) if first is not None else None


def spike_settings() -> SpikeSettings:
    """The configured rule (IDEABOARD_SPIKE_FACTOR, IDEABOARD_SPIKE_MIN_COUNT)."""
    return SpikeSettings.from_config(current_app.config)


@dataclass(frozen=True)
class Fired:
    """An alert this check recorded first (its e-mails and webhook deliveries are queued)."""

    row_id: int
    alert: SpikeAlert
    early: bool  # the hour was still in progress


def judged_hours(now: datetime) -> tuple[datetime, datetime]:
    """The last complete hour and the hour in progress."""
    current = utc_hour(now)
    return current - HOUR, current


def find_spikes(now: datetime, settings: SpikeSettings | None = None) -> list[SpikeAlert]:
    """Judge the last complete hour and the hour in progress (reads only): what the rule says."""
    settings = settings or spike_settings()
    hours = judged_hours(now)
    since = hours[0] - DAY * settings.baseline_days
    counts = mention_counts(since, hours[1] + HOUR, hours)
    start = listening_start()
    return [
        alert
        for hour in hours
        for alert in detect_spikes(counts, hour, settings, history_start=start)
    ]


def record_spikes(found: list[SpikeAlert], now: datetime) -> list[Fired]:
    """Record the alerts; announce (MentionSpike) those recorded now for the first time.

    Flushes, never commits. Returns the alerts that fired now (not those recorded before)."""
    fired: list[Fired] = []
    for alert in found:
        row_id = _record(alert, now)
        if row_id is None:
            _raise_count(alert)
            continue
        early = now < alert.hour + HOUR
        publish(MentionSpike(alert_id=row_id, alert=alert, early=early))
        fired.append(Fired(row_id=row_id, alert=alert, early=early))
        logger.warning("mention spike: %s", alert.describe())
    db.session.flush()
    return fired


def check_spikes(now: datetime | None = None, settings: SpikeSettings | None = None) -> list[Fired]:
    """Judge the last complete hour and the hour in progress; record and announce new alerts.

    Flushes, never commits. Returns the alerts that fired now (not those recorded before)."""
    now = now or utcnow()
    return record_spikes(find_spikes(now, settings), now)


def _record(alert: SpikeAlert, now: datetime) -> int | None:
    """Insert the alert unless (label, hour) is recorded; its id if this insert won."""
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    statement = (
        dialect_insert(SpikeAlertRow)
        .values(
            label=alert.label,
            hour=alert.hour,
            count=alert.count,
            baseline=alert.baseline,
            factor=alert.factor_seen,
            history_days=alert.history_days,
            baseline_days=alert.baseline_days,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["label", "hour"])
        .returning(SpikeAlertRow.id)
    )
    row_id = db.session.execute(statement).scalar()
    return int(row_id) if row_id is not None else None


def _raise_count(alert: SpikeAlert) -> None:
    """The hour grew since its alert fired: show staff the count as it is now."""
    db.session.execute(
        update(SpikeAlertRow)
        .where(
            SpikeAlertRow.label == alert.label,
            SpikeAlertRow.hour == alert.hour,
            SpikeAlertRow.count < alert.count,
        )
        .values(count=alert.count, factor=alert.factor_seen, baseline=alert.baseline)
        .execution_options(synchronize_session=False)
    )


def as_alert(row: SpikeAlertRow) -> SpikeAlert:
    """The stored alert as the rule's value object (for describe() and as_payload())."""
    label: Label = row.label if row.label in LABELS else "other"
    return SpikeAlert(
        label=label,
        hour=row.hour,
        count=row.count,
        baseline=row.baseline,
        factor_seen=row.factor,
        history_days=row.history_days,
        baseline_days=row.baseline_days,
    )


# --- for people: in their language and time zone --------------------------------------------


def label_name(label: str) -> str:
    """The class of mentions as staff read it, in the page's (or e-mail's) language."""
    names: dict[str, str] = {
        "question": _("questions"),
        "complaint": _("complaints"),
        "suggestion": _("suggestions"),
        "other": _("other mentions"),
    }
    return str(names.get(label, label))


def hour_span(hour: datetime) -> str:
    """The hour as the reader reads it, in their zone: "2026-12-05 21:00–22:00 KST"."""
    from ..timezones import zone_label

    day = format_datetime(hour, "yyyy-MM-dd HH:mm")
    end = format_datetime(hour + HOUR, "HH:mm")
    return f"{day}–{end} {zone_label(hour)}"


def describe(alert: SpikeAlert, *, early: bool = False) -> str:
    """SpikeAlert.describe() in the reader's language, the hour in their time zone."""
    if alert.short_history:
        basis = _(
            "the median of the same hour on only %(days)d of the previous %(of)d days",
            days=alert.history_days,
            of=alert.baseline_days,
        )
    else:
        basis = _(
            "the median of the same hour on the previous %(days)d days", days=alert.history_days
        )
    text = _(
        "Spike of %(what)s, %(hour)s: %(count)d mentions in the hour, %(factor)s× the usual "
        "%(baseline)s (%(basis)s).",
        what=label_name(alert.label),
        hour=hour_span(alert.hour),
        count=alert.count,
        factor=f"{alert.factor_seen:.1f}",
        baseline=f"{alert.baseline:g}",
        basis=basis,
    )
    if early:
        text += " " + _("The hour was still in progress when this alert fired.")
    return str(text)


def was_early(row: SpikeAlertRow) -> bool:
    """Whether the alert fired before its hour ended."""
    return row.created_at < row.hour + HOUR


# --- the banner and acknowledgement ------------------------------------------------------------


def banner_alerts(now: datetime) -> tuple[list[SpikeAlertRow], int]:
    """Alerts of the last BANNER_HOURS nobody dismissed: the newest few, and how many in all."""
    since = utc_hour(now) - timedelta(hours=BANNER_HOURS)
    waiting = and_(SpikeAlertRow.acknowledged_at.is_(None), SpikeAlertRow.hour >= since)
    rows = list(
        db.session.scalars(
            select(SpikeAlertRow)
            .where(waiting)
            .order_by(SpikeAlertRow.hour.desc(), SpikeAlertRow.factor.desc(), SpikeAlertRow.id)
            .limit(BANNER_MAX)
        )
    )
    total = len(rows)
    if total == BANNER_MAX:
        total = int(db.session.scalar(select(func.count(SpikeAlertRow.id)).where(waiting)) or 0)
    return rows, total


def acknowledge(alert_id: int, by_id: int, now: datetime | None = None) -> bool:
    """Take an alert off the banner for every staff member; False if it is gone or done."""
    result = db.session.execute(
        update(SpikeAlertRow)
        .where(SpikeAlertRow.id == alert_id, SpikeAlertRow.acknowledged_at.is_(None))
        .values(acknowledged_at=now or utcnow(), acknowledged_by_id=by_id)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
