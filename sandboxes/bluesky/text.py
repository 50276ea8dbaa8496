"""Post text as Bluesky counts and marks it: graphemes, UTF-8 byte offsets, facets, language.

A post's text may hold 300 graphemes (user-perceived characters: 한 and 👩‍👩‍👧 are one each)
and 3000 bytes of UTF-8. Facets mark ranges of the text by UTF-8 byte offsets
(byteStart inclusive, byteEnd exclusive) with a feature: a mention (a DID), a link (a URI) or
a tag (without its #). Clients detect them; the sandbox detects them for posts made on its
page or by its helper, the way the Bluesky app does before it creates a record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import regex

MAX_GRAPHEMES = 300
MAX_TEXT_BYTES = 3000
MAX_TAG_GRAPHEMES = 64

_GRAPHEME = regex.compile(r"\X")
_HANGUL = regex.compile(r"\p{Hangul}")
_LINK = regex.compile(r"https?://[^\s<>\"']+")
_TAG = regex.compile(r"(?:^|(?<=\s))[#＃]([^\s#＃]+)")
_MENTION = regex.compile(r"(?:^|(?<=[\s(]))@([a-zA-Z0-9.-]+\.[a-zA-Z][a-zA-Z0-9-]*)")
_TRAILING_PUNCT = regex.compile(r"[\p{P}\p{S}]+$")
_TRAILING_LINK_PUNCT = regex.compile(r"[.,;:!?)\]'\"]+$")


def grapheme_count(text: str) -> int:
    """Count extended grapheme clusters (Unicode UAX #29), as Bluesky limits posts."""
    return len(_GRAPHEME.findall(text))


def byte_offset(text: str, index: int) -> int:
    """The UTF-8 byte offset of code point `index` of text."""
    return len(text[:index].encode("utf-8"))


def guess_langs(text: str) -> list[str]:
    """["ko"] when the text has Hangul, else ["en"] (what a client would tag a post with)."""
    return ["ko"] if _HANGUL.search(text) else ["en"]


def detect_facets(text: str, resolve_handle: Callable[[str], str | None]) -> list[dict[str, Any]]:
    """Facets for links, #tags and @mentions of known handles, ordered by byte offset."""
    facets: list[dict[str, Any]] = []

    def add(start: int, end: int, feature: dict[str, Any]) -> None:
        facets.append(
            {
                "index": {"byteStart": byte_offset(text, start), "byteEnd": byte_offset(text, end)},
                "features": [feature],
            }
        )

    for match in _LINK.finditer(text):
        url = _TRAILING_LINK_PUNCT.sub("", match.group(0))
        add(
            match.start(),
            match.start() + len(url),
            {"$type": "app.bsky.richtext.facet#link", "uri": url},
        )
    for match in _TAG.finditer(text):
        tag = _TRAILING_PUNCT.sub("", match.group(1))
        if not tag or tag.isdigit() or grapheme_count(tag) > MAX_TAG_GRAPHEMES:
            continue
        start = match.start(1) - 1
        add(start, match.start(1) + len(tag), {"$type": "app.bsky.richtext.facet#tag", "tag": tag})
    for match in _MENTION.finditer(text):
        handle = match.group(1).rstrip(".")
        did = resolve_handle(handle.lower())
        if did is not None:
            start = match.start(1) - 1
            add(
                start,
                match.start(1) + len(handle),
                {"$type": "app.bsky.richtext.facet#mention", "did": did},
            )
    facets.sort(key=lambda f: f["index"]["byteStart"])
    return facets


def check_facets(text: str, facets: Any) -> str | None:
    """Why a record's facets are malformed, or None when they are fine."""
    if facets is None:
        return None
    if not isinstance(facets, list) or len(facets) > 100:
        return "facets must be a list of at most 100 facets"
    size = len(text.encode("utf-8"))
    known = {
        "app.bsky.richtext.facet#link": "uri",
        "app.bsky.richtext.facet#tag": "tag",
        "app.bsky.richtext.facet#mention": "did",
    }
    for facet in facets:
        index = facet.get("index") if isinstance(facet, dict) else None
        features = facet.get("features") if isinstance(facet, dict) else None
        if not isinstance(index, dict) or not isinstance(features, list) or not features:
            return "each facet needs an index and at least one feature"
        start, end = index.get("byteStart"), index.get("byteEnd")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= size):
            return "a facet's byteStart/byteEnd must lie within the text's UTF-8 bytes"
        for feature in features:
            kind = feature.get("$type") if isinstance(feature, dict) else None
            if not isinstance(kind, str):
                return "each facet feature must be an object with a $type"
            if kind in known:
                value = feature.get(known[kind])
                if not isinstance(value, str) or not value or len(value) > 3000:
                    return f"a {kind} feature needs a {known[kind]} string"
    return None
