"""Read a rendered page as a person does: its text and the attributes read aloud."""

from __future__ import annotations

import re
from html.parser import HTMLParser

READ_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "label"}
SKIP_ELEMENTS = {"script", "style", "code", "pre"}


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP_ELEMENTS:
            self.skip += 1
        self.parts.extend(value for name, value in attrs if value and name in READ_ATTRIBUTES)
        if tag == "input" and dict(attrs).get("type") in ("submit", "button"):
            self.parts.append(dict(attrs).get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP_ELEMENTS and self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def readable_text(html: str) -> str:
    """Return what a reader sees or hears on the page, whitespace collapsed."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return " ".join(" ".join(reader.parts).split())


def latin_words(text: str) -> set[str]:
    """Return the words of Latin letters in text (English leftovers on a Korean page)."""
    without_links = re.sub(r"https?://\S+", " ", text)
    return set(re.findall(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]", without_links))
