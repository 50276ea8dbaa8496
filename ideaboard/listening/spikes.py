"""Spike alerts: is this hour's count of a class of mentions far above its usual level?

Pure logic, no database: the caller hands in hourly counts per class (`hourly_counts` makes
them from timestamped mentions) and the hour to judge, and gets back a list of `SpikeAlert`.

The rule (docs/listening.md, "Spike alerts"), for each class separately:

- **count** is the number of mentions of the class in the judged hour (UTC).
- **history** is the same hour of day on each of the previous `baseline_days` days (7): the
  counts at hour − 24 h, hour − 48 h, … hour − 168 h. A day counts only if its hour is at or
  after `history_start` (when listening began; by default the earliest hour in the counts):
  before that there is no record, which is not the same as a quiet hour. Within the history
  an hour with no entry is a quiet hour (0).
- **baseline** is the median of the history. The median, not the mean, so that one earlier
  spike (last Tuesday's outage) does not raise the bar and hide the next one, and one quiet
  holiday does not lower it; the same-hour-of-day comparison already takes care of the daily
  rhythm (a busy evening is compared with busy evenings).
- An alert fires when count ≥ `min_count` (10) **and** count ≥ `factor` (3.0) × max(baseline,
  `floor` (1)). The minimum count keeps a quiet class going 0 → 3 silent; the floor keeps a
  baseline of 0 from making any single mention "infinitely" unusual.
- No alert without at least `min_history_days` (1) days of history. With fewer than
  `baseline_days` days the alert is still raised on what there is and says so
  (`history_days`, `describe()`).

Hours are UTC hours, always: a time zone (or a daylight-saving change) never moves a mention
into another bucket or shortens a day of the comparison. Staff pages convert the hour to the
viewer's own time zone for display only.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ideaboard.listening.classify import LABELS, Label

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

# Hourly counts per class: {(UTC hour, label): count}. The hour is a timezone-aware datetime
# on the hour (minute, second and microsecond 0); `hourly_counts` builds this shape.
HourlyCounts = Mapping[tuple[datetime, Label], int]

# The settings' names in the application's configuration (and the environment).
FACTOR_SETTING = "IDEABOARD_SPIKE_FACTOR"
MIN_COUNT_SETTING = "IDEABOARD_SPIKE_MIN_COUNT"


@dataclass(frozen=True)
class SpikeSettings:
    """How unusual an hour must be before staff are alerted; checked when made.

    factor: the count must be at least this many times the baseline (1 to 100).
    min_count: the count must be at least this many mentions (1 to 1,000,000).
    baseline_days: how many previous days of the same hour make the baseline (1 to 28).
    min_history_days: no alert with fewer days of history than this (1 to baseline_days).
    floor: the baseline used is never below this (above 0), so 0 → 1 is not a spike.
    """

    factor: float = 3.0
    min_count: int = 10
    baseline_days: int = 7
    min_history_days: int = 1
    floor: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.factor) and 1.0 <= self.factor <= 100.0):
            raise ValueError(
                f"spike factor ({FACTOR_SETTING}) must be from 1 to 100, not {self.factor!r}"
            )
        if not 1 <= self.min_count <= 1_000_000:
            raise ValueError(
                f"spike minimum count ({MIN_COUNT_SETTING}) must be from 1 to 1000000, "
                f"not {self.min_count}"
            )
        if not 1 <= self.baseline_days <= 28:
            raise ValueError(f"spike baseline must be 1 to 28 days, not {self.baseline_days}")
        if not 1 <= self.min_history_days <= self.baseline_days:
            raise ValueError(
                f"spike minimum history must be 1 to {self.baseline_days} days, "
                f"not {self.min_history_days}"
            )
        if not (math.isfinite(self.floor) and 0.0 < self.floor <= 1_000_000.0):
            raise ValueError(f"spike baseline floor must be above 0, not {self.floor!r}")

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> SpikeSettings:
        """Settings from the application's configuration (IDEABOARD_SPIKE_FACTOR and
        IDEABOARD_SPIKE_MIN_COUNT; the defaults where a key is missing). Numbers given as
        strings (from the environment) are accepted; anything else is a ValueError."""
        factor = _number(config.get(FACTOR_SETTING, cls.factor), FACTOR_SETTING)
        min_count = _number(config.get(MIN_COUNT_SETTING, cls.min_count), MIN_COUNT_SETTING)
        if min_count != int(min_count):
            raise ValueError(f"{MIN_COUNT_SETTING} must be a whole number, not {min_count!r}")
        return cls(factor=factor, min_count=int(min_count))


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{name} must be a number, not {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    return number


@dataclass(frozen=True)
class SpikeAlert:
    """One class of mentions far above its usual level in one UTC hour.

    factor_seen is count / max(baseline, floor): the number compared with the factor.
    history_days is how many previous days made the baseline (fewer than baseline_days for a
    new account); baseline_days is how many were asked for.
    """

    label: Label
    hour: datetime
    count: int
    baseline: float
    factor_seen: float
    history_days: int
    baseline_days: int

    @property
    def short_history(self) -> bool:
        return self.history_days < self.baseline_days

    def as_payload(self) -> dict[str, object]:
        """The alert as JSON-ready data (for a `mentions.spike` webhook event or a log)."""
        return {
            "label": self.label,
            "hour": self.hour.isoformat(),
            "count": self.count,
            "baseline": self.baseline,
            "factor_seen": round(self.factor_seen, 2),
            "history_days": self.history_days,
            "baseline_days": self.baseline_days,
        }

    def describe(self) -> str:
        """One line for staff and logs, with the hour in UTC (pages convert it)."""
        days = (
            f"{self.history_days} days"
            if not self.short_history
            else f"only {self.history_days} of {self.baseline_days} days"
        )
        return (
            f"{self.label} spike at {self.hour:%Y-%m-%d %H:00} UTC: {self.count} mentions in the "
            f"hour, {self.factor_seen:.1f}× the usual {self.baseline:g} (median of the same hour "
            f"on the previous {days})"
        )


def utc_hour(moment: datetime) -> datetime:
    """The UTC hour a moment falls in. A naive datetime is refused: its zone is unknown."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a timestamp needs a time zone, not a naive {moment.isoformat()}")
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def hourly_counts(mentions: Iterable[tuple[datetime, Label]]) -> dict[tuple[datetime, Label], int]:
    """Count timestamped, classified mentions per (UTC hour, class).

    Timestamps may be in any time zone (Asia/Seoul, UTC, a zone with daylight saving): each is
    converted to UTC and cut to the hour, so the same instant always lands in the same bucket.
    Hours without mentions are left out (read them as 0)."""
    counts: dict[tuple[datetime, Label], int] = {}
    for moment, label in mentions:
        if label not in LABELS:
            raise ValueError(f"unknown mention class {label!r}; expected one of {LABELS}")
        key = (utc_hour(moment), label)
        counts[key] = counts.get(key, 0) + 1
    return counts


