"""Sandbox-only operations (not part of atproto): customers post, posts are deleted, the
timeline is read — for the page, the /sandbox JSON routes and tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .ids import HANDLE_RE, parse_at_uri
from .records import post_record_problem
from .render import permalink
from .store import SandboxStore
from .text import detect_facets, guess_langs
from .times import format_time, parse_time

MAX_NAME_CHARS = 64  # Bluesky's display name limit in graphemes; characters here
DEFAULT_DOMAIN = "bsky.social"


def normalise_handle(handle: str) -> str:
    """A handle in lower case; a bare name gets .bsky.social. ValueError when not a domain."""
    handle = (handle or "").strip().lstrip("@").lower()
    if handle and "." not in handle:
        handle = f"{handle}.{DEFAULT_DOMAIN}"
    if not HANDLE_RE.match(handle):
        raise ValueError("handle must be a domain name such as minji.bsky.social")
    return handle


def post_mention(
    store: SandboxStore | str,
    *,
    handle: str,
    text: str,
    display_name: str | None = None,
    reply_to: str | None = None,
    quote: str | None = None,
    langs: list[str] | None = None,
    created_at: datetime | str | None = None,
) -> dict[str, Any]:
    """Post text as customer `handle` (created if new), as the Bluesky app would, and return
    the stored post: facets detected (links, #tags, @mentions of known handles), langs guessed
    when not given, a reply's root and parent set from `reply_to`, `quote` embedded. A past
    `created_at` makes a backdated post. Raises ValueError on bad input.
    """
    handle = normalise_handle(handle)
    if not isinstance(text, str) or not text.strip():
        raise ValueError("text must not be empty")
    if display_name is not None and (
        not isinstance(display_name, str) or len(display_name) > MAX_NAME_CHARS
    ):
        raise ValueError(f"display name must be at most {MAX_NAME_CHARS} characters")
    store = SandboxStore.of(store)
    when = parse_time(created_at) if isinstance(created_at, str) else created_at
    with store.transaction(write=True) as tx:
        author = store.ensure_actor(tx, handle, display_name or None)

        def resolve(name: str) -> str | None:
            actor = store.find_actor(tx, name)
            return None if actor is None else str(actor["did"])

        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": format_time(when or datetime.now(UTC)),
            "langs": langs if langs is not None else guess_langs(text),
        }
        facets = detect_facets(text, resolve)
        if facets:
            record["facets"] = facets
        if reply_to:
            parent = _live_post(store, tx, reply_to, "reply_to")
            parent_ref = {"uri": parent["uri"], "cid": parent["cid"]}
            root_ref = (parent["record"].get("reply") or {}).get("root") or parent_ref
            record["reply"] = {"root": root_ref, "parent": parent_ref}
        if quote:
            quoted = _live_post(store, tx, quote, "quote")
            record["embed"] = {
                "$type": "app.bsky.embed.record",
                "record": {"uri": quoted["uri"], "cid": quoted["cid"]},
            }
        problem = post_record_problem(record)
        if problem:
            raise ValueError(problem)
        return store.create_post(tx, author["did"], record)


def _live_post(store: SandboxStore, tx: Any, uri: str, name: str) -> dict[str, Any]:
    try:
        parse_at_uri(uri.strip())
    except ValueError as error:
        raise ValueError(f"{name} must be a post's at:// URI") from error
    post = store.get_post(tx, uri.strip())
    if post is None or post["deleted"]:
        raise ValueError(f"post {uri} does not exist or is deleted")
    return post


def delete_post(store: SandboxStore | str, uri: str) -> bool:
    """Delete a live post, as its author would; False when there is none."""
    parse_at_uri(uri)
    store = SandboxStore.of(store)
    with store.transaction(write=True) as tx:
        return store.delete_post(tx, uri)


def timeline(store: SandboxStore | str) -> list[dict[str, Any]]:
    """Every post newest first: uri, author, text, facets, langs, reply refs, link, deletion."""
    store = SandboxStore.of(store)
    with store.transaction() as tx:
        rows = store.timeline(tx)
    return [
        {
            "uri": row["uri"],
            "cid": row["cid"],
            "did": row["did"],
            "handle": row["handle"],
            "display_name": row["display_name"],
            "text": row["record"].get("text", ""),
            "facets": row["record"].get("facets", []),
            "langs": row["record"].get("langs", []),
            "created_at": row["record"].get("createdAt"),
            "indexed_at": row["indexed_at"],
            "reply_root": row["reply_root"],
            "reply_parent": row["reply_parent"],
            "quote": row["quote"],
            "record": row["record"],
            "deleted": row["deleted"],
            "url": permalink(row["handle"], row["uri"]),
        }
        for row in rows
    ]


def add_account(
    store: SandboxStore | str, handle: str, app_password: str, display_name: str | None = None
) -> str:
    """Make another account that can log in (a second brand); return its DID."""
    handle = normalise_handle(handle)
    if not 8 <= len(app_password) <= 100:
        raise ValueError("an app password has 8 to 100 characters")
    store = SandboxStore.of(store)
    with store.transaction(write=True) as tx:
        actor = store.ensure_actor(tx, handle, display_name)
        store.set_app_password(tx, actor["did"], app_password)
        brands = store.get_setting(tx, "brand_dids", [])
        if actor["did"] not in brands:
            store.put_setting(tx, "brand_dids", [*brands, actor["did"]])
        return str(actor["did"])
