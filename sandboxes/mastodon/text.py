"""Status text the way a Mastodon server treats it: entities found, HTML built, length counted.

Written from Mastodon's documentation of statuses: a status's `content` is HTML — paragraphs
in <p>, line breaks as <br />, mentions as h-card links, hashtags as links with
class="mention hashtag", URLs as links whose scheme and tail sit in "invisible" spans. Every
piece of the author's text is HTML-escaped. Length: the content warning plus the text, in
grapheme clusters, each URL counting as 23 characters and "@user@domain" as "@user".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import regex
from markupsafe import Markup, escape

URL_CHARACTERS = 23
_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_URL_TRAILING = ".,:;!?'\")]}"
_MENTION = re.compile(
    r"(?<![\w/@])@([a-z0-9_]+(?:[a-z0-9_.-]*[a-z0-9_])?)(?:@([a-z0-9.-]+[a-z0-9]))?", re.IGNORECASE
)
_TAG = re.compile(r"(?<![\w/&#])#(\w*[^\W\d]\w*)")
_GRAPHEME = regex.compile(r"\X")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")


@dataclass(frozen=True)
class Token:
    """A piece of status text: plain, a URL, a mention (user, domain) or a hashtag."""

    kind: str  # "text", "url", "mention", "tag"
    text: str
    user: str = ""
    domain: str = ""


def _url_end(url: str) -> str:
    while url and url[-1] in _URL_TRAILING:
        url = url[:-1]
    return url


def tokens(text: str) -> Iterator[Token]:
    """Split text into plain text, URLs, mentions and hashtags, in order."""
    spans: list[tuple[int, int, Token]] = []
    for match in _URL.finditer(text):
        url = _url_end(match.group(0))
        spans.append((match.start(), match.start() + len(url), Token("url", url)))

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e, _ in spans)

    for match in _MENTION.finditer(text):
        if free(match.start(), match.end()):
            token = Token("mention", match.group(0), match.group(1), match.group(2) or "")
            spans.append((match.start(), match.end(), token))
    for match in _TAG.finditer(text):
        if free(match.start(), match.end()):
            spans.append((match.start(), match.end(), Token("tag", match.group(0), match.group(1))))
    cursor = 0
    for start, end, token in sorted(spans, key=lambda s: s[0]):
        if start > cursor:
            yield Token("text", text[cursor:start])
        yield token
        cursor = end
    if cursor < len(text):
        yield Token("text", text[cursor:])


def hashtags(text: str) -> list[str]:
    """The hashtags of text, first spelling kept, without repeats (case-insensitive)."""
    seen: dict[str, str] = {}
    for token in tokens(text):
        if token.kind == "tag":
            seen.setdefault(token.user.lower(), token.user)
    return list(seen.values())


def mentioned(text: str) -> list[tuple[str, str]]:
    """The (user, domain) pairs text mentions, in order, without repeats."""
    found: dict[tuple[str, str], None] = {}
    for token in tokens(text):
        if token.kind == "mention":
            found.setdefault((token.user.lower(), token.domain.lower()), None)
    return list(found)


def length(text: str, spoiler_text: str = "") -> int:
    """The length Mastodon counts: content warning + text, URLs 23, mentions without domain."""
    parts = [spoiler_text]
    for token in tokens(text):
        if token.kind == "url":
            parts.append("x" * URL_CHARACTERS)
        elif token.kind == "mention":
            parts.append(f"@{token.user}")
        else:
            parts.append(token.text)
    return len(_GRAPHEME.findall(unicodedata.normalize("NFC", "".join(parts))))


def detect_language(text: str) -> str:
    """ "ko" for text with Hangul, else "en" (what the sandbox tags a status with by default)."""
    return "ko" if _HANGUL.search(text) else "en"


def _link(url: str) -> Markup:
    scheme, _, rest = url.partition("://")
    shown, tail = rest[:30], rest[30:]
    return Markup(
        '<a href="{0}" target="_blank" rel="nofollow noopener" translate="no">'
        '<span class="invisible">{1}://</span><span class="{2}">{3}</span>'
        '<span class="invisible">{4}</span></a>'
    ).format(url, scheme, "ellipsis" if tail else "", shown, tail)


def to_html(
    text: str,
    *,
    account_url: Callable[[str, str], str | None],
    tag_url: Callable[[str], str],
) -> str:
    """Return a status's HTML content; account_url(user, domain) is None for unknown accounts."""
    paragraphs: list[Markup] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        html = Markup("")
        for token in tokens(paragraph):
            if token.kind == "url":
                html += _link(token.text)
            elif token.kind == "mention" and (url := account_url(token.user, token.domain)):
                html += Markup(
                    '<span class="h-card" translate="no"><a href="{0}" class="u-url mention">'
                    "@<span>{1}</span></a></span>"
                ).format(url, token.user)
            elif token.kind == "tag":
                html += Markup(
                    '<a href="{0}" class="mention hashtag" rel="tag">#<span>{1}</span></a>'
                ).format(tag_url(token.user), token.user)
            else:
                html += Markup("<br />").join(escape(line) for line in token.text.split("\n"))
        paragraphs.append(Markup("<p>{0}</p>").format(html))
    return str(Markup("").join(paragraphs))