def detect_spikes(
    counts: HourlyCounts,
    hour: datetime,
    settings: SpikeSettings | None = None,
    *,
    history_start: datetime | None = None,
) -> list[SpikeAlert]:
    """The spike alerts for `hour` (any moment in it; judged as its UTC hour), most severe
    first (highest factor_seen, then highest count).

    history_start is the first hour for which counts are complete (when the account began to
    be listened to); by default the earliest hour in `counts`. Counts after the judged hour are
    ignored. Judge a finished hour: a running hour is undercounted (which can only hide an
    alert, never raise a false one)."""
    settings = settings or SpikeSettings()
    judged = utc_hour(hour)
    past = [judged - DAY * day for day in range(1, settings.baseline_days + 1)]
    wanted = {judged, *past}

    # One pass over the counts: re-bucket every key to its UTC hour (so keys made in another
    # zone still match), keep only the hours the rule reads, find the earliest hour.
    relevant: dict[tuple[datetime, Label], int] = {}
    earliest: datetime | None = None
    for (moment, label), count in counts.items():
        if label not in LABELS:
            raise ValueError(f"unknown mention class {label!r}; expected one of {LABELS}")
        if count < 0:
            raise ValueError(f"a count cannot be negative: {count} for {label} at {moment}")
        bucket = utc_hour(moment)
        if count and (earliest is None or bucket < earliest):
            earliest = bucket
        if bucket in wanted:
            relevant[(bucket, label)] = relevant.get((bucket, label), 0) + count

    start = utc_hour(history_start) if history_start is not None else earliest
    if start is None:
        return []
    history_hours = [moment for moment in past if moment >= start]
    if len(history_hours) < settings.min_history_days:
        return []

    alerts: list[SpikeAlert] = []
    for label in LABELS:
        count = relevant.get((judged, label), 0)
        if count < settings.min_count:
            continue
        baseline = float(statistics.median(relevant.get((h, label), 0) for h in history_hours))
        bar = max(baseline, settings.floor)
        if count >= settings.factor * bar:
            alerts.append(
                SpikeAlert(
                    label=label,
                    hour=judged,
                    count=count,
                    baseline=baseline,
                    factor_seen=count / bar,
                    history_days=len(history_hours),
                    baseline_days=settings.baseline_days,
                )
            )
    alerts.sort(key=lambda alert: (-alert.factor_seen, -alert.count, LABELS.index(alert.label)))
    return alerts
