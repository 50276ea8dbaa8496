"""Who may use the X sandbox, its CSRF tokens and its response headers.

The rule (clients on this machine; for its pages, whoever the mounting app's `ui_access(environ)`
lets in; the generated avatars public) and its plumbing are sandboxes/common/guard.py; this
module names the X sandbox's endpoints and shapes its 403 on /2/ as X's problem JSON.
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
