"""A few seconds' cache of the public pages as anonymous visitors see them ("micro-caching").

Most of a busy board's traffic is people who are not logged in reading the same few pages:
the Trending tab, a popular idea, a popular search. Rendering one of those pages costs tens of
milliseconds of template work; serving it again from memory costs well under one. So pages
that look the same to every anonymous visitor in a language are kept for
IDEABOARD_PAGE_CACHE_SECONDS (5 by default; 0 switches the cache off):

- only GET/HEAD of the views decorated with `@cache_for_visitors`, only for visitors who are not
  logged in, who have no flashed message waiting and who did not ask for JSON;
- the key is the host, the language, the time zone (for anonymous visitors it follows from
  the language and IDEABOARD_TIMEZONE, timezones.py) and the full path with its query string
  (absolute links come from IDEABOARD_PUBLIC_URL, never the Host header; keying on the host
  as well means a request with a forged Host can never fill the copy others are served);
- only complete 200 pages are kept;
- the per-visitor CSRF token in the page's forms (the vote buttons, the language switch) is
  rendered as a placeholder and filled in for each visitor on the way out, so a cached page
  never hands one visitor's token to another. A page that put a real token in its HTML some
  other way is not kept.

Logged-in people always get a fresh page. What anonymous visitors see may lag a change by up
to the cache's lifetime (a vote count, a stage); that is the trade.

The pages are kept in flask-caching: in the process (SimpleCache, bounded) by default, or in
Redis when REDIS_URL is set, so that every web process shares them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, current_app, g, request, session
from flask_babel import get_locale, get_timezone
from flask_caching import Cache
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from .web import wants_json

cache = Cache()

F = TypeVar("F", bound=Callable[..., Any])

# Unguessable, so that no text on a page (an idea's title, say) can be mistaken for it.
CSRF_PLACEHOLDER = f"csrf-placeholder-{secrets.token_hex(12)}"
_PREFIX = "ib-page:"


def init_page_cache(app: Flask) -> None:
    """Bind the cache to the app and route `csrf_token()` in templates through the placeholder."""
    app.config.setdefault("IDEABOARD_PAGE_CACHE_SECONDS", 5)
    redis_url = app.config.get("REDIS_URL")
    backend: dict[str, Any] = (
        {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis_url}
        if redis_url
        # In the process: at most 2,000 pages (anonymous copies and memberpages.py's shared
        # copies, ~20-60 KB each), a third of them dropped when it is full.
        else {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 2000}
    )
    cache.init_app(app, config={**backend, "CACHE_KEY_PREFIX": _PREFIX})
    # Flask-WTF offers csrf_token() both as a global and from a context processor; this
    # processor runs after its one, so templates get the placeholder-aware version.
    app.jinja_env.globals["csrf_token"] = _template_csrf_token
    app.context_processor(lambda: {"csrf_token": _template_csrf_token})


def _template_csrf_token() -> str:
    """`csrf_token()` in templates: the placeholder while a page is rendered for the cache."""
    if g.get("_ib_page_cache_render") or g.get("_ib_shared_render"):
        return CSRF_PLACEHOLDER
    return str(generate_csrf())  # flask-wtf is untyped


def _cacheable_request() -> bool:
    if request.method not in ("GET", "HEAD") or current_user.is_authenticated:
        return False
    if "_flashes" in session or request.headers.get("X-Requested-With"):
        return False
    return not wants_json()


def _fill_in(html: str) -> str:
    return html.replace(CSRF_PLACEHOLDER, generate_csrf()) if CSRF_PLACEHOLDER in html else html


def cache_for_visitors(view: F) -> F:
    """Serve this view's page to anonymous visitors from the cache, refreshed every few seconds.

    The view must return the page as a `str` (a tuple or Response, e.g. an error, is passed
    through and not kept).
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        seconds = current_app.config["IDEABOARD_PAGE_CACHE_SECONDS"]
        if not seconds or not _cacheable_request():
            return view(*args, **kwargs)
        # Anonymous visitors' zone follows from the language (timezones.py); it is in the key
        # anyway, so a page never shows times in another visitor's zone.
        key = f"{request.host}:{get_locale()}:{get_timezone()}:{request.full_path}"
        html = cache.get(key)
        if html is not None:
            return _fill_in(html)
        g._ib_page_cache_render = True
        try:
            result = view(*args, **kwargs)
        finally:
            g._ib_page_cache_render = False
        if not isinstance(result, str):
            return result
        real_token = g.get("csrf_token")  # set if something called generate_csrf directly
        if not (real_token and real_token in result):
            cache.set(key, result, timeout=seconds)
        return _fill_in(result)

    return cast(F, wrapper)


def forget_pages() -> None:
    """Drop every kept page: call after a change anonymous visitors must see at once (an idea
    or comment edited, deleted or hidden), after the change is committed."""
    cache.clear()
