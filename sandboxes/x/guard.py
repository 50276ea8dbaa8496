"""Who may use the sandbox, its CSRF tokens and its response headers.

The rule and its plumbing are sandboxes/common/guard.py; this module names the X sandbox's
endpoints and shapes its 403 as X's problem JSON.

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

from flask import Flask, Response

from ..common.guard import CSRF_FIELD, SECURITY_HEADERS, GuardKit, UiAccess, is_loopback
from ..common.guard import Guard as BaseGuard
from .problems import problem

__all__ = ["CSRF_FIELD", "SECURITY_HEADERS", "Guard", "UiAccess", "csrf_ok", "csrf_token"]
__all__ += ["current_guard", "init_guard", "is_loopback"]

# The endpoints the ui_access callable may open; everything else is for this machine only.
UI_ENDPOINTS = frozenset({"x_sandbox_pages.index", "x_sandbox_pages.act", "x_sandbox_pages.css"})
PUBLIC_ENDPOINTS = frozenset({"x_sandbox_admin.avatar"})


class Guard(BaseGuard):
    """The X sandbox app's access rule and CSRF key."""

    UI_ENDPOINTS = UI_ENDPOINTS
    PUBLIC_ENDPOINTS = PUBLIC_ENDPOINTS


def _refuse(message: str) -> Response:
    return problem(403, message).to_response()


_KIT = GuardKit("x_sandbox", label="X", api_prefix="/2/", refuse=_refuse)
EXTENSION_KEY = _KIT.extension_key
CSRF_COOKIE = _KIT.cookie
current_guard = _KIT.current
csrf_token = _KIT.csrf_token
csrf_ok = _KIT.csrf_ok


def init_guard(app: Flask, guard: Guard) -> None:
    """Refuse strangers before any view runs; add the headers and the CSRF cookie after."""
    _KIT.install(app, guard)
