"""Sandbox-only JSON routes (not part of Mastodon), for this machine only.

- POST /sandbox/mentions {"acct", "text", "visibility"?, "spoiler_text"?, "reply_to"?,
  "display_name"?} -> 201 the stored status (a customer posts, usually a mention of the brand)
- GET /sandbox/timeline -> every status, newest first
- POST /sandbox/reset -> forget statuses, customers, faults and the rate window
- GET | POST | DELETE /sandbox/faults -> read, replace ({} clears) or clear the fault switches
- GET | POST /sandbox/rate-limit {"limit", "window_s"} -> read or set the rate limit
- POST /sandbox/token {"revoked": true|false} -> revoke or restore the brand's access token
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ..common.admin import json_error, json_object
from . import faults
from .actions import post_mention, timeline
from .context import current_sandbox

bp = Blueprint("mastodon_sandbox_admin", __name__, url_prefix="/sandbox")

_MENTION_FIELDS = ("acct", "text", "visibility", "spoiler_text", "reply_to", "display_name")


@bp.post("/mentions")
def create_mention() -> tuple[Response, int]:
    """Post as a customer and return the stored status."""
    body = json_object()
    if (
        body is None
        or not isinstance(body.get("acct"), str)
        or not isinstance(body.get("text"), str)
    ):
        return json_error('JSON body needs "acct" and "text" strings')
    unknown = sorted(set(body) - set(_MENTION_FIELDS))
    if unknown:
        return json_error(f"unknown fields: {', '.join(unknown)}")
    for name in ("visibility", "spoiler_text", "display_name"):
        if name in body and not isinstance(body[name], str):
            return json_error(f'"{name}" must be a string')
    if "reply_to" in body and not isinstance(body["reply_to"], str | int | None):
        return json_error('"reply_to" must be a status id')
    try:
        status = post_mention(current_sandbox().store, **body)
    except (ValueError, TypeError) as exc:
        return json_error(str(exc))
    return jsonify({**status, "id": str(status["id"])}), 201


@bp.get("/timeline")
def show_timeline() -> Response:
    """Every status, newest first."""
    items = timeline(current_sandbox().store)
    return jsonify([{**item, "id": str(item["id"])} for item in items])


@bp.post("/reset")
def reset() -> Response:
    """Forget everything but the brand."""
    current_sandbox().store.reset()
    return jsonify({"reset": True})


@bp.route("/faults", methods=["GET", "POST", "DELETE"], endpoint="faults")
def faults_view() -> Response | tuple[Response, int]:
    """Read, replace or clear the fault switches."""
    store = current_sandbox().store
    if request.method == "DELETE":
        faults.clear_faults(store)
    elif request.method == "POST":
        body = json_object()
        if body is None:
            return json_error("JSON object expected")
        try:
            faults.set_faults(store, **body)
        except (ValueError, TypeError) as exc:
            return json_error(str(exc))
    return jsonify(faults.get_faults(store).to_dict())


@bp.route("/rate-limit", methods=["GET", "POST"])
def rate_limit() -> Response | tuple[Response, int]:
    """Read or set the requests allowed per window."""
    store = current_sandbox().store
    if request.method == "POST":
        body = json_object()
        if body is None or set(body) - {"limit", "window_s"}:
            return json_error('JSON object with "limit" and/or "window_s" expected')
        try:
            return jsonify(faults.set_rate_limit(store, **body))
        except (ValueError, TypeError) as exc:
            return json_error(str(exc))
    return jsonify(store.setting("rate_limit", faults.DEFAULT_RATE_LIMIT))


@bp.post("/token")
def token() -> Response | tuple[Response, int]:
    """Revoke or restore the brand's access token."""
    body = json_object()
    if body is None or not isinstance(body.get("revoked"), bool) or len(body) != 1:
        return json_error('JSON body {"revoked": true|false} expected')
    store = current_sandbox().store
    (faults.revoke_token if body["revoked"] else faults.restore_token)(store)
    return jsonify({"revoked": body["revoked"]})
