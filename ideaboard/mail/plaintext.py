"""Markdown (staff notes, comments) as plain text for e-mails: no markup, links spelled out.

The text part of a notification shows a note as a person would read it: `**Planned**` is
"Planned", a list keeps its "- " and "1. " markers, a link becomes "its text (its URL)" with
a site path made absolute on IDEABOARD_PUBLIC_URL. Raw HTML in the source stays text (the
Markdown parser is set up like ideaboard.text's: no HTML), and the HTML part of an e-mail
shows this text escaped, so a note can never add markup to an e-mail.
"""

from __future__ import annotations

from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..urls import public_url

# The same dialect as ideaboard.text.render_markdown (CommonMark, tables, strikethrough).
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["strikethrough", "table"]
)


def _absolute(href: str) -> str:
    if href.startswith("/") and not href.startswith("//"):
        return public_url(href)
    return href


def _inline(children: Sequence[Token] | None) -> str:
    parts: list[str] = []
    links: list[tuple[str, int]] = []  # (href, where its text starts)
    for token in children or ():
        kind = token.type
        if kind in ("text", "code_inline"):
            parts.append(token.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif kind == "image":
            parts.append(token.content or str(token.attrGet("alt") or ""))
        elif kind == "link_open":
            links.append((str(token.attrGet("href") or ""), len(parts)))
        elif kind == "link_close" and links:
            href, start = links.pop()
            shown = "".join(parts[start:]).strip()
            url = _absolute(href)
            if href and shown not in (href, url, href.removeprefix("mailto:")):
                parts.append(f" ({url})")
    return "".join(parts)


def markdown_to_text(source: str) -> str:
    """Return the Markdown source as plain text (blocks apart by a blank line)."""
    blocks: list[tuple[str, bool, bool]] = []  # (text, in a list, tight)
    lists: list[list[int | str]] = []  # ["-", 0] for bullets, [".", n] for ordered lists
    quotes = 0
    marker = ""  # the list marker waiting for the item's first block
    hidden = False  # in a paragraph of a tight list (no blank lines between its items)
    row: list[str] | None = None
    rows = 0  # rows of the current table so far

    def add(text: str, tight: bool = False) -> None:
        nonlocal marker
        lines = text.split("\n")
        if lists:
            indent = "  " * (len(lists) - 1)
            first = indent + (marker or "  ")
            lines = [first + lines[0]] + [indent + "  " + line for line in lines[1:]]
            marker = ""
        if quotes:
            lines = ["> " * quotes + line for line in lines]
        follows_list_item = bool(blocks) and blocks[-1][1]
        blocks.append(("\n".join(lines), bool(lists), tight and follows_list_item))

    for token in _md.parse(source):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            start = int(str(token.attrGet("start") or 1)) - 1
            lists.append(["-", 0] if kind == "bullet_list_open" else [".", start])
        elif kind in ("bullet_list_close", "ordered_list_close") and lists:
            lists.pop()
        elif kind == "list_item_open" and lists:
            current = lists[-1]
            if current[0] == ".":
                current[1] = int(current[1]) + 1
                marker = f"{current[1]}. "
            else:
                marker = "- "
        elif kind == "blockquote_open":
            quotes += 1
        elif kind == "blockquote_close":
            quotes = max(0, quotes - 1)
        elif kind == "paragraph_open":
            hidden = token.hidden
        elif kind == "paragraph_close":
            hidden = False
        elif kind == "tr_open":
            row = []
        elif kind == "table_open":
            rows = 0
        elif kind == "tr_close" and row is not None:
            add(" | ".join(row))
            if rows:  # rows of a table follow each other line by line
                text, in_list, _tight = blocks[-1]
                blocks[-1] = (text, in_list, True)
            rows += 1
            row = None
        elif kind == "inline":
            text = _inline(token.children)
            if row is not None:
                row.append(" ".join(text.split()))
            else:
                add(text, tight=hidden)
        elif kind in ("fence", "code_block"):
            add(token.content.rstrip("\n"))
        elif kind == "hr":
            add("———")
    text = ""
    for block, _in_list, tight in blocks:
        text += (("\n" if tight else "\n\n") if text else "") + block
    return text.strip("\n")
