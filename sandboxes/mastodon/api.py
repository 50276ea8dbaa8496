"""The Mastodon API subset IdeaBoard uses, written from Mastodon's API reference.

- GET  /api/v1/accounts/verify_credentials            the brand's account (with `source`)
- GET  /api/v1/notifications  types[] exclude_types[] max_id since_id min_id limit (≤ 80)
       include_filtered, newest first, Link: <…max_id=…>; rel="next", <…min_id=…>; rel="prev".
       As with Mastodon's default policy, a private mention from someone the brand does not
       follow is filtered: left out unless include_filtered=true
- GET  /api/v1/notifications/:id
- POST /api/v1/statuses  status, in_reply_to_id, visibility, spoiler_text, language
       (form or JSON; an Idempotency-Key header is honoured for an hour)
- GET  /api/v1/statuses/:id, GET /api/v1/statuses/:id/context
- GET  /api/v2/instance, GET /api/v1/instance             (no token needed)

Every /api/v1 call needs "Authorization: Bearer <token>" (401 {"error": …} otherwise), counts
against the rate-limit window (429 when spent; X-RateLimit-* headers on every answer) and
meets the fault switches (faults.py). Errors are {"error": "…"} with Mastodon's statuses:
401, 403, 404 "Record not found", 422 "Validation failed: …", 429, 5xx.
"""

from __future__ import annotations

import hmac
import re
import time
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, g, jsonify, request

from . import faults, render
from . import text as status_text
from .actions import is_unicode
from .context import Sandbox, current_sandbox
from .store import VISIBILITIES

bp = Blueprint("mastodon_sandbox_api", __name__)

MAX_STATUS_INPUT = 20_000  # characters read from "status" before counting at all
MAX_SPOILER_INPUT = 1_000
MAX_KEY = 256
PAGE_DEFAULT = 40
PAGE_MAX = 80
NOTIFICATION_TYPES = frozenset(
    {
        "mention",
        "status",
        "reblog",
        "follow",
        "follow_request",
        "favourite",
        "poll",
        "update",
        "admin.sign_up",
        "admin.report",
        "severed_relationships",
        "moderation_warning",
        "quote",
        "quoted_update",
    }
)
_ID = re.compile(r"^[0-9]{1,19}$")
MAX_ID = 2**63 - 1  # Mastodon's ids are 64-bit signed integers (bigint)
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")

FAULT_ENDPOINTS = {
    "mastodon_sandbox_api.verify_credentials": "verify_credentials",
    "mastodon_sandbox_api.notifications": "notifications",
    "mastodon_sandbox_api.notification": "notifications",
    "mastodon_sandbox_api.create_status": "statuses.create",
    "mastodon_sandbox_api.show_status": "statuses.read",
    "mastodon_sandbox_api.status_context": "statuses.read",
}


