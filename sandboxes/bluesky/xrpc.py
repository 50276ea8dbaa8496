"""The /xrpc routes: the slice of com.atproto and app.bsky that IdeaBoard's connector calls.

Every /xrpc request passes, in order: fault injection (faults.py), the rate limits (the
global bucket, and the login or write bucket where it applies; ratelimit-* headers on every
answer), then the method, which checks the access token where the PDS requires one. Errors are
XRPC bodies {"error", "message"}: 400 InvalidRequest for bad parameters and records, 400
ExpiredToken/InvalidToken for tokens, 401 AuthRequired/AuthenticationRequired for missing or
refused credentials, 429 RateLimitExceeded, 501 MethodNotImplemented for unknown methods.

Choices where the real services differ or say little:
- at:// URIs in parameters must name their repo by DID (the AppView also accepts handles).
- getPosts, getPostThread and getProfile accept calls without a token (the public AppView
  does); a token, when sent, must be valid.
- Notifications are listed by their sort time (the earlier of the post's createdAt and its
  index time), newest first; the cursor is opaque to clients.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from . import auth, faults, limits
from .context import current_sandbox
from .errors import XrpcError, invalid_request
from .ids import POST_COLLECTION, parse_at_uri
from .records import post_record_problem
from .render import notification_view, post_view, thread_view

bp = Blueprint("bluesky_xrpc", __name__, url_prefix="/xrpc")

MAX_CURSOR_CHARS = 100
MAX_URIS = 25
MAX_REASONS = 20
MAX_ID_CHARS = 253
# Record keys may be 512 characters; the sandbox keeps a post's URI within 300 (IdeaBoard's
# column), so it takes keys up to 100.
MAX_RKEY_CHARS = 100
RKEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:~-")


def _nsid() -> str:
    return request.path.rpartition("/xrpc/")[2]


@bp.before_request
def _gate() -> None:
    """Faults, then rate limits; the headers of the narrowest bucket go on the response."""
    nsid = _nsid()
    if nsid not in faults.ENDPOINTS:
        return
    store = current_sandbox().store
    faults.apply(faults.draw(store, nsid))
    headers = limits.check(store, "global")
    if nsid == "com.atproto.server.createSession":
        headers = limits.check(store, "createSession")
    elif nsid in ("com.atproto.repo.createRecord", "com.atproto.repo.deleteRecord"):
        headers = limits.check(store, "write")
    g.bluesky_ratelimit = headers


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers.update(g.get("bluesky_ratelimit", {}))
    return response


def _audience() -> str:
    return "did:web:" + (request.host.partition(":")[0] or "localhost")


def _viewer(required: bool = True) -> str | None:
    header = request.headers.get("Authorization")
    if not header and not required:
        return None
    return auth.authenticate(current_sandbox().store, header)


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise invalid_request("Request body must be a JSON object")
    return body


def _string(body: dict[str, Any], name: str, *, required: bool = True, limit: int = 3000) -> Any:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > limit:
        raise invalid_request(f"Input/{name} must be a string of 1 to {limit} characters")
    return value


def _int_param(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.lstrip("-").isdigit() or len(raw) > 8 or not low <= int(raw) <= high:
        raise invalid_request(f"{name} must be an integer between {low} and {high}")
    return int(raw)


def _uri_param(value: str | None, name: str) -> str:
    if not value:
        raise invalid_request(f'Params must have the property "{name}"')
    try:
        parse_at_uri(value)
    except ValueError as error:
        raise invalid_request(f"{name} must be a valid at-uri") from error
    return value


def _session_body(actor: dict[str, Any], tokens: dict[str, str]) -> dict[str, Any]:
    return {**tokens, "handle": actor["handle"], "did": actor["did"], "active": True}


# com.atproto.server ---------------------------------------------------------------------------
@bp.post("/com.atproto.server.createSession")
def create_session() -> Response:
    """Log in with a handle (or DID) and an app password."""
    body = _body()
    identifier = _string(body, "identifier", limit=MAX_ID_CHARS)
    password = _string(body, "password", limit=256)
    actor, tokens = auth.create_session(current_sandbox().store, identifier, password, _audience())
    return jsonify(_session_body(actor, tokens))


@bp.post("/com.atproto.server.refreshSession")
def refresh_session() -> Response:
    """Trade the refresh token (in Authorization) for a new pair."""
    actor, tokens = auth.refresh_session(
        current_sandbox().store, request.headers.get("Authorization"), _audience()
    )
    return jsonify(_session_body(actor, tokens))


@bp.get("/com.atproto.server.getSession")
def get_session() -> Response:
    """Who the access token belongs to."""
    did = _viewer()
    store = current_sandbox().store
    with store.transaction() as tx:
        actor = store.get_actor(tx, str(did))
    if actor is None:  # pragma: no cover - sessions belong to existing actors
        raise invalid_request("Account not found")
    return jsonify({"handle": actor["handle"], "did": actor["did"], "active": True})


@bp.get("/com.atproto.identity.resolveHandle")
def resolve_handle() -> Response:
    """The DID of a handle."""
    handle = request.args.get("handle", "")
    if not handle or len(handle) > MAX_ID_CHARS:
        raise invalid_request('Params must have the property "handle"')
    store = current_sandbox().store
    with store.transaction() as tx:
        actor = store.find_actor(tx, handle.lower())
    if actor is None or actor["did"] == handle:
        raise invalid_request("Unable to resolve handle")
    return jsonify({"did": actor["did"]})


# com.atproto.repo -----------------------------------------------------------------------------
@bp.post("/com.atproto.repo.createRecord")
def create_record() -> Response:
    """Write a post into the logged-in account's repository."""
    did = _viewer()
    body = _body()
    repo = _string(body, "repo", limit=MAX_ID_CHARS)
    collection = _string(body, "collection", limit=317)
    rkey = _string(body, "rkey", required=False, limit=MAX_RKEY_CHARS)
    store = current_sandbox().store
    with store.transaction() as tx:
        actor = store.find_actor(tx, repo)
    if actor is None or actor["did"] != did:
        raise invalid_request("Input/repo must be the DID or handle of the logged-in account")
    if collection != POST_COLLECTION:
        raise invalid_request(f"The sandbox stores {POST_COLLECTION} records only")
    if rkey is not None and (rkey in (".", "..") or not set(rkey) <= RKEY_CHARS):
        raise invalid_request("Input/rkey must be a valid record key")
    record = body.get("record")
    problem = post_record_problem(record)
    if problem or not isinstance(record, dict):
        raise invalid_request(problem or "Record must be an object")
    with store.transaction(write=True) as tx:
        try:
            post = store.create_post(tx, str(did), record, rkey=rkey)
        except ValueError as error:
            raise invalid_request(str(error)) from error
    return jsonify(
        {
            "uri": post["uri"],
            "cid": post["cid"],
            "commit": {"cid": post["cid"], "rev": parse_at_uri(post["uri"]).rkey},
            "validationStatus": "valid",
        }
    )


