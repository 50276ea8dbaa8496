"""Who may use the sandbox Mastodon server, and its pages' CSRF tokens.

The same rule as the other sandboxes (sandboxes/common/guard.py): the API, the
admin routes and everything else answer only clients on this machine (loopback address, a
local Host name, no proxy headers); the pages (and the status links that open them) also
answer whoever the mounting app's `ui_access(environ)` lets in. Forms carry a signed
double-submit CSRF token: a nonce and its HMAC in a SameSite=Strict cookie and a hidden field.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify

from ..common.guard import Guard as BaseGuard
from ..common.guard import GuardKit, UiAccess

__all__ = ["Guard", "UiAccess", "csrf_ok", "csrf_token", "init_guard"]

UI_ENDPOINTS = frozenset(
    {
        "mastodon_sandbox_pages.index",
        "mastodon_sandbox_pages.act",
        "mastodon_sandbox_pages.css",
        "mastodon_sandbox_pages.status_link",
        "mastodon_sandbox_pages.profile_link",
    }
)
PUBLIC_ENDPOINTS = frozenset({"mastodon_sandbox_pages.avatar"})


class Guard(BaseGuard):
    """The Mastodon sandbox app's access rule and CSRF key."""

    UI_ENDPOINTS = UI_ENDPOINTS
    PUBLIC_ENDPOINTS = PUBLIC_ENDPOINTS


def _refuse(message: str) -> tuple[Response, int]:
    return jsonify({"error": message}), 403


_KIT = GuardKit("mastodon_sandbox", label="Mastodon", api_prefix="/api/", refuse=_refuse)
EXTENSION_KEY = _KIT.extension_key
CSRF_COOKIE = _KIT.cookie
csrf_token = _KIT.csrf_token
csrf_ok = _KIT.csrf_ok


def init_guard(app: Flask, guard: Guard) -> None:
    """Refuse strangers before any view runs; add the headers and the CSRF cookie after."""
    _KIT.install(app, guard)
