"""Checks of an app.bsky.feed.post record, as a PDS validates it against the lexicon."""

from __future__ import annotations

import re
from typing import Any

from .ids import POST_COLLECTION, parse_at_uri
from .text import MAX_GRAPHEMES, MAX_TEXT_BYTES, check_facets, grapheme_count
from .times import parse_time

LANG_RE = re.compile(r"^(i|[a-z]{2,3})(-[A-Za-z0-9-]{1,20})?$")
MAX_LANGS = 3
_PREFIX = f"Invalid {POST_COLLECTION} record: "


def _strong_ref(value: Any, where: str) -> str | None:
    if not isinstance(value, dict):
        return f"{where} must be an object with uri and cid"
    uri, cid = value.get("uri"), value.get("cid")
    if not isinstance(uri, str) or not isinstance(cid, str) or not 8 <= len(cid) <= 200:
        return f"{where} must have a uri and a cid"
    try:
        parse_at_uri(uri)
    except ValueError:
        return f"{where}/uri must be an at:// URI"
    return None


def post_record_problem(record: Any) -> str | None:
    """Why record is not a valid post (message worded like the PDS), or None."""
    if not isinstance(record, dict):
        return "Record must be an object"
    if record.get("$type") != POST_COLLECTION:
        return f"Record/$type must be {POST_COLLECTION}"
    text = record.get("text")
    if not isinstance(text, str):
        return _PREFIX + 'Record must have the property "text"'
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        return _PREFIX + f"Record/text must not be longer than {MAX_TEXT_BYTES} characters"
    if grapheme_count(text) > MAX_GRAPHEMES:
        return _PREFIX + f"Record/text must not be longer than {MAX_GRAPHEMES} graphemes"
    try:
        parse_time(record.get("createdAt"))  # type: ignore[arg-type]  # checked inside
    except (ValueError, TypeError):
        return _PREFIX + "Record/createdAt must be an valid atproto datetime"
    langs = record.get("langs")
    if langs is not None and (
        not isinstance(langs, list)
        or len(langs) > MAX_LANGS
        or not all(isinstance(lang, str) and LANG_RE.match(lang) for lang in langs)
    ):
        return _PREFIX + f"Record/langs must be at most {MAX_LANGS} BCP-47 language tags"
    problem = check_facets(text, record.get("facets"))
    if problem:
        return _PREFIX + problem
    reply = record.get("reply")
    if reply is not None:
        if not isinstance(reply, dict):
            return _PREFIX + "Record/reply must be an object"
        for part in ("root", "parent"):
            problem = _strong_ref(reply.get(part), f"Record/reply/{part}")
            if problem:
                return _PREFIX + problem
    embed = record.get("embed")
    if embed is not None:
        if not isinstance(embed, dict) or not isinstance(embed.get("$type"), str):
            return _PREFIX + "Record/embed must be an object with a $type"
        if embed["$type"] == "app.bsky.embed.record":
            problem = _strong_ref(embed.get("record"), "Record/embed/record")
            if problem:
                return _PREFIX + problem
        if embed["$type"] == "app.bsky.embed.recordWithMedia":
            inner = embed.get("record")
            problem = _strong_ref(
                inner.get("record") if isinstance(inner, dict) else None,
                "Record/embed/record/record",
            )
            if problem:
                return _PREFIX + problem
    return None
