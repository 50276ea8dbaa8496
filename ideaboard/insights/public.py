"""The public roadmap (/roadmap), the changelog (/changelog) and its Atom feed.

The rules are in insights.roadmap; docs/architecture.md ("Roadmap and changelog") says how a
stage gets a roadmap column.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - we only build XML here, never parse input
from typing import Any

from flask import Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ..database import utcnow, write_intent
from ..extensions import db
from ..i18n import display_name
from ..ideas import queries as idea_queries
from ..pagecache import cache_for_visitors
from ..triage.models import StatusChange
from ..urls import public_url_for
from . import roadmap as rules
from .views import FEED_LIMIT, SITE_FEED_TAG_DATE, _feed, _rfc3339, _sub, _tag_authority, bp


def _viewer() -> Any:
    return current_user._get_current_object() if current_user.is_authenticated else None


@bp.app_context_processor
def _changelog_news() -> dict[str, Any]:
    """`changelog_news()` in templates: launches the signed-in user voted for since their visit."""

    def news() -> int:
        if not current_user.is_authenticated:
            return 0
        from ..web import nav_counts

        return nav_counts()[1]

    return {"changelog_news": news}


@bp.get("/roadmap")
@cache_for_visitors
def roadmap() -> str | tuple[str, int]:
    """Show what is planned, in progress and recently launched, in one category if asked."""
    error = None
    board = None
    try:
        category = rules.parse_category(request.args.get("category"))
        board = rules.roadmap(category)
    except rules.BadFilter as exc:
        error = exc.message
        category = None
    html = render_template(
        "insights/roadmap.html",
        roadmap=board,
        categories=idea_queries.all_categories(),
        category=category,
        error=error,
        now=utcnow(),
    )
    return (html, 400) if error else html


@bp.get("/changelog")
@cache_for_visitors
def changelog() -> str | tuple[str, int]:
    """Show the launched ideas with their release notes; the visitor's own marks if signed in."""
    viewer = _viewer()
    error = None
    page = None
    category = None
    try:
        category = rules.parse_category(request.args.get("category"))
        page = rules.changelog(category, rules.parse_page(request.args.get("page")))
    except rules.BadFilter as exc:
        error = exc.message
        category = None
    voted: set[int] = set()
    since = None
    if viewer is not None and page is not None:
        voted = rules.voted_for(viewer, [item.idea for item in page.items])
        since = rules.last_visit(viewer)
        if page.page == 1 and category is None:
            # A GET reads in a deferred transaction; end it, so that the write begins as a
            # writer (BEGIN IMMEDIATE on SQLite) and cannot fail on a stale snapshot.
            db.session.commit()
            with write_intent():
                rules.mark_changelog_seen(viewer)
                db.session.commit()
    html = render_template(
        "insights/changelog.html",
        page=page,
        categories=idea_queries.all_categories(),
        category=category,
        error=error,
        voted=voted,
        since=since,
    )
    return (html, 400) if error else html


def _launch_entry(feed: ET.Element, change: StatusChange, authority: str) -> None:
    """One launch in the changelog feed: the idea's title, its release note, its page."""
    idea = change.idea
    entry = _sub(feed, "entry")
    # The launch's own id: stable, and apart from the status feed's entries.
    _sub(entry, "id", f"tag:{authority},{change.created_at:%Y-%m-%d}:launch/{change.id}")
    _sub(entry, "title", idea.title)
    _sub(entry, "updated", _rfc3339(change.created_at))
    _sub(entry, "published", _rfc3339(change.created_at))
    link = public_url_for("ideas.show", idea_id=idea.id)
    _sub(entry, "link", rel="alternate", type="text/html", href=link)
    author = _sub(entry, "author")
    _sub(author, "name", change.by.name if change.by is not None else _("The IdeaBoard team"))
    if idea.category is not None:
        _sub(entry, "category", term=idea.category.slug, label=display_name(idea.category))
    _sub(entry, "content", change.note_html, type="html")


@bp.get("/changelog.atom")
def changelog_feed() -> Response:
    """Serve the newest launches with their release notes as Atom (one category if asked)."""
    category = rules.parse_category(request.args.get("category"))
    launches = rules.changelog(category, 1, FEED_LIMIT).items
    suffix = f"/{category.slug}" if category is not None else ""
    args = {"category": category.slug} if category is not None else {}
    title = (
        _("IdeaBoard changelog: %(category)s", category=display_name(category))
        if category is not None
        else _("IdeaBoard changelog")
    )
    return _feed(
        feed_id=f"tag:{_tag_authority()},{SITE_FEED_TAG_DATE}:changelog{suffix}",
        title=title,
        self_url=public_url_for("insights.changelog_feed", **args),
        alternate=public_url_for("insights.changelog", **args),
        changes=[launch.change for launch in launches],
        empty=utcnow(),
        entry=_launch_entry,
    )
