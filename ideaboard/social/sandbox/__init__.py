"""A local stand-in for the X API v2 endpoints IdeaBoard uses, backed by one SQLite file.

Run it on its own (``python -m ideaboard.social.sandbox --db instance/x_sandbox.sqlite``) or
mount it under a prefix of another WSGI app; point tweepy at it with
``ideaboard.social.x_client.make_x_client(..., api_url=...)``.
"""

from __future__ import annotations

from flask import Flask, Response, request

from ...inputs import JSONProvider
from . import admin, api, pages
from .actions import delete_post, post_mention, timeline
from .context import EXTENSION_KEY, Sandbox
from .faults import FaultConfig, clear_faults, get_faults, set_faults
from .limits import get_config as get_rate_limits
from .limits import set_config as set_rate_limits
from .problems import ApiError, problem
from .store import SandboxStore

__all__ = [
    "ApiError",
    "FaultConfig",
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


def create_sandbox_app(
    db_path: str,
    *,
    brand_username: str = "hanbit",
    brand_name: str = "Hanbit Telecom",
    brand_user_id: str = "1500000000000000001",
    base_url_for_links: str = "https://x.com",
) -> Flask:
    """Create the sandbox X API app over the SQLite file db_path (tables made if missing)."""
    app = Flask(__name__)
    app.json = JSONProvider(app)  # request.get_json refuses deeply nested JSON (no 500)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep X's key order
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Hangul as UTF-8, like X
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
    app.register_blueprint(api.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(pages.bp)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(404, _not_found)
    app.register_error_handler(405, _not_allowed)
    return app


def _api_error(error: ApiError) -> Response:
    return error.to_response()


def _not_found(error: Exception) -> Response | Exception:
    if request.path.startswith("/2/"):
        return problem(404, "Sorry, that page does not exist.").to_response()
    return error


def _not_allowed(error: Exception) -> Response | Exception:
    if request.path.startswith("/2/"):
        return problem(405, f"{request.method} is not allowed on {request.path}.").to_response()
    return error