class MastodonError(Exception):
    """An API error: its status, message and extra headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}

    def to_response(self) -> Response:
        """{"error": message} with the status and headers."""
        response = jsonify({"error": self.message})
        response.status_code = self.status
        response.headers.update(self.headers)
        return response


def _rate_headers(limit: int, remaining: int, reset: float) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": faults.iso_time(reset),
    }


@bp.before_request
def _authenticate_count_and_fail() -> None:
    """Token, rate-limit window and fault switches, before any /api/v1 view."""
    if (
        not request.path.startswith("/api/v1/")
        or request.endpoint == "mastodon_sandbox_api.instance_v1"
    ):
        return
    sandbox = current_sandbox()
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    token = sandbox.store.setting("token") or {}
    if (
        scheme.lower() != "bearer"
        or not token.get("value")
        or token.get("revoked")
        or len(given) > 512
        or not _same(given.strip(), str(token["value"]))
    ):
        raise MastodonError(401, "The access token is invalid")
    limit, remaining, reset, allowed = faults.count_request(sandbox.store)
    g.rate_headers = _rate_headers(limit, remaining, reset)
    if not allowed:
        raise MastodonError(429, "Too many requests", g.rate_headers)
    endpoint = FAULT_ENDPOINTS.get(request.endpoint or "")
    if endpoint is None:
        return
    decision = faults.draw(sandbox.store, endpoint)
    faults.apply_sleep(decision)
    if decision.kind == "429":
        reset_at = time.time() + decision.reset_s
        raise MastodonError(429, "Too many requests", _rate_headers(limit, 0, reset_at))
    if decision.kind == "timeout" and decision.then == "drop":
        raise MastodonError(503, "Service Unavailable")
    if decision.kind == "error":
        raise MastodonError(decision.status, "Internal server error (injected)")


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


@bp.after_request
def _add_rate_headers(response: Response) -> Response:
    for name, value in (g.get("rate_headers") or {}).items():
        response.headers.setdefault(name, value)
    return response


# parameters -------------------------------------------------------------------------------------
def _id_param(name: str, value: Any) -> int | None:
    if value in (None, ""):
        return None
    if (
        not isinstance(value, str | int)
        or isinstance(value, bool)
        or not _ID.match(str(value))
        or int(value) > MAX_ID
    ):
        raise MastodonError(422, f"Validation failed: {name} must be a status or notification id")
    return int(value)


def _limit_param() -> int:
    raw = request.args.get("limit")
    if raw in (None, ""):
        return PAGE_DEFAULT
    if not re.fullmatch(r"[0-9]{1,6}", raw):
        raise MastodonError(422, "Validation failed: limit must be a positive number")
    return max(1, min(int(raw), PAGE_MAX))  # Mastodon clamps the page size


def _types_param(name: str) -> list[str]:
    values = request.args.getlist(f"{name}[]") + request.args.getlist(name)
    if len(values) > 20:
        raise MastodonError(422, f"Validation failed: at most 20 {name}")
    # Mastodon ignores types it does not know; so does the sandbox (bounded).
    return [v for v in values if v in NOTIFICATION_TYPES]


def _form() -> dict[str, Any]:
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise MastodonError(422, "Validation failed: the body must be a JSON object")
        return body
    return request.form.to_dict()


# routes ------------------------------------------------------------------------------------------
@bp.get("/api/v1/accounts/verify_credentials")
def verify_credentials() -> Response:
    """The brand's own account."""
    sandbox = current_sandbox()
    with sandbox.store.transaction() as tx:
        account = sandbox.store.get_account(tx, sandbox.brand_id)
    if account is None:  # pragma: no cover - made at start-up
        raise MastodonError(404, "Record not found")
    return jsonify(render.account_json(sandbox.root(), account, with_source=True))


@bp.get("/api/v1/notifications")
def notifications() -> Response:
    """The brand's notifications, newest first, with Link headers for the next/previous page."""
    sandbox = current_sandbox()
    types = _types_param("types")
    exclude = _types_param("exclude_types")
    max_id = _id_param("max_id", request.args.get("max_id"))
    since_id = _id_param("since_id", request.args.get("since_id"))
    min_id = _id_param("min_id", request.args.get("min_id"))
    limit = _limit_param()
    include_filtered = request.args.get("include_filtered", "false").lower() in ("true", "1")
    root = sandbox.root()
    with sandbox.store.transaction() as tx:
        page = sandbox.store.notifications_page(
            tx,
            sandbox.brand_id,
            types=types,
            exclude_types=exclude,
            max_id=max_id,
            since_id=since_id,
            min_id=min_id,
            limit=limit,
            include_filtered=include_filtered,
        )
        body = [render.notification_json(tx, sandbox.store, root, n) for n in page]
    response = jsonify(body)
    if page:
        base = f"{root}/api/v1/notifications"
        keep: list[tuple[str, Any]] = [("limit", limit)]
        if include_filtered:
            keep.append(("include_filtered", "true"))
        keep += [("types[]", t) for t in types] + [("exclude_types[]", t) for t in exclude]
        newer = urlencode([*keep, ("min_id", page[0]["id"])])
        older = urlencode([*keep, ("max_id", page[-1]["id"])])
        response.headers["Link"] = f'<{base}?{older}>; rel="next", <{base}?{newer}>; rel="prev"'
    return response


@bp.get("/api/v1/notifications/<notification_id>")
def notification(notification_id: str) -> Response:
    """One notification of the brand's."""
    sandbox = current_sandbox()
    wanted = _id_param("id", notification_id)
    with sandbox.store.transaction() as tx:
        row = tx.execute(
            "SELECT * FROM notifications WHERE id = ? AND account_id = ?",
            (wanted, sandbox.brand_id),
        ).fetchone()
        if row is None:
            raise MastodonError(404, "Record not found")
        return jsonify(render.notification_json(tx, sandbox.store, sandbox.root(), dict(row)))


