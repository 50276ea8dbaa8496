"""Absolute URLs of the site: always on IDEABOARD_PUBLIC_URL, never on the request's Host.

Links that leave the site (replies and posts on X, webhook and API payloads, Atom feeds,
notifications) and absolute links in pages must not depend on the Host header a visitor
sent: a page kept by the page cache would otherwise hand a forged host's links to everyone.
So every absolute URL is built here, from the configured public address.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app, has_request_context, request, url_for

if TYPE_CHECKING:
    from .ideas.models import Idea


def public_base() -> str:
    """Return IDEABOARD_PUBLIC_URL without its trailing slash (e.g. "https://ideas.example")."""
    return str(current_app.config["IDEABOARD_PUBLIC_URL"]).rstrip("/")


def public_url(path: str) -> str:
    """Return a site path ("/ideas/3") as an absolute URL on IDEABOARD_PUBLIC_URL."""
    if not path.startswith("/"):
        path = "/" + path
    return public_base() + path


def public_url_for(endpoint: str, **values: Any) -> str:
    """`url_for(endpoint, **values)` as an absolute URL on IDEABOARD_PUBLIC_URL.

    The application root a proxy may mount the site under is part of IDEABOARD_PUBLIC_URL,
    so it is taken off the path url_for builds.
    """
    values.pop("_external", None)
    path = url_for(endpoint, **values)
    root = request.script_root if has_request_context() else ""
    if root and path.startswith(root + "/"):
        path = path[len(root) :]
    return public_url(path)


def idea_path(idea: Idea | int) -> str:
    """Return the idea page's path on the site ("/ideas/3")."""
    idea_id = idea if isinstance(idea, int) else idea.id
    return f"/ideas/{idea_id}"


def idea_url(idea: Idea | int) -> str:
    """Return the idea page's absolute public URL."""
    return public_url(idea_path(idea))
