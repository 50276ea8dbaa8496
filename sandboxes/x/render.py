"""Post and user objects as X API v2 JSON: only the fields asked for, plus `includes`."""

from __future__ import annotations

import re
import sqlite3
from datetime import timedelta
from typing import Any

from flask import url_for

from .store import SandboxStore
from .times import format_time, parse_time

_LEADING_MENTIONS_RE = re.compile(r"^(?:[@＠][A-Za-z0-9_]{1,15}\s+)+")


def render_user(user: dict[str, Any], user_fields: set[str]) -> dict[str, Any]:
    """Return a user object: id, name, username and the requested user.fields."""
    out: dict[str, Any] = {"id": user["id"], "name": user["name"], "username": user["username"]}
    if "profile_image_url" in user_fields:
        out["profile_image_url"] = url_for(
            "x_sandbox_admin.avatar", user_id=user["id"], _external=True
        )
    if "created_at" in user_fields:
        out["created_at"] = user["created_at"]
    if "description" in user_fields:
        out["description"] = ""
    if "protected" in user_fields:
        out["protected"] = False
    if "verified" in user_fields:
        out["verified"] = False
    if "verified_type" in user_fields:
        out["verified_type"] = "none"
    if "url" in user_fields:
        out["url"] = ""
    if "public_metrics" in user_fields:
        out["public_metrics"] = {
            "followers_count": 0,
            "following_count": 0,
            "tweet_count": 0,
            "listed_count": 0,
            "like_count": 0,
        }
    return out


def render_tweet(
    tweet: dict[str, Any], tweet_fields: set[str], reply_count: int = 0
) -> dict[str, Any]:
    """Return a post object: id, text, edit_history_tweet_ids and the requested tweet.fields."""
    tweet_id = str(tweet["id"])
    out: dict[str, Any] = {"id": tweet_id, "text": tweet["text"]}
    if "author_id" in tweet_fields:
        out["author_id"] = tweet["author_id"]
    if "created_at" in tweet_fields:
        out["created_at"] = tweet["created_at"]
    if "conversation_id" in tweet_fields:
        out["conversation_id"] = str(tweet["conversation_id"])
    if "entities" in tweet_fields and tweet["entities"]:
        out["entities"] = tweet["entities"]
    if "lang" in tweet_fields:
        out["lang"] = tweet["lang"]
    if "referenced_tweets" in tweet_fields and tweet["referenced_tweets"]:
        out["referenced_tweets"] = tweet["referenced_tweets"]
    if "in_reply_to_user_id" in tweet_fields and tweet["in_reply_to_user_id"]:
        out["in_reply_to_user_id"] = tweet["in_reply_to_user_id"]
    if "reply_settings" in tweet_fields:
        out["reply_settings"] = tweet["reply_settings"]
    if "possibly_sensitive" in tweet_fields:
        out["possibly_sensitive"] = False
    if "display_text_range" in tweet_fields:
        start = 0
        if tweet["in_reply_to_tweet_id"] is not None:
            match = _LEADING_MENTIONS_RE.match(tweet["text"])
            start = match.end() if match else 0
        out["display_text_range"] = [start, len(tweet["text"])]
    if "public_metrics" in tweet_fields:
        out["public_metrics"] = {
            "retweet_count": 0,
            "reply_count": reply_count,
            "like_count": 0,
            "quote_count": 0,
            "bookmark_count": 0,
            "impression_count": 0,
        }
    if "edit_controls" in tweet_fields:
        editable_until = parse_time(tweet["created_at"]) + timedelta(hours=1)
        out["edit_controls"] = {
            "edits_remaining": 5,
            "is_edit_eligible": False,
            "editable_until": format_time(editable_until),
        }
    out["edit_history_tweet_ids"] = [tweet_id]
    return out


def render_tweets(
    store: SandboxStore,
    tx: sqlite3.Connection,
    tweets: list[dict[str, Any]],
    *,
    tweet_fields: set[str],
    expansions: set[str],
    user_fields: set[str],
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Render posts and build `includes` (users, tweets) for the requested expansions."""
    counts: dict[int, int] = {}
    if "public_metrics" in tweet_fields:
        counts = store.reply_counts(tx, [t["id"] for t in tweets])
    data = [render_tweet(t, tweet_fields, counts.get(t["id"], 0)) for t in tweets]
    user_ids: list[str] = []
    included_tweets: list[dict[str, Any]] = []

    def want_user(user_id: str | None) -> None:
        if user_id and user_id not in user_ids:
            user_ids.append(user_id)

    for tweet in tweets:
        if "author_id" in expansions:
            want_user(tweet["author_id"])
        if "in_reply_to_user_id" in expansions:
            want_user(tweet["in_reply_to_user_id"])
        if "entities.mentions.username" in expansions:
            for mention in tweet["entities"].get("mentions", []):
                want_user(mention["id"])
        if expansions & {"referenced_tweets.id", "referenced_tweets.id.author_id"}:
            for ref in tweet["referenced_tweets"]:
                target = store.get_tweet(tx, int(ref["id"]))
                if target is None or target["deleted"]:
                    continue
                if "referenced_tweets.id" in expansions and all(
                    t["id"] != str(target["id"]) for t in included_tweets
                ):
                    included_tweets.append(render_tweet(target, tweet_fields))
                if "referenced_tweets.id.author_id" in expansions:
                    want_user(target["author_id"])

    includes: dict[str, Any] = {}
    users = [store.get_user(tx, user_id) for user_id in user_ids]
    rendered_users = [render_user(u, user_fields) for u in users if u is not None]
    if rendered_users:
        includes["users"] = rendered_users
    if included_tweets:
        includes["tweets"] = included_tweets
    return data, includes


def page_body(
    data: list[dict[str, Any]], includes: dict[str, Any], next_token: str | None
) -> dict[str, Any]:
    """Return a list response with X's meta (no data key and result_count 0 when empty)."""
    if not data:
        return {"meta": {"result_count": 0}}
    meta: dict[str, Any] = {
        "newest_id": data[0]["id"],
        "oldest_id": data[-1]["id"],
        "result_count": len(data),
    }
    if next_token is not None:
        meta["next_token"] = next_token
    body: dict[str, Any] = {"data": data}
    if includes:
        body["includes"] = includes
    body["meta"] = meta
    return body
