"""Who may use the Bluesky sandbox, its CSRF tokens and its response headers.

The same rule as the X sandbox (sandboxes/common/guard.py, whose Guard it uses): the XRPC
methods and the /sandbox JSON helpers answer clients on this machine only; the page (GET and
POST /sandbox/ and its stylesheet) also answers whoever the mounting app's `ui_access(environ)`
lets in (IdeaBoard: signed-in staff). Forms carry a signed double-submit CSRF token.
"""

from __future__ import annotations

from flask import Flask, Response

from ..common.guard import Guard, GuardKit, UiAccess
from .errors import XrpcError

__all__ = ["BlueskyGuard", "UiAccess", "csrf_ok", "csrf_token", "init_guard"]

UI_ENDPOINTS = frozenset(
    {"bluesky_sandbox_pages.index", "bluesky_sandbox_pages.act", "bluesky_sandbox_pages.css"}
)


class BlueskyGuard(Guard):
    """The sandboxes' guard with this sandbox's page endpoints."""

    UI_ENDPOINTS = UI_ENDPOINTS


def _refuse(message: str) -> Response:
    return XrpcError(403, "Forbidden", message).to_response()


_KIT = GuardKit(
    "bluesky_sandbox", label="Bluesky", api_prefix="/xrpc/", refuse=_refuse, pages="page"
)
EXTENSION_KEY = _KIT.extension_key
CSRF_COOKIE = _KIT.cookie
csrf_token = _KIT.csrf_token
csrf_ok = _KIT.csrf_ok


def init_guard(app: Flask, guard: BlueskyGuard) -> None:
    """Refuse strangers before any view runs; add the headers and the CSRF cookie after."""
    _KIT.install(app, guard)
