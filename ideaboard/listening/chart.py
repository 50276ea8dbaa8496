"""The staff dashboard's chart of mentions per hour and class, with the spike hours marked.

Server-rendered SVG (no JavaScript): one stacked bar per UTC hour, one colour per class,
a mark above every hour a spike alert fired for, and the same numbers as a table for screen
readers and for reading exact values. Hours are counted as the spike check counts them
(listening/alerts.mention_counts: the post's hour, never after it was fetched) and labelled
in the viewer's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..timezones import zone_label
from .alerts import hour_span, label_name, mention_counts
from .classify import LABELS
from .models import SpikeAlertRow
from .spikes import HOUR, utc_hour

# The ranges the dashboard offers: name → hours shown (ending with the hour in progress).
RANGES = {"48h": 48, "7d": 7 * 24}
DEFAULT_RANGE = "48h"
PLOT_HEIGHT = 160
TOP = 14  # room for the spike marks
AXIS_WIDTH = 36
LABEL_HEIGHT = 34


@dataclass(frozen=True)
class Segment:
    label: str
    count: int
    y: float
    height: float


@dataclass(frozen=True)
class Bar:
    hour: datetime
    x: float
    counts: dict[str, int]
    total: int
    segments: list[Segment]
    spikes: list[str]  # classes an alert fired for in this hour
    spike_names: str  # the same, in words
    title: str  # the hour and its counts, in words (the bar's tooltip and accessible name)
    tick: str  # the time shown under the bar ("" for most bars)
    day: str  # the date shown under the bar at local midnight, or at the first bar


@dataclass(frozen=True)
class GridLine:
    y: float
    value: int


@dataclass(frozen=True)
class Legend:
    label: str
    name: str
    total: int


@dataclass(frozen=True)
class MentionChart:
    range: str
    ranges: tuple[str, ...]
    bars: list[Bar]
    bar_width: float
    width: float
    height: float
    plot_bottom: float
    grid: list[GridLine]
    legend: list[Legend]
    spike_count: int
    total: int
    summary: str
    zone: str  # the viewer's zone, as the chart's times are written in


def _nice_max(value: int) -> int:
    """The axis' top: value rounded up to 1, 2 or 5 × a power of ten (at least 4)."""
    top = max(value, 4)
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale >= top:
                return step * scale
        scale *= 10


def mention_chart(now: datetime, range_name: str | None) -> MentionChart:
    """The chart for the range (48h or 7d; anything else is 48h) ending with the hour now."""
    chosen = range_name if range_name in RANGES else DEFAULT_RANGE
    hours = RANGES[chosen]
    last = utc_hour(now)
    first = last - HOUR * (hours - 1)
    counts = mention_counts(first, last + HOUR)
    fired: dict[datetime, list[str]] = {}
    for hour, label in db.session.execute(
        select(SpikeAlertRow.hour, SpikeAlertRow.label)
        .where(SpikeAlertRow.hour >= first, SpikeAlertRow.hour <= last)
        .order_by(SpikeAlertRow.hour, SpikeAlertRow.label)
    ):
        fired.setdefault(hour, []).append(label)

    per_hour: list[tuple[datetime, dict[str, int]]] = [
        (first + HOUR * n, {label: counts.get((first + HOUR * n, label), 0) for label in LABELS})
        for n in range(hours)
    ]
    peak = max((sum(c.values()) for _h, c in per_hour), default=0)
    top = _nice_max(peak)
    scale = PLOT_HEIGHT / top
    bottom = TOP + PLOT_HEIGHT
    bar_width = 20.0 if hours <= 48 else 6.0
    tick_every = 6 if hours <= 48 else 24  # a time under every 6th (or 24th) local hour
    names: dict[str, str] = {label: label_name(label) for label in LABELS}

    bars: list[Bar] = []
    previous_day = ""
    for n, (hour, by_label) in enumerate(per_hour):
        y = float(bottom)
        segments = []
        for label in LABELS:
            count = by_label[label]
            if count:
                height = count * scale
                y -= height
                segments.append(Segment(label=label, count=count, y=y, height=height))
        total = sum(by_label.values())
        spikes = fired.get(hour, [])
        parts = [f"{names[label]} {by_label[label]}" for label in LABELS]
        title = _(
            "%(hour)s: %(total)s mentions (%(parts)s)",
            hour=hour_span(hour),
            total=total,
            parts=", ".join(parts),
        )
        if spikes:
            title += " — " + _("spike alert: %(what)s", what=", ".join(names[s] for s in spikes))
        local_hour = format_datetime(hour, "HH")
        day = format_datetime(hour, "MM-dd")
        show_day = day != previous_day and (n == 0 or local_hour == "00")
        previous_day = day if show_day or n == 0 else previous_day
        bars.append(
            Bar(
                hour=hour,
                x=AXIS_WIDTH + n * bar_width,
                counts=by_label,
                total=total,
                segments=segments,
                spikes=spikes,
                spike_names=", ".join(names.get(s, s) for s in spikes),
                title=str(title),
                tick=format_datetime(hour, "HH:mm") if int(local_hour) % tick_every == 0 else "",
                day=day if show_day else "",
            )
        )
    grand_total = sum(bar.total for bar in bars)
    spike_count = sum(len(bar.spikes) for bar in bars)
    legend = [
        Legend(label=label, name=names[label], total=sum(b.counts[label] for b in bars))
        for label in LABELS
    ]
    shown = f"{grand_total:,}"  # en and ko group digits alike
    summary = " ".join(
        (
            str(
                _("%(total)s mentions in the last %(hours)d hours.", total=shown, hours=hours)
                if hours <= 48
                else _(
                    "%(total)s mentions in the last %(days)d days.", total=shown, days=hours // 24
                )
            ),
            str(ngettext("%(num)d spike alert.", "%(num)d spike alerts.", spike_count)),
        )
    )
    return MentionChart(
        range=chosen,
        ranges=tuple(RANGES),
        bars=bars,
        bar_width=bar_width,
        width=AXIS_WIDTH + hours * bar_width + 4,
        height=bottom + LABEL_HEIGHT,
        plot_bottom=bottom,
        grid=[GridLine(y=bottom - PLOT_HEIGHT * f, value=int(top * f)) for f in (0, 0.5, 1)],
        legend=legend,
        spike_count=spike_count,
        total=grand_total,
        summary=summary,
        zone=zone_label(now),
    )
