"""Who may use the sandbox, its CSRF tokens and its response headers.

The sandbox posts as the brand, injects mentions, resets itself and switches faults on, so
it answers only:

- clients on this machine: REMOTE_ADDR in 127.0.0.0/8 or ::1, with a Host header naming this
  machine (or one of the hosts the app was given) — so a web page cannot reach it through
  DNS rebinding — and without proxy headers (X-Forwarded-For, Forwarded, X-Real-IP): a
  request relayed by a reverse proxy on the same machine comes from loopback too, but it is
  not local. Those headers are never trusted for an address, only taken as a sign of a proxy;
- for its pages only (GET/POST /sandbox/ and their stylesheet), anyone the mounting app's
  `ui_access(environ)` callable lets in (IdeaBoard passes one that checks for signed-in staff).

Everyone else gets 403. The generated avatars stay public: they are the same picture for any
id and carry no data, and imported ideas show them to every visitor.

The pages' forms carry a CSRF token: a random nonce and its HMAC under the app's key, set as a
SameSite=Strict cookie and repeated in a hidden field (a signed double-submit cookie), so the
sandbox needs no session of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, current_app, g, request

from .problems import problem

UiAccess = Callable[[dict[str, Any]], bool]

EXTENSION_KEY = "x_sandbox_guard"
CSRF_COOKIE = "x_sandbox_csrf"
CSRF_FIELD = "csrf_token"
PROXY_HEADERS = ("X-Forwarded-For", "X-Forwarded-Host", "Forwarded", "X-Real-IP")

# The endpoints the ui_access callable may open; everything else is for this machine only.
UI_ENDPOINTS = frozenset({"x_sandbox_pages.index", "x_sandbox_pages.act", "x_sandbox_pages.css"})
PUBLIC_ENDPOINTS = frozenset({"x_sandbox_admin.avatar"})

# As strict as IdeaBoard's pages, stricter for styles: the sandbox has no inline style at all.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
    ),
}


class Guard:
    """One sandbox app's access rule and CSRF key."""

    def __init__(
        self,
        *,
        secret_key: bytes,
        ui_access: UiAccess | None = None,
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        self.secret_key = secret_key
        self.ui_access = ui_access
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts)

    def is_local(self, environ: dict[str, Any]) -> bool:
        """Whether the request comes from this machine, directly (see the module docstring)."""
        # ProxyFix (if the mounting app uses it) keeps the socket's address here.
        original = environ.get("werkzeug.proxy_fix.orig") or {}
        address = original.get("REMOTE_ADDR") or environ.get("REMOTE_ADDR") or ""
        if not is_loopback(address):
            return False
        if any(f"HTTP_{name.upper().replace('-', '_')}" in environ for name in PROXY_HEADERS):
            return False
        host = _host_name(str(environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or ""))
        return is_loopback(host) or host == "localhost" or host in self.allowed_hosts

    def allows(self, environ: dict[str, Any], endpoint: str | None) -> bool:
        """Whether this request may reach the endpoint."""
        if endpoint in PUBLIC_ENDPOINTS or self.is_local(environ):
            return True
        return endpoint in UI_ENDPOINTS and self.ui_access is not None and self.ui_access(environ)

    def _sign(self, nonce: str) -> str:
        return hmac.new(self.secret_key, nonce.encode(), hashlib.sha256).hexdigest()

    def new_token(self) -> str:
        """Return a fresh token: nonce.signature."""
        nonce = secrets.token_urlsafe(24)
        return f"{nonce}.{self._sign(nonce)}"

    def valid(self, token: str | None) -> bool:
        """Whether the token was signed with this app's key."""
        nonce, _, signature = (token or "").partition(".")
        return bool(nonce) and hmac.compare_digest(signature, self._sign(nonce))


def is_loopback(address: str) -> bool:
    """Whether address is in 127.0.0.0/8 or is ::1."""
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_name(host: str) -> str:
    """The name part of a Host header ("[::1]:5000" -> "::1", "a.example:80" -> "a.example")."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


def current_guard() -> Guard:
    """Return the Guard of the app handling the current request."""
    guard: Guard = current_app.extensions[EXTENSION_KEY]
    return guard


def csrf_token() -> str:
    """The token for this response's forms (the cookie's, or a new one set by after_request)."""
    if "x_sandbox_csrf" not in g:
        guard = current_guard()
        existing = request.cookies.get(CSRF_COOKIE)
        g.x_sandbox_csrf = existing if guard.valid(existing) else guard.new_token()
    token: str = g.x_sandbox_csrf
    return token


def csrf_ok() -> bool:
    """Whether a form POST carries the cookie's token in its field, both signed by us."""
    cookie = request.cookies.get(CSRF_COOKIE)
    field = request.form.get(CSRF_FIELD)
    return (
        current_guard().valid(cookie)
        and field is not None
        and hmac.compare_digest(field, cookie or "")
    )


def init_guard(app: Flask, guard: Guard) -> None:
    """Refuse strangers before any view runs; add the headers and the CSRF cookie after."""
    app.extensions[EXTENSION_KEY] = guard
    app.jinja_env.globals["csrf_token"] = csrf_token

    @app.before_request
    def _refuse_strangers() -> Response | None:
        if guard.allows(request.environ, request.endpoint):
            return None
        message = (
            "The X sandbox answers only clients on this machine "
            "(and, for its pages, signed-in IdeaBoard staff)."
        )
        if request.path.startswith("/2/"):
            return problem(403, message).to_response()
        return Response(message + "\n", status=403, mimetype="text/plain")

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        token = g.get("x_sandbox_csrf")
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
