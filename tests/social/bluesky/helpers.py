"""The Bluesky brand account the tests run as, settings aiming IdeaBoard at the sandbox, and
small helpers for the Bluesky tests (fixtures are in fixtures.py, exposed by the conftest)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sandboxes.bluesky import DEFAULT_APP_PASSWORD, DEFAULT_BRAND_HANDLE, SandboxStore
from sandboxes.bluesky.times import format_time

BLUESKY_HANDLE = DEFAULT_BRAND_HANDLE  # hanbit.bsky.social
BLUESKY_APP_PASSWORD = DEFAULT_APP_PASSWORD


def bluesky_settings(sandbox_url: str) -> dict[str, Any]:
    """The app settings that aim the Bluesky connector at the sandbox."""
    return {
        "IDEABOARD_BLUESKY_HANDLE": BLUESKY_HANDLE,
        "IDEABOARD_BLUESKY_APP_PASSWORD": BLUESKY_APP_PASSWORD,
        "IDEABOARD_BLUESKY_SERVICE": sandbox_url,
    }


def raw_post(
    store: SandboxStore, handle: str, record: dict[str, Any], **kwargs: Any
) -> dict[str, Any]:
    """Store a record exactly as given (no facet detection): a post made by another client."""
    with store.transaction(write=True) as tx:
        author = store.ensure_actor(tx, handle)
        return store.create_post(tx, author["did"], record, **kwargs)


def utf8_slice(text: str, facet: dict[str, Any]) -> str:
    """The text a facet's byte range covers."""
    index = facet["index"]
    return text.encode("utf-8")[index["byteStart"] : index["byteEnd"]].decode("utf-8")


def bulk_mentions(
    store: SandboxStore, count: int, *, prefix: str = "글", same_time: bool = False
) -> list[dict[str, Any]]:
    """Post `count` mentions of the brand (by seven customers) in one transaction, oldest first
    (written a millisecond apart an hour ago, or all at the same moment with same_time)."""
    posts = []
    start = datetime.now(UTC) - timedelta(hours=1)
    with store.transaction(write=True) as tx:
        brand = store.find_actor(tx, BLUESKY_HANDLE)
        assert brand is not None
        mention = f"@{BLUESKY_HANDLE}"
        facet = {
            "index": {"byteStart": 0, "byteEnd": len(mention.encode())},
            "features": [{"$type": "app.bsky.richtext.facet#mention", "did": brand["did"]}],
        }
        for i in range(count):
            author = store.ensure_actor(tx, f"u{i % 7}.bsky.social")
            record = {
                "$type": "app.bsky.feed.post",
                "text": f"{mention} {prefix} {i}",
                "createdAt": format_time(start + timedelta(milliseconds=0 if same_time else i)),
                "langs": ["ko"],
                "facets": [facet],
            }
            posts.append(store.create_post(tx, author["did"], record))
    return posts
