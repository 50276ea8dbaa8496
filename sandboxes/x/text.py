"""Post text as X sees it: weighted length, URL wrapping, hashtag and mention entities, language."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

try:  # PyPI twitter-text-parser: the official twitter-text v3 weighting
    from twitter_text import extract_urls_with_indices, parse_tweet
except ImportError:  # pragma: no cover - the project depends on it; keep a fallback anyway
    extract_urls_with_indices = None
    parse_tweet = None

MAX_WEIGHTED_LENGTH = 280
URL_WEIGHT = 23
TCO_PREFIX = "https://t.co/"

# twitter-text: a hashtag follows start-of-text or a character that is not a word char, "&" or "#",
# and needs at least one letter (all-digit tags such as "#2026" are not hashtags).
_HASHTAG_RE = re.compile(r"(?<![\w&#＃])[#＃]([\w\u200c\u200d]*[^\W\d_][\w\u200c\u200d]*)")
# twitter-text: @username, 1-15 of [A-Za-z0-9_], not glued to a preceding alnum or certain symbols.
_MENTION_RE = re.compile(
    r"(?<![A-Za-z0-9_!#$%&*@＠])[@＠]([A-Za-z0-9_]{1,15})(?![A-Za-z0-9_@＠]|://)"
)
_FALLBACK_URL_RE = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
_HANGUL_RE = re.compile("[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff]")
_TCO_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class UrlSpan:
    """One URL found in a text, with code-point offsets."""

    url: str
    start: int
    end: int


def find_urls(text: str) -> list[UrlSpan]:
    """Return the URLs X would link in text (twitter-text rules when available)."""
    if extract_urls_with_indices is not None:
        found = extract_urls_with_indices(text)
        return [UrlSpan(u["url"], u["indices"][0], u["indices"][1]) for u in found]
    return [UrlSpan(m.group(0), m.start(), m.end()) for m in _FALLBACK_URL_RE.finditer(text)]


def weighted_length(text: str) -> int:
    """Return the twitter-text v3 weighted length of text (280 is the limit)."""
    text = unicodedata.normalize("NFC", text)
    if parse_tweet is not None:
        return int(parse_tweet(text).weightedLength)
    total = 0
    cursor = 0
    for span in find_urls(text):
        total += _fallback_weight(text[cursor : span.start]) + URL_WEIGHT
        cursor = span.end
    return total + _fallback_weight(text[cursor:])


def _fallback_weight(chunk: str) -> int:
    return sum(1 if ord(ch) <= 0x10FF else 2 for ch in chunk)


def detect_lang(text: str) -> str:
    """Guess the language the way the sandbox needs it: Hangul means Korean, else English."""
    return "ko" if _HANGUL_RE.search(text) else "en"


def _tco_code(seed: str) -> str:
    digest = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:10], "big")
    chars = []
    for _ in range(10):
        digest, rem = divmod(digest, len(_TCO_ALPHABET))
        chars.append(_TCO_ALPHABET[rem])
    return "".join(chars)


def _display_url(url: str) -> str:
    shown = re.sub(r"^https?://", "", url)
    return shown if len(shown) <= 26 else shown[:25] + "…"


def build_text_and_entities(
    source_text: str, tweet_id: int, resolve_username: Callable[[str], str | None]
) -> tuple[str, dict[str, Any]]:
    """Wrap URLs in t.co links like X, then return the stored text and its entities.

    Offsets are code-point indexes into the returned text (Python string indexes), as in X's v2
    payloads. A mention entity is only produced for usernames that resolve to a known user id.
    """
    text_parts: list[str] = []
    urls: list[dict[str, Any]] = []
    cursor = 0
    length = 0
    for span in find_urls(source_text):
        before = source_text[cursor : span.start]
        text_parts.append(before)
        length += len(before)
        tco = TCO_PREFIX + _tco_code(f"{tweet_id}:{span.start}:{span.url}")
        expanded = span.url if re.match(r"^https?://", span.url) else "http://" + span.url
        urls.append(
            {
                "start": length,
                "end": length + len(tco),
                "url": tco,
                "expanded_url": expanded,
                "display_url": _display_url(span.url),
            }
        )
        text_parts.append(tco)
        length += len(tco)
        cursor = span.end
    text_parts.append(source_text[cursor:])
    text = "".join(text_parts)

    entities: dict[str, Any] = {}
    hashtags = [
        {"start": m.start(), "end": m.end(), "tag": m.group(1)} for m in _HASHTAG_RE.finditer(text)
    ]
    mentions = []
    for m in _MENTION_RE.finditer(text):
        user_id = resolve_username(m.group(1))
        if user_id is not None:
            mentions.append(
                {"start": m.start(), "end": m.end(), "username": m.group(1), "id": user_id}
            )
    if hashtags:
        entities["hashtags"] = hashtags
    if mentions:
        entities["mentions"] = mentions
    if urls:
        entities["urls"] = urls
    return text, entities


def mentioned_usernames(text: str) -> list[str]:
    """Return the @usernames written in text, in order (lower-cased)."""
    return [m.group(1).lower() for m in _MENTION_RE.finditer(text)]
