"""Who may use a sandbox, its pages' CSRF tokens and its response headers (all sandboxes).

A sandbox posts as the brand, injects mentions, resets itself and switches faults on, so
it answers only:

- clients on this machine: REMOTE_ADDR in 127.0.0.0/8 or ::1, with a Host header naming this
  machine (or one of the hosts the app was given) — so a web page cannot reach it through
  DNS rebinding — and without proxy headers (X-Forwarded-For, Forwarded, X-Real-IP): a
  request relayed by a reverse proxy on the same machine comes from loopback too, but it is
  not local. Those headers are never trusted for an address, only taken as a sign of a proxy;
- for its pages only, anyone the mounting app's `ui_access(environ)` callable lets in
  (IdeaBoard passes one that checks for signed-in staff); a sandbox may name endpoints open
  to everyone (the generated avatars: the same picture for any id, no data).

Everyone else gets 403. The pages' forms carry a CSRF token: a random nonce and its HMAC under
the app's key, set as a SameSite=Strict cookie and repeated in a hidden field (a signed
double-submit cookie), so a sandbox needs no session of its own. `GuardKit` holds one
sandbox's names (extension key, cookie) and installs the hooks.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask.typing import ResponseReturnValue

UiAccess = Callable[[dict[str, Any]], bool]

CSRF_FIELD = "csrf_token"
PROXY_HEADERS = ("X-Forwarded-For", "X-Forwarded-Host", "Forwarded", "X-Real-IP")

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
    """One sandbox app's access rule and CSRF key.

    A sandbox subclasses it to name its endpoints: UI_ENDPOINTS (its pages, which the
    ui_access callable may open) and PUBLIC_ENDPOINTS (open to anyone); everything else is for
    this machine only.
    """

    UI_ENDPOINTS: frozenset[str] = frozenset()
    PUBLIC_ENDPOINTS: frozenset[str] = frozenset()

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
        if endpoint in self.PUBLIC_ENDPOINTS or self.is_local(environ):
            return True
        return (
            endpoint in self.UI_ENDPOINTS and self.ui_access is not None and self.ui_access(environ)
        )

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


class GuardKit:
    """One sandbox's guard plumbing: its names, CSRF token helpers and request hooks.

    prefix names everything ("x_sandbox" -> extension "x_sandbox_guard", cookie and request
    global "x_sandbox_csrf"); label is the sandbox's name in the 403 message; api_prefix the
    path of its API, where refuse(message) shapes the 403 in the API's own error format.
    """

    def __init__(
        self,
        prefix: str,
        *,
        label: str,
        api_prefix: str,
        refuse: Callable[[str], ResponseReturnValue],
        pages: str = "pages",
    ) -> None:
        self.extension_key = f"{prefix}_guard"
        self.cookie = f"{prefix}_csrf"
        self.label = label
        self.api_prefix = api_prefix
        self.refuse = refuse
        self.pages = pages

    def current(self) -> Guard:
        """The Guard of the app handling the current request."""
        guard: Guard = current_app.extensions[self.extension_key]
        return guard

    def csrf_token(self) -> str:
        """The token for this response's forms (the cookie's, or a new one set after)."""
        token = g.get(self.cookie)
        if token is None:
            guard = self.current()
            existing = request.cookies.get(self.cookie)
            token = existing if guard.valid(existing) else guard.new_token()
            setattr(g, self.cookie, token)
        return str(token)

    def csrf_ok(self) -> bool:
        """Whether a form POST carries the cookie's token in its field, both signed by us."""
        cookie = request.cookies.get(self.cookie)
        field = request.form.get(CSRF_FIELD)
        return (
            self.current().valid(cookie)
            and field is not None
            and hmac.compare_digest(field, cookie or "")
        )

    def install(self, app: Flask, guard: Guard) -> None:
        """Refuse strangers before any view runs; add the headers and the CSRF cookie after."""
        app.extensions[self.extension_key] = guard
        app.jinja_env.globals["csrf_token"] = self.csrf_token

        @app.before_request
        def _refuse_strangers() -> ResponseReturnValue | None:
            if guard.allows(request.environ, request.endpoint):
                return None
            message = (
                f"The {self.label} sandbox answers only clients on this machine "
                f"(and, for its {self.pages}, signed-in IdeaBoard staff)."
            )
            if request.path.startswith(self.api_prefix):
                return self.refuse(message)
            return Response(message + "\n", status=403, mimetype="text/plain")

        @app.after_request
        def _headers(response: Response) -> Response:
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            token = g.get(self.cookie)
            if token is not None and token != request.cookies.get(self.cookie):
                response.set_cookie(
                    self.cookie,
                    token,
                    httponly=True,
                    samesite="Strict",
                    secure=request.is_secure,
                    path=(request.script_root or "") + "/sandbox/",
                )
            if response.mimetype == "text/html":
                response.headers.setdefault("Cache-Control", "no-store")
            return response
