"""Public transparency pages: Ideas in Action, the stats page and the Atom feeds of answers."""

from __future__ import annotations

import logging
import math
import xml.etree.ElementTree as ET  # noqa: S405 - we only build XML here, never parse input
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from babel.dates import format_skeleton
from flask import Blueprint, Response, render_template
from flask_babel import format_date, format_number, get_locale
from flask_babel import gettext as _

from ..database import utcnow
from ..i18n import display_name
from ..ideas.attribution import network_name
from ..ideas.models import Idea, Source
from ..ideas.services import get_idea
from ..pagecache import cache_for_visitors
from ..triage.models import StatusChange
from ..urls import public_base, public_url_for
from . import services
from .services import WeekCount

logger = logging.getLogger(__name__)

bp = Blueprint("insights", __name__)

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
FEED_LIMIT = 50
# The date part of the site feed's tag: URI. Feed readers key on ids: never change it.
SITE_FEED_TAG_DATE = "2026"


# --- the weekly chart ----------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int


@dataclass(frozen=True)
class ChartColumn:
    week: WeekCount
    label: str  # short, for the axis
    long_label: str  # full date, for the data table and tooltips
    label_x: float
    received: Bar
    answered: Bar
    # The axis labels shown on narrow screens: every second, then every third week, counted
    # back from the current one (see `.stats-chart-x` in app.css).
    every_second: bool
    every_third: bool


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class WeeklyChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    columns: tuple[ChartColumn, ...]
    ticks: tuple[Tick, ...]


def _axis_max(largest: int, steps: int) -> int:
    """Round largest up to steps times a 1, 2 or 5 × 10ⁿ step, so the ticks read well."""
    if largest <= steps:
        return steps
    raw = largest / steps
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return int(step * steps)


def short_date(day: date) -> str:
    """The axis label of a week: "Nov 28" in English, "11. 28." in Korean (short, numeric)."""
    locale = get_locale()
    skeleton = "Md" if locale is not None and locale.language == "ko" else "MMMd"
    return format_skeleton(skeleton, day, locale=locale)


