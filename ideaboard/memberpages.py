"""Board and idea pages from a shared copy, with what is personal filled in for each reader.

A board page is twenty idea cards of Jinja, Babel and per-card work: ~10 ms to render,
where the queries that feed it take well under one. Yet almost all of it is the same for
every reader who sees the same ideas in the same language, time zone and role. The
anonymous page cache (pagecache.py) serves visitors who are not logged in a copy up to a
few seconds old; everyone who signs in — the customers who vote, the staff who triage —
and every anonymous miss gets the page from here, never stale:

- The page is rendered once as a *shared copy*: every personal part is a slot, a marker
  that names what goes there — the reader's vote on each card (the buttons' value,
  `aria-pressed` and title), whether they follow the idea, the main navigation (their
  name, unread count, launch news, the staff link), and the CSRF token.
- The copy is kept under a key made of the *content it shows*: the host, language, time
  zone, the reader's role (staff see internal stages), the full path, and a fingerprint of
  every column of every row on the page (ideas with their stage, category and author;
  comments with theirs; status changes; replies), plus the minute (relative times such as
  "3 minutes ago"). A vote, an edit, a comment or a stage change changes the fingerprint,
  so the next page load renders afresh: nobody is shown a stale count, least of all the
  voter. What the key does not hold (the title of the idea a merged one points to) can lag
  by at most a minute.
- Each request fills the slots from the reader's own state (their votes on the page's
  ideas — one indexed query —, their follow, their navigation, their token).

A page is not shared when the reader has a message waiting (a flash), when they wrote
something on it (their own idea or comment carries edit/delete links and may show hidden
text to them), when they are blocked, or when IDEABOARD_SHARED_PAGE_SECONDS is 0 (the
copies' lifetime; 120 by default). Slot markers carry a per-process random prefix, so no
text on a page can pass for one; a filled page never contains a marker, and a shared copy
never contains a real token (it is swapped for the placeholder before it is kept).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import current_app, g, render_template, request, session, url_for
from flask_babel import get_locale, get_timezone
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import inspect
from sqlalchemy.orm import Mapper

from . import database
from .pagecache import CSRF_PLACEHOLDER, cache
from .web import wants_json

_SLOT = f"ib-slot-{secrets.token_hex(8)}"
_SLOT_RE = re.compile(re.escape(_SLOT) + r":([a-z]):(\d+):([a-z]{2})")
_PREFIX = "shared"


# --- in templates ---------------------------------------------------------------------------
def shared_render() -> bool:
    """True while the page is rendered as a shared copy (templates leave personal parts out)."""
    return bool(g.get("_ib_shared_render"))


def slot(kind: str, ident: int, part: str) -> str:
    """The marker for one personal part: filled in per reader (see _fill)."""
    return f"{_SLOT}:{kind}:{ident}:{part}"


# --- the content key ------------------------------------------------------------------------
# Per mapped class: its column attributes, and the rows it always holds loaded.
_SHAPES: dict[type, tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _shape(cls: type) -> tuple[tuple[str, ...], tuple[str, ...]]:
    shape = _SHAPES.get(cls)
    if shape is None:
        mapper: Mapper[Any] = inspect(cls)
        columns = tuple(attr.key for attr in mapper.column_attrs)
        # Only the rows a query always loads with it (lazy="joined"): what else happens to be
        # loaded depends on what ran before, and the key must not.
        held = tuple(
            rel.key for rel in mapper.relationships if not rel.uselist and rel.lazy == "joined"
        )
        shape = _SHAPES[cls] = (columns, held)
    return shape


def _row(obj: Any, parts: list[Any], depth: int) -> None:
    """Every loaded column of obj, and (depth permitting) of the rows it holds loaded."""
    loaded = obj._sa_instance_state.dict
    columns, held = _shape(type(obj))
    parts.append(type(obj).__name__)
    parts.append(tuple([loaded.get(key) for key in columns]))  # not loaded: None
    if depth > 0:
        for key in held:
            other = loaded.get(key)
            if other is not None:
                _row(other, parts, depth - 1)


def fingerprint(*groups: Any) -> str:
    """A digest of the rows (ORM objects, with the rows they hold loaded) and plain values.

    A group is a row, a list of rows, or a plain value (compared by its repr). Relationship
    lists are not followed: pass them as their own group (the idea page passes its status
    changes and comments).
    """
    parts: list[Any] = []
    for group in groups:
        items = group if isinstance(group, list | tuple) else [group]
        for item in items:
            if hasattr(item, "_sa_instance_state"):
                _row(item, parts, depth=1)
            elif isinstance(item, Mapping):
                parts.append(sorted(item.items(), key=repr))
            else:
                parts.append(item)
        parts.append("|")
    return hashlib.blake2b(repr(parts).encode(), digest_size=20).hexdigest()


# --- serving --------------------------------------------------------------------------------
def _role() -> str:
    return str(current_user.role) if current_user.is_authenticated else "anonymous"


def _shareable(authors: Iterable[int | None]) -> bool:
    if not current_app.config["IDEABOARD_SHARED_PAGE_SECONDS"]:
        return False
    if request.method not in ("GET", "HEAD") or "_flashes" in session or wants_json():
        return False
    if not current_user.is_authenticated:
        return True
    return not current_user.is_blocked and current_user.id not in set(authors)


def render_page(
    template: str,
    *,
    content: Iterable[Any],
    authors: Iterable[int | None] = (),
    reader_votes: Mapping[int, int] | None = None,
    reader_follows: Mapping[int, bool] | None = None,
    shared: bool = True,
    more_context: Callable[[], dict[str, Any]] | None = None,
    rendered_content: Callable[[dict[str, Any]], Iterable[Any]] | None = None,
    **context: Any,
) -> str:
    """Render template for the signed-in reader from the shared copy of its content.

    content: what the page shows (ORM rows and plain values) — the key of the shared copy.
    authors: who wrote what is on the page (a reader among them gets a page of their own).
    shared: False for a page that must be the reader's own (a refused form, say).
    more_context: context only a render needs (forms, say): not built for a kept copy.
    rendered_content: when the rows rendered are read apart from content (the board reads
    plain values to look its copy up, and ideas only to render it), what they show, in
    content's terms: the copy is kept under that, so it never holds what its key does not.
    reader_votes / reader_follows: the reader's vote and follow per idea id, for the slots.
    The context must also carry them as the template expects (my_votes, my_vote, following),
    for the pages that are not shared.
    """
    if more_context is not None:
        build, context = more_context, dict(context)

        def full_context() -> dict[str, Any]:
            return {**context, **build()}
    else:

        def full_context() -> dict[str, Any]:
            return context

    if not (shared and _shareable(authors)):
        return render_template(template, **full_context())
    minute = int(database.utcnow().timestamp() // 60)
    key = _key(content, minute)  # before rendering loads more of the rows
    html = cache.get(key)
    if html is None:
        full = full_context()
        g._ib_shared_render = True
        try:
            html = render_template(template, **full)
        finally:
            g._ib_shared_render = False
        real_token = g.get("csrf_token")  # a form's hidden_tag() put the real one in
        if real_token:
            html = html.replace(real_token, CSRF_PLACEHOLDER)
        if rendered_content is not None:
            key = _key(rendered_content(full), minute)
        cache.set(key, html, timeout=current_app.config["IDEABOARD_SHARED_PAGE_SECONDS"])
    return _fill(html, reader_votes or {}, reader_follows or {})


def _key(content: Iterable[Any], minute: int) -> str:
    return ":".join(
        (
            _PREFIX,
            request.host,
            str(get_locale()),
            str(get_timezone()),
            _role(),
            request.full_path,
            # The minute, as the app's clock tells it: relative times ("3 minutes ago").
            fingerprint(*content, minute),
        )
    )


def _vote_parts(mine: int, texts: Mapping[str, str]) -> dict[str, str]:
    return {
        "uv": "0" if mine == 1 else "1",
        "up": "true" if mine == 1 else "false",
        "ut": texts["withdraw"] if mine == 1 else texts["up"],
        "dv": "0" if mine == -1 else "-1",
        "dp": "true" if mine == -1 else "false",
        "dt": texts["withdraw"] if mine == -1 else texts["down"],
    }


def _fill(html: str, votes: Mapping[int, int], following: Mapping[int, bool]) -> str:
    """Put the reader's own parts into a shared copy."""
    from markupsafe import escape

    from .web import vote_texts

    texts = {key: str(escape(value)) for key, value in vote_texts().items()}
    by_vote = {mine: _vote_parts(mine, texts) for mine in (-1, 0, 1)}
    nav: list[str] = []

    def one(match: re.Match[str]) -> str:
        kind, ident, part = match.group(1), int(match.group(2)), match.group(3)
        if kind == "v":
            return by_vote[votes.get(ident, 0)][part]
        if kind == "f":
            return _follow_part(ident, part, following.get(ident, False))
        if not nav:  # "n": the main navigation, as this reader sees it
            nav.append(_main_nav())
        return nav[0]

    html = _SLOT_RE.sub(one, html)
    if g.get("_ib_page_cache_render"):  # an anonymous copy to keep: pagecache.py fills it
        return html
    return html.replace(CSRF_PLACEHOLDER, generate_csrf())


def _follow_part(idea_id: int, part: str, follows: bool) -> str:
    from flask_babel import gettext as _
    from markupsafe import escape

    if part == "ac":
        return url_for("ideas.unfollow" if follows else "ideas.follow", idea_id=idea_id)
    if part == "pr":
        return "true" if follows else "false"
    text = _("Following ✓ — stop following") if follows else _("Follow this idea")
    return str(escape(text))


# The navigation differs per reader only by what its key holds; the last few thousand are kept
# in the process, with the CSRF placeholder (filled in with the page's).
_NAV_KEPT = 4096
_navs: OrderedDict[tuple[Any, ...], str] = OrderedDict()


def _main_nav() -> str:
    from .web import nav_counts

    unread, news = nav_counts()
    user = current_user
    key = (user.id, user.name, user.role, str(get_locale()), unread, news)
    html = _navs.get(key)
    if html is None:
        g._ib_shared_render = True  # csrf_token() gives the placeholder
        try:
            html = render_template("_main_nav.html", unread_notifications=unread)
        finally:
            g._ib_shared_render = False
        _navs[key] = html
        if len(_navs) > _NAV_KEPT:
            _navs.popitem(last=False)
    return html
