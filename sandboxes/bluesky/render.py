"""Views in the shapes of the app.bsky lexicons: profiles, posts, threads, notifications."""

from __future__ import annotations

import sqlite3
from typing import Any

from .ids import parse_at_uri
from .store import SandboxStore


def permalink(handle: str, uri: str) -> str:
    """The post's address in the Bluesky web app."""
    return f"https://bsky.app/profile/{handle}/post/{parse_at_uri(uri).rkey}"


def profile_basic(row: dict[str, Any]) -> dict[str, Any]:
    """app.bsky.actor.defs#profileViewBasic of a post's author."""
    return {
        "did": row["did"],
        "handle": row["handle"],
        "displayName": row["display_name"],
        "labels": [],
        "createdAt": row["actor_created_at"],
    }


def profile_view(row: dict[str, Any]) -> dict[str, Any]:
    """app.bsky.actor.defs#profileView (what notifications carry)."""
    return {**profile_basic(row), "indexedAt": row["actor_created_at"]}


def post_view(store: SandboxStore, tx: sqlite3.Connection, post: dict[str, Any]) -> dict[str, Any]:
    """app.bsky.feed.defs#postView."""
    return {
        "uri": post["uri"],
        "cid": post["cid"],
        "author": profile_basic(post),
        "record": post["record"],
        "replyCount": store.count_replies(tx, post["uri"]),
        "repostCount": 0,
        "likeCount": 0,
        "quoteCount": 0,
        "indexedAt": post["indexed_at"],
        "labels": [],
    }


def thread_view(
    store: SandboxStore,
    tx: sqlite3.Connection,
    post: dict[str, Any],
    *,
    depth: int,
    parent_height: int,
) -> dict[str, Any]:
    """app.bsky.feed.defs#threadViewPost: the post, its parents up to parent_height, and
    replies down to depth."""
    view: dict[str, Any] = {
        "$type": "app.bsky.feed.defs#threadViewPost",
        "post": post_view(store, tx, post),
    }
    parent_uri = post["reply_parent"]
    if parent_uri and parent_height > 0:
        parent = store.get_post(tx, parent_uri)
        if parent is None or parent["deleted"]:
            view["parent"] = {
                "$type": "app.bsky.feed.defs#notFoundPost",
                "uri": parent_uri,
                "notFound": True,
            }
        else:
            view["parent"] = thread_view(
                store, tx, parent, depth=0, parent_height=parent_height - 1
            )
    if depth > 0:
        view["replies"] = [
            thread_view(store, tx, reply, depth=depth - 1, parent_height=0)
            for reply in store.replies(tx, post["uri"])
        ]
    return view


def notification_view(row: dict[str, Any]) -> dict[str, Any]:
    """app.bsky.notification.listNotifications#notification."""
    view: dict[str, Any] = {
        "uri": row["uri"],
        "cid": row["cid"],
        "author": profile_view(row),
        "reason": row["reason"],
        "record": row["record"],
        "isRead": False,
        "indexedAt": row["n_sort_at"],
        "labels": [],
    }
    if row["reason_subject"]:
        view["reasonSubject"] = row["reason_subject"]
    return view
