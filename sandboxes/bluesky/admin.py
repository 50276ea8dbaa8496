"""Sandbox-only JSON helpers under /sandbox (not part of atproto), for this machine only.

- POST /sandbox/mentions {"handle", "text", "display_name"?, "reply_to"?, "quote"?, "langs"?,
  "created_at"?} -> 201 {"data": post}: a customer posts (usually mentioning the brand)
- GET /sandbox/timeline -> {"data": [post, ...]} newest first, deleted ones flagged
- POST /sandbox/delete {"uri"} -> the author deletes a post
- POST /sandbox/reset -> forget posts, customers, sessions, windows and faults
- GET | POST | DELETE /sandbox/faults -> read, replace ({} clears) or clear the fault switches
- GET | POST /sandbox/rate-limits {"scale"?, "unlimited"?} -> read or set the limits
- POST /sandbox/app-password {"handle"?, "expired": bool} -> revoke or restore an app password
- POST /sandbox/sessions/revoke {"handle"?} -> end sessions (tokens stop working)
- POST /sandbox/token-lifetimes {"access_s", "refresh_s"} -> how long new tokens live
- GET /sandbox/sessions -> how many sessions and refreshes there were
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from ..common.admin import add_fault_routes, json_error, json_object
from . import auth, faults, limits
from .actions import delete_post, post_mention, timeline
from .context import current_sandbox

bp = Blueprint("bluesky_sandbox_admin", __name__, url_prefix="/sandbox")
add_fault_routes(bp, faults, lambda: current_sandbox().store, faults.FaultConfig())


@bp.post("/mentions")
def create_mention() -> tuple[Response, int]:
    """Post as a customer and return the stored post."""
    body = json_object()
    if (
        body is None
        or not isinstance(body.get("handle"), str)
        or not isinstance(body.get("text"), str)
    ):
        return json_error('JSON body needs "handle" and "text" strings')
    optional = ("display_name", "reply_to", "quote", "created_at")
    if any(body.get(k) is not None and not isinstance(body[k], str) for k in optional):
        return json_error(f"{', '.join(optional)} must be strings when given")
    langs = body.get("langs")
    if langs is not None and not (
        isinstance(langs, list) and all(isinstance(x, str) for x in langs)
    ):
        return json_error('"langs" must be a list of strings')
    store = current_sandbox().store
    try:
        post = post_mention(
            store,
            handle=body["handle"],
            text=body["text"],
            display_name=body.get("display_name"),
            reply_to=body.get("reply_to"),
            quote=body.get("quote"),
            langs=langs,
            created_at=body.get("created_at"),
        )
    except ValueError as exc:
        return json_error(str(exc))
    item = next(i for i in timeline(store) if i["uri"] == post["uri"])
    return jsonify({"data": item}), 201


@bp.get("/timeline")
def get_timeline() -> Response:
    """Every post, newest first."""
    return jsonify({"data": timeline(current_sandbox().store)})


@bp.post("/delete")
def delete() -> tuple[Response, int]:
    """Delete a post, as its author would."""
    body = json_object()
    if body is None or not isinstance(body.get("uri"), str):
        return json_error('JSON body needs a "uri" string')
    try:
        deleted = delete_post(current_sandbox().store, body["uri"])
    except ValueError as exc:
        return json_error(str(exc))
    return jsonify({"data": {"deleted": deleted}}), 200 if deleted else 404


@bp.post("/reset")
def reset() -> Response:
    """Forget posts, customers, sessions, windows and faults."""
    current_sandbox().store.reset()
    return jsonify({"data": {"reset": True}})


@bp.get("/rate-limits")
def get_rate_limits() -> Response:
    """The limit configuration."""
    return jsonify({"data": limits.get_config(current_sandbox().store)})


@bp.post("/rate-limits")
def set_rate_limits() -> tuple[Response, int]:
    """Set {"scale": float} and/or {"unlimited": bool}; windows start afresh."""
    body = json_object()
    if body is None or set(body) - {"scale", "unlimited"}:
        return json_error('JSON body may hold "scale" and "unlimited" only')
    try:
        limits.set_config(
            current_sandbox().store,
            scale=body.get("scale", 1.0),
            unlimited=body.get("unlimited", False),
        )
    except ValueError as exc:
        return json_error(str(exc))
    return jsonify({"data": limits.get_config(current_sandbox().store)}), 200


@bp.post("/app-password")
def app_password() -> tuple[Response, int]:
    """Revoke ({"expired": true}) or restore the app password of the brand (or "handle")."""
    body = json_object()
    if body is None or not isinstance(body.get("expired"), bool):
        return json_error('JSON body needs "expired": true or false')
    sandbox = current_sandbox()
    handle = body.get("handle", sandbox.brand_handle)
    if not isinstance(handle, str) or len(handle) > 253:
        return json_error('"handle" must be a string')
    try:
        if body["expired"]:
            auth.expire_app_password(sandbox.store, handle.lower())
        else:
            auth.restore_app_password(sandbox.store, handle.lower())
    except ValueError as exc:
        return json_error(str(exc))
    return jsonify({"data": {"handle": handle.lower(), "expired": body["expired"]}}), 200


@bp.post("/sessions/revoke")
def revoke_sessions() -> tuple[Response, int]:
    """End every session (or one account's): their tokens stop working."""
    body = json_object() or {}
    handle = body.get("handle")
    if handle is not None and (not isinstance(handle, str) or len(handle) > 253):
        return json_error('"handle" must be a string')
    try:
        count = auth.revoke_sessions(current_sandbox().store, handle.lower() if handle else None)
    except ValueError as exc:
        return json_error(str(exc))
    return jsonify({"data": {"revoked": count}}), 200


@bp.post("/token-lifetimes")
def token_lifetimes() -> tuple[Response, int]:
    """Set how long new access and refresh tokens live, in seconds."""
    body = json_object()
    if body is None or set(body) - {"access_s", "refresh_s"}:
        return json_error('JSON body may hold "access_s" and "refresh_s" only')
    try:
        auth.set_token_lifetimes(current_sandbox().store, **body)
    except ValueError as exc:
        return json_error(str(exc))
    return jsonify({"data": body}), 200


@bp.get("/sessions")
def sessions() -> Response:
    """How many sessions were made and refreshed."""
    return jsonify({"data": auth.session_stats(current_sandbox().store)})
