"""A local stand-in for the X API v2 endpoints IdeaBoard uses, backed by one SQLite file.

Run it on its own (``python -m sandboxes.x --db instance/x_sandbox.sqlite``) or
mount it under a prefix of another WSGI app; point tweepy at it with
its base URL (IdeaBoard: ``IDEABOARD_X_API_URL``). It imports nothing from IdeaBoard.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from ..common.app import create_flask_app, register_api_errors
from . import admin, api, pages
from .actions import delete_post, post_mention, timeline
from .context import EXTENSION_KEY, Sandbox
from .faults import FaultConfig, clear_faults, get_faults, set_faults
from .guard import Guard, UiAccess, init_guard
from .limits import get_config as get_rate_limits
from .limits import set_config as set_rate_limits
from .problems import ApiError, problem
from .store import SandboxStore

__all__ = [
    "ApiError",
    "FaultConfig",
    "MAX_BODY_BYTES",
    "UiAccess",
    "Sandbox",
    "SandboxStore",
    "clear_faults",
    "create_sandbox_app",
    "delete_post",
    "get_faults",
    "get_rate_limits",
    "post_mention",
    "set_faults",
    "set_rate_limits",
    "timeline",
]


# The largest request body the sandbox reads: a long post (25,000 characters, JSON-escaped)
# fits; anything bigger is refused with 413 before it is parsed.
MAX_BODY_BYTES = 256 * 1024


def create_sandbox_app(
    db_path: str,
    *,
    brand_username: str = "hanbit",
    brand_name: str = "Hanbit Telecom",
    brand_user_id: str = "1500000000000000001",
    base_url_for_links: str = "https://x.com",
    ui_access: UiAccess | None = None,
    allowed_hosts: Iterable[str] = (),
    secret_key: bytes | None = None,
) -> Flask:
    """Create the sandbox X API app over the SQLite file db_path (tables made if missing).

    It answers clients on this machine only (see guard.py); `ui_access(environ)` may let
    others use its pages, `allowed_hosts` adds Host names besides loopback ones that local
    clients may use. `secret_key` signs its CSRF tokens: give every process serving one
    sandbox the same key (default: a random key, fine for one process).
    """
    app = create_flask_app(__name__, max_body_bytes=MAX_BODY_BYTES)
    store = SandboxStore(db_path)
    store.init_schema(
        brand_user_id=brand_user_id, brand_username=brand_username, brand_name=brand_name
    )
    app.extensions[EXTENSION_KEY] = Sandbox(
        store=store,
        brand_user_id=brand_user_id,
        brand_username=brand_username,
        base_url_for_links=base_url_for_links,
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
    register_api_errors(app, ApiError, max_body_bytes=MAX_BODY_BYTES, too_large=_too_large)
    app.register_error_handler(404, _not_found)
    app.register_error_handler(405, _not_allowed)
    return app


def _not_found(error: HTTPException) -> Response | HTTPException:
    if request.path.startswith("/2/"):
        return problem(404, "Sorry, that page does not exist.").to_response()
    return error


def _not_allowed(error: HTTPException) -> Response | HTTPException:
    if request.path.startswith("/2/"):
        return problem(405, f"{request.method} is not allowed on {request.path}.").to_response()
    return error


def _too_large(message: str) -> Response | None:
    if request.path.startswith("/2/"):
        return problem(413, message).to_response()
    if request.is_json:
        return Response(json.dumps({"error": message}), status=413, mimetype="application/json")
    return None