@bp.post("/com.atproto.repo.deleteRecord")
def delete_record() -> Response:
    """Delete one of the logged-in account's posts (absent records are not an error)."""
    did = _viewer()
    body = _body()
    repo = _string(body, "repo", limit=MAX_ID_CHARS)
    collection = _string(body, "collection", limit=317)
    rkey = _string(body, "rkey", limit=512)
    store = current_sandbox().store
    with store.transaction(write=True) as tx:
        actor = store.find_actor(tx, repo)
        if actor is None or actor["did"] != did:
            raise invalid_request("Input/repo must be the DID or handle of the logged-in account")
        store.delete_post(tx, f"at://{did}/{collection}/{rkey}")
    return jsonify({})


# app.bsky -------------------------------------------------------------------------------------
@bp.get("/app.bsky.actor.getProfile")
def get_profile() -> Response:
    """An account's profile."""
    _viewer(required=False)
    name = request.args.get("actor", "")
    if not name or len(name) > MAX_ID_CHARS:
        raise invalid_request('Params must have the property "actor"')
    store = current_sandbox().store
    with store.transaction() as tx:
        actor = store.find_actor(tx, name)
        if actor is None:
            raise invalid_request("Profile not found")
        posts = tx.execute(
            "SELECT COUNT(*) AS n FROM posts WHERE did = ? AND deleted = 0", (actor["did"],)
        ).fetchone()["n"]
    return jsonify(
        {
            "did": actor["did"],
            "handle": actor["handle"],
            "displayName": actor["display_name"],
            "followersCount": 0,
            "followsCount": 0,
            "postsCount": int(posts),
            "indexedAt": actor["created_at"],
            "createdAt": actor["created_at"],
            "labels": [],
        }
    )


@bp.get("/app.bsky.notification.listNotifications")
def list_notifications() -> Response:
    """The logged-in account's notifications, newest first, a page at a time."""
    did = str(_viewer())
    limit = _int_param("limit", 50, 1, 100)
    reasons = request.args.getlist("reasons")
    if len(reasons) > MAX_REASONS or any(not r or len(r) > 40 for r in reasons):
        raise invalid_request(f"reasons must be at most {MAX_REASONS} short strings")
    before = _parse_cursor(request.args.get("cursor"))
    store = current_sandbox().store
    with store.transaction() as tx:
        rows = store.notifications_page(tx, did, reasons=reasons, before=before, limit=limit)
    body: dict[str, Any] = {"notifications": [notification_view(row) for row in rows]}
    if len(rows) == limit:
        body["cursor"] = f"{rows[-1]['n_sort_at']}|{rows[-1]['notification_id']}"
    body["priority"] = False
    return jsonify(body)


def _parse_cursor(cursor: str | None) -> tuple[str, int] | None:
    if not cursor:
        return None
    stamp, _, number = cursor.partition("|")
    if len(cursor) > MAX_CURSOR_CHARS or not number.isdigit() or len(stamp) != 24:
        raise invalid_request("Malformed cursor")
    return stamp, int(number)


@bp.get("/app.bsky.feed.getPosts")
def get_posts() -> Response:
    """Posts by URI; unknown and deleted ones are left out."""
    _viewer(required=False)
    uris = request.args.getlist("uris")
    if not uris or len(uris) > MAX_URIS:
        raise invalid_request(f"uris must hold 1 to {MAX_URIS} at-uris")
    for uri in uris:
        _uri_param(uri, "uris")
    store = current_sandbox().store
    with store.transaction() as tx:
        posts = [store.get_post(tx, uri) for uri in uris]
        views = [post_view(store, tx, p) for p in posts if p is not None and not p["deleted"]]
    return jsonify({"posts": views})


@bp.get("/app.bsky.feed.getPostThread")
def get_post_thread() -> Response:
    """A post with its parents and replies."""
    _viewer(required=False)
    uri = _uri_param(request.args.get("uri"), "uri")
    depth = _int_param("depth", 6, 0, 1000)
    parent_height = _int_param("parentHeight", 80, 0, 1000)
    store = current_sandbox().store
    with store.transaction() as tx:
        post = store.get_post(tx, uri)
        if post is None or post["deleted"]:
            raise XrpcError(400, "NotFound", f"Post not found: {uri}")
        # Threads are walked recursively: the sandbox follows at most 100 levels either way.
        thread = thread_view(
            store, tx, post, depth=min(depth, 100), parent_height=min(parent_height, 100)
        )
    return jsonify({"thread": thread})
