"""Sandbox-only JSON helpers under /sandbox (not part of X): customers, timeline, faults, limits.

- POST /sandbox/mentions {"username", "name"?, "text", "in_reply_to_tweet_id"?, "quote_tweet_id"?,
  "created_at"?, "id"?} -> 201 {"data": post}
- GET /sandbox/timeline -> {"data": [post, ...]} newest first, deleted ones flagged
- DELETE /sandbox/tweets/<id> -> the customer deletes a post
- POST /sandbox/reset -> forget posts, customers, windows and faults (rate-limit config stays)
- GET | POST | DELETE /sandbox/faults -> read, replace ({} clears) or clear the fault switches
- GET | POST /sandbox/rate-limits {"scale"?: float, "unlimited"?: bool} -> read or set the limits
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, jsonify

from ..common.admin import add_fault_routes, json_error, json_object
from . import faults, limits
from .actions import delete_post, post_mention, timeline
from .context import current_sandbox

bp = Blueprint("x_sandbox_admin", __name__, url_prefix="/sandbox")
add_fault_routes(bp, faults, lambda: current_sandbox().store, faults.FaultConfig())


@bp.post("/mentions")
def create_mention() -> tuple[Response, int]:
    """Post as a customer (usually a mention of the brand) and return the stored post."""
    body = json_object()
    if (
        body is None
        or not isinstance(body.get("username"), str)
        or not isinstance(body.get("text"), str)
    ):
        return json_error('JSON body needs "username" and "text" strings')
    sandbox = current_sandbox()
    try:
        tweet = post_mention(
            sandbox.store,
            username=body["username"],
            text=body["text"],
            name=body.get("name"),
            in_reply_to_tweet_id=body.get("in_reply_to_tweet_id"),
            quote_tweet_id=body.get("quote_tweet_id"),
            created_at=body.get("created_at"),
            tweet_id=body.get("id"),
        )
    except ValueError as exc:
        return json_error(str(exc))
    item = next(i for i in timeline(sandbox.store, sandbox.post_url) if i["id"] == str(tweet["id"]))
    return jsonify({"data": item}), 201


@bp.get("/timeline")
def get_timeline() -> Response:
    """Return every post, newest first, with reply targets and deletion flags."""
    sandbox = current_sandbox()
    return jsonify({"data": timeline(sandbox.store, sandbox.post_url)})


@bp.delete("/tweets/<tweet_id>")
def customer_delete(tweet_id: str) -> tuple[Response, int]:
    """Delete any post, as its author would."""
    try:
        deleted = delete_post(current_sandbox().store, tweet_id)
    except ValueError as exc:
        return json_error(str(exc))
    return jsonify({"data": {"deleted": deleted}}), 200 if deleted else 404


@bp.post("/reset")
def reset() -> Response:
    """Forget every post, customer, rate-limit window and fault switch."""
    current_sandbox().store.reset()
    return jsonify({"data": {"reset": True}})


@bp.get("/rate-limits")
def get_rate_limits() -> Response:
    """Return the limit configuration and each endpoint's current window."""
    store = current_sandbox().store
    return jsonify({"data": {**limits.get_config(store), "endpoints": limits.usage(store)}})


@bp.post("/rate-limits")
def set_rate_limits() -> tuple[Response, int]:
    """Set {"scale": float} and/or {"unlimited": bool}; windows start afresh."""
    body = json_object()
    if body is None or set(body) - {"scale", "unlimited"}:
        return json_error('JSON body may hold "scale" and "unlimited" only')
    unlimited = body.get("unlimited", False)
    if not isinstance(unlimited, bool):
        return json_error('"unlimited" must be true or false')
    try:
        limits.set_config(
            current_sandbox().store, scale=body.get("scale", 1.0), unlimited=unlimited
        )
    except ValueError as exc:
        return json_error(str(exc))
    return jsonify({"data": limits.get_config(current_sandbox().store)}), 200


@bp.get("/avatars/<user_id>.svg")
def avatar(user_id: str) -> Response:
    """Serve a generated avatar, so profile_image_url never points off the machine."""
    hue = int(hashlib.sha256(user_id.encode()).hexdigest()[:4], 16) % 360
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48" viewBox="0 0 48 48">'
        f'<rect width="48" height="48" rx="24" fill="hsl({hue},55%,55%)"/>'
        '<circle cx="24" cy="19" r="8" fill="#fff"/>'
        '<path d="M10 40c2-8 8-12 14-12s12 4 14 12" fill="#fff"/></svg>'
    )
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "max-age=86400"})