@bp.post("/api/v1/statuses")
def create_status() -> Response | tuple[Response, int]:
    """Post a status as the brand."""
    sandbox = current_sandbox()
    form = _form()
    text = form.get("status")
    spoiler = form.get("spoiler_text") or ""
    visibility = form.get("visibility") or "public"
    language = form.get("language") or None
    if not isinstance(text, str) or not text.strip():
        raise MastodonError(422, "Validation failed: Text can't be blank")
    for value in (text, spoiler, visibility, language):
        if isinstance(value, str) and not is_unicode(value):
            raise MastodonError(422, "Validation failed: the text is not valid Unicode")
    if (
        len(text) > MAX_STATUS_INPUT
        or not isinstance(spoiler, str)
        or len(spoiler) > MAX_SPOILER_INPUT
    ):
        raise MastodonError(
            422, f"Validation failed: Text character limit of {sandbox.max_characters} exceeded"
        )
    if visibility not in VISIBILITIES:
        raise MastodonError(422, "Validation failed: Visibility is not included in the list")
    if language is not None and (not isinstance(language, str) or not _LANGUAGE.match(language)):
        raise MastodonError(422, "Validation failed: Language is not a valid language code")
    if form.get("media_ids[]") or form.get("media_ids") or form.get("poll"):
        raise MastodonError(422, "Validation failed: the sandbox takes no media or polls")
    if status_text.length(text, spoiler) > sandbox.max_characters:
        raise MastodonError(
            422, f"Validation failed: Text character limit of {sandbox.max_characters} exceeded"
        )
    key = request.headers.get("Idempotency-Key")
    if key is not None and (not key or len(key) > MAX_KEY):
        raise MastodonError(
            422, f"Validation failed: Idempotency-Key must be 1-{MAX_KEY} characters"
        )
    reply_to = _id_param("in_reply_to_id", form.get("in_reply_to_id"))
    now = time.time()
    root = sandbox.root()
    store = sandbox.store
    with store.transaction(write=True) as tx:
        if key is not None:
            earlier = store.idempotent_status(tx, sandbox.brand_id, key, now)
            existing = store.get_status(tx, earlier) if earlier is not None else None
            if existing is not None:
                return jsonify(render.status_json(tx, store, root, existing)), 200
        brand = store.get_account(tx, sandbox.brand_id)
        assert brand is not None  # noqa: S101 - made at start-up
        parent = None
        if reply_to is not None:
            parent = store.get_status(tx, reply_to)
            if parent is None or not store.can_see(parent, sandbox.brand_id):
                raise MastodonError(404, "Record not found")
        status = store.create_status(
            tx,
            author=brand,
            text=text,
            visibility=visibility,
            spoiler_text=spoiler,
            language=language,
            in_reply_to=parent,
        )
        if key is not None:
            store.remember_key(tx, sandbox.brand_id, key, status["id"], now)
        return jsonify(render.status_json(tx, store, root, status)), 200


def _visible(status_id: str) -> tuple[Sandbox, dict[str, Any]]:
    """The sandbox and the status the brand may see; 404 for any other id."""
    sandbox = current_sandbox()
    wanted = _id_param("id", status_id)
    with sandbox.store.transaction() as tx:
        status = sandbox.store.get_status(tx, wanted) if wanted is not None else None
    if status is None or not sandbox.store.can_see(status, sandbox.brand_id):
        raise MastodonError(404, "Record not found")
    return sandbox, status


@bp.get("/api/v1/statuses/<status_id>")
def show_status(status_id: str) -> Response:
    """One status the brand may see (404 otherwise, as Mastodon hides what you cannot see)."""
    sandbox, status = _visible(status_id)
    with sandbox.store.transaction() as tx:
        return jsonify(render.status_json(tx, sandbox.store, sandbox.root(), status))


@bp.get("/api/v1/statuses/<status_id>/context")
def status_context(status_id: str) -> Response:
    """The status's ancestors and descendants the brand may see."""
    sandbox, status = _visible(status_id)
    store = sandbox.store
    root = sandbox.root()
    with store.transaction() as tx:
        ancestors = [s for s in store.ancestors(tx, status) if store.can_see(s, sandbox.brand_id)]
        below = [
            s for s in store.descendants(tx, status["id"]) if store.can_see(s, sandbox.brand_id)
        ]
        return jsonify(
            {
                "ancestors": [render.status_json(tx, store, root, s) for s in ancestors],
                "descendants": [render.status_json(tx, store, root, s) for s in below],
            }
        )


@bp.get("/api/v2/instance/", strict_slashes=False)
def instance_v2() -> Response:
    """The server's description, with its status limits."""
    sandbox = current_sandbox()
    return jsonify(render.instance_v2(sandbox.root(), sandbox.domain(), sandbox.max_characters))


@bp.get("/api/v1/instance/", strict_slashes=False)
def instance_v1() -> Response:
    """The older description, for clients that still read it."""
    sandbox = current_sandbox()
    return jsonify(render.instance_v1(sandbox.root(), sandbox.domain(), sandbox.max_characters))
