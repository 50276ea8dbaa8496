"""Who may use the Bluesky sandbox, its CSRF tokens and its response headers.

The same rule as the X sandbox (sandboxes/x/guard.py, whose Guard it reuses): the XRPC
methods and the /sandbox JSON helpers answer clients on this machine only; the page (GET and
POST /sandbox/ and its stylesheet) also answers whoever the mounting app's `ui_access(environ)`
lets in (IdeaBoard: signed-in staff). Forms carry a signed double-submit CSRF token.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Flask, Response, current_app, g, request

from sandboxes.x.guard import SECURITY_HEADERS, Guard, UiAccess

from .errors import XrpcError

__all__ = ["BlueskyGuard", "UiAccess", "csrf_ok", "csrf_token", "init_guard"]

EXTENSION_KEY = "bluesky_sandbox_guard"
CSRF_COOKIE = "bluesky_sandbox_csrf"
CSRF_FIELD = "csrf_token"
UI_ENDPOINTS = frozenset(
    {"bluesky_sandbox_pages.index", "bluesky_sandbox_pages.act", "bluesky_sandbox_pages.css"}
)


class BlueskyGuard(Guard):
    """The X sandbox's guard with this sandbox's page endpoints."""

    def allows(self, environ: dict[str, Any], endpoint: str | None) -> bool:
        """Whether this request may reach the endpoint."""
        if self.is_local(environ):
            return True
        return endpoint in UI_ENDPOINTS and self.ui_access is not None and self.ui_access(environ)


def _guard() -> BlueskyGuard:
    guard: BlueskyGuard = current_app.extensions[EXTENSION_KEY]
    return guard


def csrf_token() -> str:
    """The token for this response's forms (the cookie's, or a new one set after the request)."""
    if "bluesky_sandbox_csrf" not in g:
        existing = request.cookies.get(CSRF_COOKIE)
        g.bluesky_sandbox_csrf = existing if _guard().valid(existing) else _guard().new_token()
    token: str = g.bluesky_sandbox_csrf
    return token


def csrf_ok() -> bool:
    """Whether a form POST carries the cookie's token in its field, both signed by us."""
    cookie = request.cookies.get(CSRF_COOKIE)
    field = request.form.get(CSRF_FIELD)
    return _guard().valid(cookie) and field is not None and hmac.compare_digest(field, cookie or "")


def init_guard(app: Flask, guard: BlueskyGuard) -> None:
    """Refuse strangers before any view runs; add the headers and the CSRF cookie after."""
    app.extensions[EXTENSION_KEY] = guard
    app.jinja_env.globals["csrf_token"] = csrf_token

    @app.before_request
    def _refuse_strangers() -> Response | None:
        if guard.allows(request.environ, request.endpoint):
            return None
        message = (
            "The Bluesky sandbox answers only clients on this machine "
            "(and, for its page, signed-in IdeaBoard staff)."
        )
        if request.path.startswith("/xrpc/"):
            return XrpcError(403, "Forbidden", message).to_response()
        return Response(message + "\n", status=403, mimetype="text/plain")

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        token = g.get("bluesky_sandbox_csrf")
        if token is not None and token != request.cookies.get(CSRF_COOKIE):
            response.set_cookie(
                CSRF_COOKIE,
                token,
                httponly=True,
                samesite="Strict",
                secure=request.is_secure,
                path=(request.script_root or "") + "/sandbox/",
            )
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
