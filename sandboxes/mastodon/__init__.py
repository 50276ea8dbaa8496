"""A local stand-in for the Mastodon API endpoints IdeaBoard uses, backed by one SQLite file.

Run it on its own (``python -m sandboxes.mastodon --db instance/mastodon_sandbox.sqlite``) or
mount it under a prefix of another WSGI app, and point Mastodon.py at that base URL with the
sandbox's access token (IdeaBoard: ``IDEABOARD_MASTODON_BASE_URL`` and
``IDEABOARD_MASTODON_ACCESS_TOKEN``). It imports nothing from IdeaBoard.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from ..common.app import create_flask_app, register_api_errors
from . import admin, api, pages
from .actions import delete_status, parse_acct, post_mention, timeline
from .api import MastodonError
from .context import EXTENSION_KEY, Sandbox
from .faults import (
    FaultConfig,
    clear_faults,
    get_faults,
    restore_token,
    revoke_token,
    set_faults,
    set_rate_limit,
)
from .guard import Guard, UiAccess, init_guard
from .store import SandboxStore

__all__ = [
    "DEFAULT_TOKEN",
    "FaultConfig",
    "MAX_BODY_BYTES",
    "MastodonError",
    "Sandbox",
    "SandboxStore",
    "UiAccess",
    "clear_faults",
    "create_sandbox_app",
    "delete_status",
    "get_faults",
    "parse_acct",
    "post_mention",
    "restore_token",
    "revoke_token",
    "set_faults",
    "set_rate_limit",
    "timeline",
]

# The largest request body the sandbox reads; a status of 20,000 characters, escaped, fits.
MAX_BODY_BYTES = 128 * 1024
DEFAULT_TOKEN = "sandbox-token"  # noqa: S105 - the sandbox's one access token (not a secret)


def create_sandbox_app(
    db_path: str,
    *,
    ui_access: UiAccess | None = None,
    allowed_hosts: Iterable[str] = (),
    secret_key: bytes | None = None,
    access_token: str = DEFAULT_TOKEN,
    max_characters: int = 500,
    brand_username: str = "hanbit",
    brand_name: str = "Hanbit Telecom",
    brand_id: str = "109000000000000001",
) -> Flask:
    """Create the sandbox Mastodon app over the SQLite file db_path (tables made if missing).

    It answers clients on this machine only (see guard.py); `ui_access(environ)` may let
    others use its pages, `allowed_hosts` adds Host names besides loopback ones that local
    clients may use. `secret_key` signs its CSRF tokens: give every process serving one
    sandbox the same key (default: a random key, fine for one process). `access_token` is the
    one token the API accepts; `max_characters` the status limit /api/v2/instance announces
    and POST /api/v1/statuses enforces.
    """
    if not isinstance(max_characters, int) or not 1 <= max_characters <= 100_000:
        raise ValueError("max_characters must be an integer from 1 to 100000")
    if not access_token:
        raise ValueError("the sandbox needs an access token")
    app = create_flask_app(__name__, max_body_bytes=MAX_BODY_BYTES)
    store = SandboxStore(db_path)
    store.init_schema(
        brand_id=brand_id,
        brand_username=brand_username,
        brand_name=brand_name,
        access_token=access_token,
    )
    app.extensions[EXTENSION_KEY] = Sandbox(
        store=store,
        brand_id=brand_id,
        brand_username=brand_username,
        max_characters=max_characters,
    )
    init_guard(
        app,
        Guard(
            secret_key=secret_key or secrets.token_bytes(32),
            ui_access=ui_access,
            allowed_hosts=allowed_hosts,
        ),
    )
    app.register_blueprint(api.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(pages.bp)
    register_api_errors(app, MastodonError, max_body_bytes=MAX_BODY_BYTES, too_large=_too_large)
    app.register_error_handler(HTTPException, _http_error)
    return app


def _json_paths() -> bool:
    return request.path.startswith("/api/") or (
        request.path.startswith("/sandbox/") and request.path != "/sandbox/"
    )


def _http_error(error: HTTPException) -> Response | HTTPException:
    """JSON errors on the API and admin routes ({"error": …}), Flask's own elsewhere."""
    if not _json_paths():
        return error
    status = error.code or 500
    message = "Record not found" if status == 404 else (error.description or error.name)
    return Response(
        json.dumps({"error": message}, ensure_ascii=False),
        status=status,
        mimetype="application/json",
        headers=error.get_headers() if status == 405 else None,
    )


def _too_large(message: str) -> Response | None:
    if _json_paths():
        return Response(json.dumps({"error": message}), status=413, mimetype="application/json")
    return None
