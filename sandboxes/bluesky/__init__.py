"""A local stand-in for the Bluesky (atproto) PDS and AppView methods IdeaBoard uses, over SQLite.

Written from the atproto lexicons and HTTP reference, not from Bluesky's servers. Run it on its
own (``python -m sandboxes.bluesky --db instance/bluesky_sandbox.sqlite``) or mount it under a
prefix of another WSGI app, and point the atproto SDK at it as the service URL (IdeaBoard:
``IDEABOARD_BLUESKY_SERVICE``); the SDK adds /xrpc. The brand logs in with its handle and the
app password given here. It imports nothing from IdeaBoard.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from ..common.app import create_flask_app, register_api_errors
from . import admin, pages, xrpc
from .actions import add_account, delete_post, post_mention, timeline
from .auth import (
    expire_app_password,
    restore_app_password,
    revoke_sessions,
    session_stats,
    set_token_lifetimes,
)
from .context import EXTENSION_KEY, Sandbox
from .errors import XrpcError
from .faults import FaultConfig, clear_faults, get_faults, set_faults
from .guard import BlueskyGuard, UiAccess, init_guard
from .limits import get_config as get_rate_limits
from .limits import set_config as set_rate_limits
from .store import SandboxStore

__all__ = [
    "DEFAULT_APP_PASSWORD",
    "DEFAULT_BRAND_HANDLE",
    "FaultConfig",
    "MAX_BODY_BYTES",
    "Sandbox",
    "SandboxStore",
    "UiAccess",
    "XrpcError",
    "add_account",
    "clear_faults",
    "create_sandbox_app",
    "delete_post",
    "expire_app_password",
    "get_faults",
    "get_rate_limits",
    "post_mention",
    "restore_app_password",
    "revoke_sessions",
    "session_stats",
    "set_faults",
    "set_rate_limits",
    "set_token_lifetimes",
    "timeline",
]

DEFAULT_BRAND_HANDLE = "hanbit.bsky.social"
# The sandbox brand's app password, in Bluesky's xxxx-xxxx-xxxx-xxxx shape. Not a secret:
# the sandbox answers this machine only and holds no real account.
DEFAULT_APP_PASSWORD = "sand-box0-app0-pass"  # noqa: S105
# The largest request body read: a post record (3000 bytes of text, facets) fits many times.
MAX_BODY_BYTES = 64 * 1024


def create_sandbox_app(
    db_path: str,
    *,
    brand_handle: str = DEFAULT_BRAND_HANDLE,
    brand_name: str = "Hanbit Telecom",
    app_password: str = DEFAULT_APP_PASSWORD,
    ui_access: UiAccess | None = None,
    allowed_hosts: Iterable[str] = (),
    secret_key: bytes | None = None,
) -> Flask:
    """Create the sandbox app over the SQLite file db_path (tables made if missing).

    It answers clients on this machine only (see guard.py); `ui_access(environ)` may let
    others use its page, `allowed_hosts` adds Host names besides loopback ones that local
    clients may use. `secret_key` signs its CSRF tokens: give every process serving one
    sandbox the same key (default: a random key, fine for one process).
    """
    app = create_flask_app(__name__, max_body_bytes=MAX_BODY_BYTES)
    store = SandboxStore(db_path)
    brand_did = store.init_schema(
        brand_handle=brand_handle.lower(), brand_name=brand_name, app_password=app_password
    )
    app.extensions[EXTENSION_KEY] = Sandbox(
        store=store, brand_did=brand_did, brand_handle=brand_handle.lower()
    )
    init_guard(
        app,
        BlueskyGuard(
            secret_key=secret_key or secrets.token_bytes(32),
            ui_access=ui_access,
            allowed_hosts=allowed_hosts,
        ),
    )
    app.register_blueprint(xrpc.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(pages.bp)
    register_api_errors(app, XrpcError, max_body_bytes=MAX_BODY_BYTES, too_large=_too_large)
    app.register_error_handler(404, _not_found)
    app.register_error_handler(405, _not_allowed)
    return app


def _not_found(error: HTTPException) -> Response | HTTPException:
    if request.path.startswith("/xrpc/"):
        return XrpcError(501, "MethodNotImplemented", "Method Not Implemented").to_response()
    return error


def _not_allowed(error: HTTPException) -> Response | HTTPException:
    if request.path.startswith("/xrpc/"):
        expected = "POST" if request.method == "GET" else "GET"
        message = f"Incorrect HTTP method ({request.method}) expected {expected}"
        return XrpcError(400, "InvalidRequest", message).to_response()
    return error


def _too_large(message: str) -> Response | None:
    if request.path.startswith("/xrpc/"):
        return XrpcError(413, "PayloadTooLarge", message).to_response()
    return None
