"""Sandbox-only operations (not part of X): customers post, delete, and the timeline is read."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .store import SandboxStore
from .times import parse_time

_USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
# X's own ceilings: a long post (X Premium) and a display name.
MAX_POST_CHARS = 25_000
MAX_NAME_CHARS = 50


def post_mention(
    store: SandboxStore | str,
    *,
    username: str,
    text: str,
    name: str | None = None,
    in_reply_to_tweet_id: int | str | None = None,
    quote_tweet_id: int | str | None = None,
    created_at: datetime | str | None = None,
    tweet_id: int | str | None = None,
) -> dict[str, Any]:
    """Post text as customer @username (created if new) and return the stored post.

    `created_at` older than existing posts, without `tweet_id`, yields an id from that moment, i.e.
    below ids already issued: how X's late-indexed mentions look. Raises ValueError on bad input.
    """
    username = username.strip().lstrip("@")
    if not _USERNAME_RE.match(username):
        raise ValueError("username must be 1-15 letters, digits or underscores")
    if not text.strip():
        raise ValueError("text must not be empty")
    if len(text) > MAX_POST_CHARS:
        raise ValueError(f"text must be at most {MAX_POST_CHARS} characters")
    if name is not None and (not isinstance(name, str) or len(name) > MAX_NAME_CHARS):
        raise ValueError(f"name must be at most {MAX_NAME_CHARS} characters")
    store = SandboxStore.of(store)
    when = parse_time(created_at) if isinstance(created_at, str) else created_at
    with store.transaction(write=True) as tx:
        author = store.ensure_user(tx, username, name)
        parent = None
        if in_reply_to_tweet_id not in (None, ""):
            parent = store.get_tweet(tx, _as_id(in_reply_to_tweet_id, "in_reply_to_tweet_id"))
            if parent is None or parent["deleted"]:
                raise ValueError(f"post {in_reply_to_tweet_id} does not exist or is deleted")
        quote = None
        if quote_tweet_id not in (None, ""):
            quote = _as_id(quote_tweet_id, "quote_tweet_id")
            if store.get_tweet(tx, quote) is None:
                raise ValueError(f"post {quote_tweet_id} does not exist")
        explicit = None if tweet_id in (None, "") else _as_id(tweet_id, "id")
        return store.create_tweet(
            tx,
            author=author,
            text=text,
            in_reply_to=parent,
            quote_tweet_id=quote,
            created_at=when,
            tweet_id=explicit,
        )


def delete_post(store: SandboxStore | str, tweet_id: int | str) -> bool:
    """Delete any post, as its author would; return False when there is no such live post."""
    store = SandboxStore.of(store)
    numeric = _as_id(tweet_id, "id")
    with store.transaction(write=True) as tx:
        tweet = store.get_tweet(tx, numeric)
        if tweet is None or tweet["deleted"]:
            return False
        store.delete_tweet(tx, numeric)
        return True


def timeline(
    store: SandboxStore | str, post_url: Callable[[str, int], str] | None = None
) -> list[dict[str, Any]]:
    """Return every post newest first, with author, reply target, deletion flag and link."""
    store = SandboxStore.of(store)
    with store.transaction() as tx:
        rows = store.timeline(tx)
    items = []
    for row in rows:
        item = {
            "id": str(row["id"]),
            "text": row["text"],
            "author_id": row["author_id"],
            "username": row["author_username"],
            "name": row["author_name"],
            "created_at": row["created_at"],
            "conversation_id": str(row["conversation_id"]),
            "in_reply_to_tweet_id": _str_or_none(row["in_reply_to_tweet_id"]),
            "in_reply_to_user_id": row["in_reply_to_user_id"],
            "referenced_tweets": row["referenced_tweets"],
            "entities": row["entities"],
            "lang": row["lang"],
            "deleted": row["deleted"],
        }
        if post_url is not None:
            item["url"] = post_url(row["author_username"], row["id"])
        items.append(item)
    return items


def _as_id(value: int | str, name: str) -> int:
    text = str(value).strip()
    if not text.isdigit() or len(text) > 19:
        raise ValueError(f"{name} must be a numeric post id")
    return int(text)


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
