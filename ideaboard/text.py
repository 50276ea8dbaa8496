"""Text rules shared by every input: NFC, trimming, control characters, Markdown rendering."""

from __future__ import annotations

import re
import unicodedata

import nh3
import regex
from flask_babel import gettext as _
from markdown_it import MarkdownIt

from .errors import ValidationFailed

# C0/C1 controls except tab, newline and carriage return. NUL bytes in particular are refused:
# PostgreSQL cannot store them, and they have no business in an idea.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["strikethrough", "table"]
)

_ALLOWED_TAGS = {
    "a", "p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}


# Bidirectional formatting characters: embeddings and overrides (U+202A–U+202E), isolates
# (U+2066–U+2069) and the direction marks (U+200E, U+200F, U+061C). They reorder how the
# text around them is shown ("‮gpj.exe" reads as "exe.jpg"), so they are removed.
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")

# Letters that are drawn as nothing (Hangul fillers, the braille blank, the Mongolian vowel
# separator); together with format characters (zero-width space, joiners, …), white space and
# lone combining marks they make text that looks empty.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Zs", "Zl", "Zp", "Mn", "Me", "Cc"})


def is_invisible(text: str) -> bool:
    """Whether text shows nothing: only white space, format characters, marks or blanks."""
    return all(
        ch in _BLANK_LETTERS or ch.isspace() or unicodedata.category(ch) in _INVISIBLE_CATEGORIES
        for ch in text
    )


def clean_text(value: str | None, *, field: str, label: str, multiline: bool = False) -> str:
    """Return value NFC-normalised and stripped, as every text input is stored.

    - Control characters (C0 except tab and line breaks, DEL, C1) are refused.
    - Bidirectional overrides, embeddings, isolates and direction marks are removed (not
      refused: they come with text pasted from right-to-left pages, and without them the
      text reads the same in this left-to-right site).
    - Text that shows nothing (zero-width spaces, joiners, Hangul fillers, lone combining
      marks, …) becomes "", so a required field says it is required: no untitled cards.
    - Line breaks become "\\n"; one-line fields have white space runs folded to one space.
    """
    text = unicodedata.normalize("NFC", value or "")
    if _CONTROL.search(text):
        raise ValidationFailed(
            _("%(label)s contains characters that are not allowed.", label=label), field=field
        )
    text = _BIDI.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        text = " ".join(text.split())
    text = text.strip()
    return "" if is_invisible(text) else text


# check_length's default: the text goes into a VARCHAR(maximum) column.
SAME_AS_MAXIMUM = -1


def check_length(
    text: str,
    *,
    field: str,
    label: str,
    minimum: int,
    maximum: int,
    stored_max: int | None = SAME_AS_MAXIMUM,
) -> None:
    """Refuse text shorter than minimum or longer than maximum characters.

    Characters are counted as people see them (extended grapheme clusters): "👨‍👩‍👧" is one,
    "한" is one, and so is a letter with a combining accent. A VARCHAR column counts code
    points, though, so stored_max (the column's size; by default maximum, None for TEXT)
    also caps those: a title full of emoji sequences can be refused as too long to store.
    """
    length = len(graphemes(text))
    capacity = maximum if stored_max == SAME_AS_MAXIMUM else stored_max
    if capacity is not None and length <= maximum and len(text) > capacity:
        raise ValidationFailed(
            _(
                "%(label)s is too long to store: emoji and accented letters take more room. "
                "Please shorten it a little.",
                label=label,
            ),
            field=field,
        )
    if minimum and length == 0:
        raise ValidationFailed(_("%(label)s is required.", label=label), field=field)
    if length < minimum:
        raise ValidationFailed(
            _("%(label)s must be at least %(n)d characters long.", label=label, n=minimum),
            field=field,
        )
    if length > maximum:
        raise ValidationFailed(
            _(
                "%(label)s must be at most %(n)d characters long (it has %(length)d).",
                label=label,
                n=maximum,
                length=length,
            ),
            field=field,
        )


def render_markdown(source: str) -> str:
    """Render Markdown to sanitised HTML: no raw HTML, no scripts or handlers, links nofollow."""
    html = _md.render(source)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
    )


_GRAPHEME = regex.compile(r"\X")


def graphemes(text: str) -> list[str]:
    """Split text into user-perceived characters (extended grapheme clusters)."""
    return _GRAPHEME.findall(text)


def truncate(
    text: str, limit: int, ellipsis: str = "…", *, max_code_points: int | None = None
) -> str:
    """Return text cut to at most limit graphemes, at a word boundary when one is near.

    max_code_points also caps the length in code points (a VARCHAR column's size).
    """
    clusters = graphemes(text)
    if max_code_points is not None:
        while len(clusters) > 1 and sum(map(len, clusters[:limit])) > max_code_points - 1:
            limit -= 1
    if len(clusters) <= limit:
        return text
    keep = max(0, limit - len(ellipsis))
    cut = "".join(clusters[:keep])
    space = cut.rfind(" ")
    if space >= keep * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-—") + ellipsis
