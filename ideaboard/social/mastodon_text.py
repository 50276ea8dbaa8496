"""Mastodon text rules: a status's HTML content as plain text, and the length Mastodon counts.

Mastodon serves a status's `content` as HTML (paragraphs, <br>, links for mentions and
hashtags, URLs split into visible and invisible spans). `html_to_text` reads it with the
standard library's HTML parser — never with regular expressions — and keeps text only: tags
go, entities are decoded, <br> becomes a newline and paragraphs a blank line, a mention link
becomes "@acct" (user, or user@domain for other servers), and whatever sits inside <script>
or <style> is dropped. The result is plain text for IdeaBoard to escape like any other.

`post_length` counts as Mastodon's StatusLengthValidator does: the content warning and the
text together, in grapheme clusters (one Hangul syllable, one emoji sequence = 1), after every
http(s) URL is replaced by `characters_reserved_per_url` characters (23 by default) and every
"@user@domain" by "@user".
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

import regex

URL_CHARACTERS = 23
MAX_CHARACTERS = 500

# A URL as Mastodon's counter finds one: a scheme, then anything up to white space, less the
# punctuation that usually closes a sentence around a link.
_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_URL_TRAILING = ".,:;!?'\")]}"
# "@user@domain" (the domain part is what Mastodon leaves out of the count).
_REMOTE_MENTION = re.compile(
    r"(?<![\w@/])@([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?)@[a-z0-9.-]+[a-z0-9]", re.IGNORECASE
)
_LEADING_MENTIONS = re.compile(r"^(?:\s*@[\w.-]+(?:@[\w.-]+)?)+\s*")
_GRAPHEME = regex.compile(r"\X")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")

_BLOCKS = frozenset({"p", "div", "blockquote", "li", "ul", "ol", "pre", "h1", "h2", "h3", "h4"})
_DROPPED = frozenset({"script", "style", "template", "noscript"})
# The "RE: <link>" paragraph Mastodon 4.4 adds for clients that cannot show quotes: the quote
# itself is Mention.quoted, so its fallback text is left out (as Mastodon's own web UI does).
_DROPPED_CLASSES = frozenset({"quote-inline"})
_VOID = frozenset({"br", "img", "hr", "wbr", "input", "meta", "link", "source", "area", "col"})


class _TextParser(HTMLParser):
    """Collect the text of a status's HTML, with mention links turned into @acct."""

    def __init__(self, mentions: dict[str, str]) -> None:
        super().__init__(convert_charrefs=True)
        self.mentions = mentions
        self.parts: list[str] = []
        self.has_text = False
        self.trailing_newlines = 0
        self.drop_tag = ""  # the element whose content is being left out, and its depth
        self.drop_depth = 0
        self.link_depth = 0  # <a> elements open inside a mention link written as @acct

    def _emit(self, text: str) -> None:
        if not text:
            return
        self.parts.append(text)
        stripped = text.rstrip("\n")
        if stripped.strip():
            self.has_text = True
        if stripped:
            self.trailing_newlines = len(text) - len(stripped)
        else:
            self.trailing_newlines += len(text)

    def _newlines(self, count: int) -> None:
        if self.has_text and self.trailing_newlines < count:
            self._emit("\n" * (count - self.trailing_newlines))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.drop_depth:
            if tag == self.drop_tag:
                self.drop_depth += 1
            return
        values = {name: value or "" for name, value in attrs}
        classes = set(values.get("class", "").split())
        if tag not in _VOID and (tag in _DROPPED or classes & _DROPPED_CLASSES):
            self.drop_tag, self.drop_depth = tag, 1
            return
        if self.link_depth:
            if tag == "a":
                self.link_depth += 1
            return
        if tag == "br":
            self._emit("\n")
        elif tag in _BLOCKS:
            self._newlines(2 if tag == "p" else 1)
        elif tag == "a" and "mention" in classes and "hashtag" not in classes:
            acct = self.mentions.get(values.get("href", ""))
            if acct:
                self._emit(f"@{acct}")
                self.link_depth = 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" and not self.drop_depth and not self.link_depth:
            self._emit("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.drop_depth:
            if tag == self.drop_tag:
                self.drop_depth -= 1
            return
        if self.link_depth:
            if tag == "a":
                self.link_depth -= 1
            return
        if tag in _BLOCKS:
            self._newlines(2 if tag == "p" else 1)

    def handle_data(self, data: str) -> None:
        if not self.drop_depth and not self.link_depth:
            self._emit(data)


def html_to_text(html: str, mentions: dict[str, str] | None = None) -> str:
    """Return the plain text of a status's HTML `content`.

    `mentions` maps a mentioned account's profile URL to its acct (from the status's
    `mentions` list), so "@<span>minji</span>" linking to another server reads "@minji@that.server".
    """
    parser = _TextParser(mentions or {})
    parser.feed(html or "")
    parser.close()
    text = "".join(parser.parts).replace("\r\n", "\n").replace("\xa0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    return unicodedata.normalize("NFC", "\n".join(lines).strip())


def mentions_map(status: dict[str, object]) -> dict[str, str]:
    """Map each mentioned account's URL (and URI-less variants) to its acct."""
    found: dict[str, str] = {}
    for mention in status.get("mentions") or []:  # type: ignore[attr-defined]
        url, acct = mention.get("url"), mention.get("acct")
        if isinstance(url, str) and isinstance(acct, str) and acct:
            found[url] = acct
    return found


def _url_end(url: str) -> str:
    while url and url[-1] in _URL_TRAILING:
        url = url[:-1]
    return url


def countable_text(text: str, url_characters: int = URL_CHARACTERS) -> str:
    """Return text as Mastodon counts it: URLs as placeholders, remote mentions without domain."""

    def url(match: re.Match[str]) -> str:
        found = match.group(0)
        kept = _url_end(found)
        return "x" * url_characters + found[len(kept) :]

    return _REMOTE_MENTION.sub(r"@\1", _URL.sub(url, text))


def post_length(text: str, spoiler_text: str = "", *, url_characters: int = URL_CHARACTERS) -> int:
    """Return the length Mastodon counts for a status with this text and content warning."""
    combined = (spoiler_text or "") + countable_text(text, url_characters)
    return len(_GRAPHEME.findall(unicodedata.normalize("NFC", combined)))


def graphemes(text: str) -> list[str]:
    """The text's characters as a person sees them (grapheme clusters), NFC first."""
    return list(_GRAPHEME.findall(unicodedata.normalize("NFC", text)))


def reply_prefix(acct: str) -> str:
    """The mention put in front of a reply so it reaches its author (see post_reply)."""
    return f"@{acct} " if acct else ""


def strip_leading_mentions(text: str) -> str:
    """Text without the @mentions it starts with, white space collapsed (to compare replies)."""
    text = _LEADING_MENTIONS.sub("", unicodedata.normalize("NFC", text))
    return " ".join(text.split())


def language_of(text: str) -> str:
    """ "ko" when the text has Hangul, else "en" (the language a reply is tagged with)."""
    return "ko" if _HANGUL.search(text) else "en"
