"""Who may use the sandbox Mastodon server, and its pages' CSRF tokens.

The same rule as the X sandbox (sandboxes/x/guard.py, whose Guard this reuses): the API, the
admin routes and everything else answer only clients on this machine (loopback address, a
local Host name, no proxy headers); the pages (and the status links that open them) also
answer whoever the mounting app's `ui_access(environ)` lets in. Forms carry a signed
double-submit CSRF token: a nonce and its HMAC in a SameSite=Strict cookie and a hidden field.
"""

from __future__ import annotations

import hmac

from flask import Flask, Response, current_app, g, jsonify, request

from sandboxes.x.guard import SECURITY_HEADERS, Guard, UiAccess

__all__ = ["Guard", "UiAccess", "csrf_ok", "csrf_token", "init_guard"]

EXTENSION_KEY = "mastodon_sandbox_guard"
CSRF_COOKIE = "mastodon_sandbox_csrf"
CSRF_FIELD = "csrf_token"
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


def _guard() -> Guard:
    guard: Guard = current_app.extensions[EXTENSION_KEY]
    return guard


def allows(guard: Guard, environ: dict[str, object], endpoint: str | None) -> bool:
    """Whether this request may reach the endpoint."""
    if endpoint in PUBLIC_ENDPOINTS or guard.is_local(environ):
        return True
    return endpoint in UI_ENDPOINTS and guard.ui_access is not None and guard.ui_access(environ)


def csrf_token() -> str:
    """The token for this response's forms (the cookie's, or a new one set after the request)."""
    if "mastodon_sandbox_csrf" not in g:
        guard = _guard()
        existing = request.cookies.get(CSRF_COOKIE)
        g.mastodon_sandbox_csrf = existing if guard.valid(existing) else guard.new_token()
    token: str = g.mastodon_sandbox_csrf
    return token


def csrf_ok() -> bool:
    """Whether a form POST carries the cookie's token in its field, both signed by us."""
    cookie = request.cookies.get(CSRF_COOKIE)
    field = request.form.get(CSRF_FIELD)
    return _guard().valid(cookie) and field is not None and hmac.compare_digest(field, cookie or "")


def init_guard(app: Flask, guard: Guard) -> None:
    """Refuse strangers before any view runs; add the headers and the CSRF cookie after."""
    app.extensions[EXTENSION_KEY] = guard
    app.jinja_env.globals["csrf_token"] = csrf_token

    @app.before_request
    def _refuse_strangers() -> Response | tuple[Response, int] | None:
        if allows(guard, request.environ, request.endpoint):
            return None
        message = (
            "The Mastodon sandbox answers only clients on this machine "
            "(and, for its pages, signed-in IdeaBoard staff)."
        )
        if request.path.startswith("/api/"):
            return jsonify({"error": message}), 403
        return Response(message + "\n", status=403, mimetype="text/plain")

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        token = g.get("mastodon_sandbox_csrf")
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