def weekly_chart(weeks: tuple[WeekCount, ...], width: int = 600, height: int = 200) -> WeeklyChart:
    """Lay out received-vs-answered bars per week in SVG user units.

    The SVG holds only the bars and grid lines and stretches to its box
    (preserveAspectRatio="none"); the axis labels are HTML beside and under it, so their text
    keeps its size on a phone instead of shrinking with the drawing.
    """
    left, right, top, bottom = 0, width, 0, height
    steps = 4
    top_value = _axis_max(max((max(w.received, w.answered) for w in weeks), default=0), steps)
    plot_height = bottom - top
    group = (right - left) / max(1, len(weeks))
    bar = group * 0.36

    def scaled(value: int) -> float:
        return round(plot_height * value / top_value, 1)

    def make_bar(x: float, value: int) -> Bar:
        h = scaled(value)
        return Bar(
            x=round(x, 1), y=round(bottom - h, 1), width=round(bar, 1), height=h, value=value
        )

    columns = []
    for n, week in enumerate(weeks):
        x0 = left + n * group + group * 0.1
        back = len(weeks) - 1 - n  # weeks before the current one
        columns.append(
            ChartColumn(
                week=week,
                label=short_date(week.start),
                long_label=format_date(week.start, "long"),
                label_x=round(left + n * group + group / 2, 1),
                received=make_bar(x0, week.received),
                answered=make_bar(x0 + bar + group * 0.08, week.answered),
                every_second=back % 2 == 0,
                every_third=back % 3 == 0,
            )
        )
    ticks = tuple(
        Tick(
            y=round(bottom - plot_height * i / steps, 1),
            label=format_number(top_value * i // steps),
        )
        for i in range(steps + 1)
    )
    return WeeklyChart(width, height, left, right, top, bottom, tuple(columns), ticks)


# --- pages ---------------------------------------------------------------------------------


def _source_labels() -> dict[str, str]:
    labels = {source.value: network_name(source.value) for source in Source}
    labels.update({Source.WEB.value: _("Website"), Source.X.value: _("X (Twitter)")})
    return labels


@bp.get("/ideas-in-action")
@cache_for_visitors
def in_action() -> str:
    """Show the launched ideas with the note that announced each launch."""
    return render_template("insights/in_action.html", launched=services.launched_ideas())


@bp.get("/stats")
@cache_for_visitors
def stats() -> str:
    """Show how many ideas came in, where they stand and how fast they were answered."""
    figures = services.board_stats()
    labels = _source_labels()
    sources = [(labels.get(source, source), count) for source, count in figures.by_source.items()]
    return render_template(
        "insights/stats.html",
        stats=figures,
        sources=sources,
        chart=weekly_chart(figures.weeks),
    )


# --- Atom feeds ----------------------------------------------------------------------------


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _tag_authority() -> str:
    # From the configured address, never the request's Host (a visitor chooses that one).
    return urlsplit(public_base()).hostname or "localhost"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _entry(feed: ET.Element, change: StatusChange, authority: str) -> None:
    idea = change.idea
    stage = change.to_stage
    entry = _sub(feed, "entry")
    _sub(entry, "id", f"tag:{authority},{change.created_at:%Y-%m-%d}:status-change/{change.id}")
    _sub(entry, "title", _("%(stage)s: %(title)s", stage=display_name(stage), title=idea.title))
    _sub(entry, "updated", _rfc3339(change.created_at))
    _sub(entry, "published", _rfc3339(change.created_at))
    link = public_url_for("ideas.show", idea_id=idea.id, _anchor=f"status-{change.id}")
    _sub(entry, "link", rel="alternate", type="text/html", href=link)
    author = _sub(entry, "author")
    _sub(author, "name", change.by.name if change.by is not None else _("The IdeaBoard team"))
    _sub(entry, "category", term=stage.slug, label=display_name(stage))
    _sub(entry, "content", change.note_html, type="html")


def _feed(
    *,
    feed_id: str,
    title: str,
    self_url: str,
    alternate: str,
    changes: list[StatusChange],
    empty: datetime,
    entry: Callable[[ET.Element, StatusChange, str], None] = _entry,
) -> Response:
    # A default namespace attribute instead of ET.register_namespace: no global state.
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    _sub(feed, "id", feed_id)
    _sub(feed, "title", title)
    _sub(feed, "updated", _rfc3339(max((c.created_at for c in changes), default=empty)))
    _sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _sub(feed, "link", rel="alternate", type="text/html", href=alternate)
    _sub(_sub(feed, "author"), "name", _("The IdeaBoard team"))
    authority = _tag_authority()
    for change in changes:
        entry(feed, change, authority)
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Response(body, content_type=ATOM_TYPE)


@bp.get("/feeds/status.atom")
def status_feed() -> Response:
    """Serve the newest public status updates of every visible idea as Atom."""
    return _feed(
        feed_id=f"tag:{_tag_authority()},{SITE_FEED_TAG_DATE}:feeds/status",
        title=_("IdeaBoard: status updates"),
        self_url=public_url_for("insights.status_feed"),
        alternate=public_url_for("ideas.index"),
        changes=services.recent_status_changes(FEED_LIMIT),
        empty=utcnow(),
    )


@bp.get("/ideas/<id:idea_id>/status.atom")
def idea_status_feed(idea_id: int) -> Response:
    """Serve one visible idea's public status updates as Atom; 404 for unknown or hidden."""
    idea: Idea = get_idea(idea_id, None)  # as the public sees it, whoever asks
    return _feed(
        feed_id=f"tag:{_tag_authority()},{idea.created_at:%Y-%m-%d}:ideas/{idea.id}/status",
        title=_("Status updates: %(title)s", title=idea.title),
        self_url=public_url_for("insights.idea_status_feed", idea_id=idea.id),
        alternate=public_url_for("ideas.show", idea_id=idea.id),
        changes=services.recent_status_changes(FEED_LIMIT, idea=idea),
        empty=idea.created_at,
    )


# The roadmap and the changelog (insights.public) are views of this blueprint too.
from . import public as _public  # noqa: E402, F401
