"""The /2 routes: the slice of X API v2 that IdeaBoard calls, with X's shapes, codes and headers.

Every /2 request passes, in order: the Authorization check (401), fault injection (see faults.py)
and the rate limit (429); the x-rate-limit-* headers go on every /2 response.

Choices where X's behaviour is not fully documented:
- A reply to a deleted or unknown post answers 403 "You attempted to reply to a Tweet that is
  deleted or not visible to you." (X's wording, code 385 in v1.1) as an about:blank problem.
- DELETE of an unknown post answers 200 {"data": {"deleted": false}}; of someone else's post 403.
- The authenticated user is always the brand account; any `OAuth ...` or non-empty `Bearer ...`
  header is accepted (signatures are not checked), but tweepy's "Bearer None" is refused with 401.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from . import faults, limits
from .context import current_sandbox
from .params import (
    TWEET_EXPANSIONS,
    TWEET_FIELDS,
    USER_EXPANSIONS,
    USER_FIELDS,
    check_known,
    decode_token,
    encode_token,
    parse_csv,
    parse_id,
    parse_max_results,
    parse_timestamp,
    time_window,
)
from .problems import (
    DUPLICATE_CONTENT,
    REPLY_NOT_ALLOWED,
    REPLY_TARGET_GONE,
    TEXT_TOO_LONG,
    forbidden,
    invalid_request,
    problem,
    resource_not_found,
)
from .render import page_body, render_tweet, render_tweets, render_user
from .search import compile_query
from .store import SandboxStore
from .text import MAX_WEIGHTED_LENGTH, weighted_length
from .times import format_time

bp = Blueprint("x_api", __name__, url_prefix="/2")

# view function name -> rate-limit / fault-scope key
ENDPOINT_KEYS = {
    "users_me": "users_me",
    "users_mentions": "mentions",
    "create_tweet": "create_tweet",
    "delete_tweet": "delete_tweet",
    "get_tweet": "tweet_lookup",
    "search_recent": "search",
}
LIST_PARAMS = ("expansions", "tweet.fields", "user.fields", "since_id", "until_id", "start_time")
SEARCH_WINDOW = timedelta(days=7)
REPLY_SETTINGS = ("following", "mentionedUsers", "subscribers", "verified")


def _endpoint_key() -> str | None:
    name = (request.endpoint or "").rpartition(".")[2]
    return ENDPOINT_KEYS.get(name)


@bp.before_request
def guard() -> None:
    """Check authorization, inject configured faults and count the request against its limit."""
    key = _endpoint_key()
    if key is None:
        return
    g.x_endpoint = key
    auth = request.headers.get("Authorization", "")
    bearer = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else None
    if not (auth.startswith("OAuth ") or (bearer and bearer != "None")):
        raise problem(401, "Unauthorized")
    store = current_sandbox().store
    faults.apply(faults.draw(store, key), key)
    g.x_rate_headers = limits.check(store, key)


@bp.after_request
def add_rate_limit_headers(response: Response) -> Response:
    """Put x-rate-limit-* on every /2 response (current state when the request was not counted)."""
    key = g.get("x_endpoint")
    if key is not None:
        headers = g.get("x_rate_headers") or limits.check(current_sandbox().store, key, count=False)
        for name, value in headers.items():
            response.headers.setdefault(name, value)
    return response


def _page_of(
    store: SandboxStore,
    tx: sqlite3.Connection,
    rows: list[dict[str, Any]],
    max_results: int,
    options: tuple[set[str], set[str], set[str]],
) -> Response:
    """Answer one page of rows (fetched with one extra to tell whether more follow)."""
    page, more = rows[:max_results], len(rows) > max_results
    tweet_fields, expansions, user_fields = options
    data, includes = render_tweets(
        store, tx, page, tweet_fields=tweet_fields, expansions=expansions, user_fields=user_fields
    )
    next_token = encode_token(page[-1]["id"]) if more else None
    return jsonify(page_body(data, includes, next_token))


def _list_options() -> tuple[set[str], set[str], set[str]]:
    return (
        parse_csv("tweet.fields", request.args.get("tweet.fields"), TWEET_FIELDS),
        parse_csv("expansions", request.args.get("expansions"), TWEET_EXPANSIONS),
        parse_csv("user.fields", request.args.get("user.fields"), USER_FIELDS),
    )


@bp.get("/users/me")
def users_me() -> Response:
    """GET /2/users/me: the brand account."""
    check_known(request.args, ("expansions", "tweet.fields", "user.fields"))
    parse_csv("expansions", request.args.get("expansions"), USER_EXPANSIONS)
    parse_csv("tweet.fields", request.args.get("tweet.fields"), TWEET_FIELDS)
    user_fields = parse_csv("user.fields", request.args.get("user.fields"), USER_FIELDS)
    sandbox = current_sandbox()
    with sandbox.store.transaction() as tx:
        user = sandbox.store.get_user(tx, sandbox.brand_user_id)
    if user is None:  # pragma: no cover - created by the factory
        raise problem(500)
    return jsonify({"data": render_user(user, user_fields)})


@bp.get("/users/<user_id>/mentions")
def users_mentions(user_id: str) -> Response:
    """GET /2/users/:id/mentions: newest first, 800 most recent reachable, token pagination."""
    check_known(request.args, (*LIST_PARAMS, "end_time", "max_results", "pagination_token"))
    parse_id("id", user_id)
    tweet_fields, expansions, user_fields = _list_options()
    max_results = parse_max_results(request.args.get("max_results"), 5, 100, 10)
    since_id = parse_id("since_id", request.args.get("since_id"))
    until_id = parse_id("until_id", request.args.get("until_id"))
    start, end = time_window(
        parse_timestamp("start_time", request.args.get("start_time")),
        parse_timestamp("end_time", request.args.get("end_time")),
    )
    token_bound = decode_token("pagination_token", request.args.get("pagination_token"))
    if token_bound is not None:
        until_id = token_bound if until_id is None else min(until_id, token_bound)
    store = current_sandbox().store
    with store.transaction() as tx:
        if store.get_user(tx, user_id) is None:
            return jsonify({"errors": [resource_not_found("user", "id", user_id)]})
        tweets = store.mentions_page(
            tx,
            user_id,
            since_id=since_id,
            until_id=until_id,
            start_time=start,
            end_time=end,
            limit=max_results + 1,
        )
        return _page_of(store, tx, tweets, max_results, (tweet_fields, expansions, user_fields))


@bp.get("/tweets/search/recent")
def search_recent() -> Response:
    """GET /2/tweets/search/recent: the last 7 days, newest first, next_token pagination."""
    check_known(
        request.args,
        (*LIST_PARAMS, "end_time", "max_results", "next_token", "query", "sort_order"),
    )
    query = request.args.get("query")
    if query is None:
        raise invalid_request("The `query` query parameter can not be empty", {"query": [""]})
    tweet_fields, expansions, user_fields = _list_options()
    max_results = parse_max_results(request.args.get("max_results"), 10, 100, 10)
    since_id = parse_id("since_id", request.args.get("since_id"))
    until_id = parse_id("until_id", request.args.get("until_id"))
    now = datetime.now(UTC)
    start, end = _search_time_window(now)
    token_bound = decode_token("next_token", request.args.get("next_token"))
    if token_bound is not None:
        until_id = token_bound if until_id is None else min(until_id, token_bound)
    store = current_sandbox().store
    with store.transaction() as tx:
        found = _search(
            store,
            tx,
            query,
            oldest=format_time(now - SEARCH_WINDOW),
            since_id=since_id,
            until_id=until_id,
            start=start,
            end=end,
            limit=max_results + 1,
        )
        return _page_of(store, tx, found, max_results, (tweet_fields, expansions, user_fields))


def _search_time_window(now: datetime) -> tuple[str | None, str | None]:
    """start_time and end_time, refused as X does outside the 7 days before the request."""
    start_dt = parse_timestamp("start_time", request.args.get("start_time"))
    end_dt = parse_timestamp("end_time", request.args.get("end_time"))
    if start_dt is not None and start_dt < now - SEARCH_WINDOW:
        raise invalid_request(
            f"Invalid 'start_time':'{request.args['start_time']}'. 'start_time' must be on or"
            f" after {format_time(now - SEARCH_WINDOW)}",
            {"start_time": [request.args["start_time"]]},
        )
    if end_dt is not None and end_dt > now - timedelta(seconds=10):
        raise invalid_request(
            f"Invalid 'end_time':'{request.args['end_time']}'. 'end_time' must be a minimum of"
            " 10 seconds prior to the request time.",
            {"end_time": [request.args["end_time"]]},
        )
    return time_window(start_dt, end_dt)


def _search(
    store: SandboxStore,
    tx: sqlite3.Connection,
    query: str,
    *,
    oldest: str,
    since_id: int | None,
    until_id: int | None,
    start: str | None,
    end: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """The live posts since oldest that match query and the bounds, newest first, up to limit."""

    def user_id_of(username: str) -> str | None:
        user = store.get_user_by_username(tx, username)
        return None if user is None else str(user["id"])

    matches = compile_query(query, user_id_of)
    found: list[dict[str, Any]] = []
    for tweet in store.live_tweets_since(tx, oldest):
        if (
            (since_id is None or tweet["id"] > since_id)
            and (until_id is None or tweet["id"] < until_id)
            and (start is None or tweet["created_at"] >= start)
            and (end is None or tweet["created_at"] < end)
            and matches(tweet)
        ):
            found.append(tweet)
            if len(found) >= limit:
                break
    return found


@bp.get("/tweets/<tweet_id>")
def get_tweet(tweet_id: str) -> Response:
    """GET /2/tweets/:id: a live post, or a 200 with a resource-not-found error."""
    check_known(request.args, ("expansions", "tweet.fields", "user.fields"))
    tweet_fields, expansions, user_fields = _list_options()
    numeric = parse_id("id", tweet_id)
    store = current_sandbox().store
    with store.transaction() as tx:
        tweet = store.get_tweet(tx, numeric or 0)
        if tweet is None or tweet["deleted"]:
            return jsonify({"errors": [resource_not_found("tweet", "id", tweet_id)]})
        data, includes = render_tweets(
            store,
            tx,
            [tweet],
            tweet_fields=tweet_fields,
            expansions=expansions,
            user_fields=user_fields,
        )
    body: dict[str, Any] = {"data": data[0]}
    if includes:
        body["includes"] = includes
    return jsonify(body)


def _reply_allowed(
    store: SandboxStore, tx: sqlite3.Connection, parent: dict[str, Any], brand_id: str
) -> bool:
    if parent["author_id"] == brand_id or store.mentions_user(tx, parent["id"], brand_id):
        return True
    for ref in parent["referenced_tweets"]:
        if ref["type"] == "quoted":
            quoted = store.get_tweet(tx, int(ref["id"]))
            if quoted is not None and quoted["author_id"] == brand_id:
                return True
    return False


def _body_id(body: dict[str, Any], *path: str) -> int | None:
    value: Any = body
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if value is None:
        return None
    if not isinstance(value, str) or not value.isdigit() or len(value) > 19:
        raise invalid_request(f"$.{'.'.join(path)}: does not match ^[0-9]{{1,19}}$")
    return int(value)


@bp.post("/tweets")
def create_tweet() -> tuple[Response, int]:
    """POST /2/tweets: a post or reply by the brand, with X's duplicate and reply rules."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise invalid_request("Request body must be a JSON object")
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise invalid_request("$.text: Tweet text must not be empty")
    reply_to = _body_id(body, "reply", "in_reply_to_tweet_id")
    quote_id = _body_id(body, "quote_tweet_id")
    reply_settings = body.get("reply_settings")
    if reply_settings is not None and reply_settings not in REPLY_SETTINGS:
        raise invalid_request(f"$.reply_settings: must be one of {list(REPLY_SETTINGS)}")
    if weighted_length(text) > MAX_WEIGHTED_LENGTH:
        raise problem(400, TEXT_TOO_LONG)
    sandbox = current_sandbox()
    store = sandbox.store
    with store.transaction(write=True) as tx:
        brand = store.get_user(tx, sandbox.brand_user_id)
        if brand is None:  # pragma: no cover - created by the factory
            raise problem(500)
        parent = None if reply_to is None else store.get_tweet(tx, reply_to)
        if reply_to is not None:
            if parent is None or parent["deleted"]:
                raise forbidden(REPLY_TARGET_GONE)
            if not _reply_allowed(store, tx, parent, brand["id"]):
                raise forbidden(REPLY_NOT_ALLOWED)
        if quote_id is not None:
            quoted = store.get_tweet(tx, quote_id)
            if quoted is None or quoted["deleted"]:
                raise forbidden("You attempted to quote a Tweet that is deleted or not visible.")
        source_text = store.compose_source_text(tx, brand, text, parent)
        if store.find_duplicate(tx, brand["id"], source_text) is not None:
            raise forbidden(DUPLICATE_CONTENT)
        tweet = store.create_tweet(
            tx,
            author=brand,
            text=text,
            in_reply_to=parent,
            quote_tweet_id=quote_id,
            reply_settings=reply_settings or "everyone",
        )
    return jsonify({"data": render_tweet(tweet, set())}), 201


@bp.delete("/tweets/<tweet_id>")
def delete_tweet(tweet_id: str) -> Response:
    """DELETE /2/tweets/:id: delete one of the brand's posts."""
    numeric = parse_id("id", tweet_id) or 0
    sandbox = current_sandbox()
    with sandbox.store.transaction(write=True) as tx:
        tweet = sandbox.store.get_tweet(tx, numeric)
        if tweet is None:
            return jsonify({"data": {"deleted": False}})
        if tweet["author_id"] != sandbox.brand_user_id:
            raise forbidden("You are not allowed to delete this Tweet.")
        sandbox.store.delete_tweet(tx, numeric)
    return jsonify({"data": {"deleted": True}})
