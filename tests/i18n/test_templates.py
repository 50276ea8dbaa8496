"""No template carries user-facing text outside `_()` / `{% trans %}`.

Each template is lexed with Jinja: its `{{ … }}`, `{% … %}` and `{# … #}` parts become an
opaque marker and the text between `{% trans %}` and `{% endtrans %}` is dropped (it is
translated). What is left is plain HTML; its text and its user-facing attributes (title,
alt, placeholder, aria-label, …) must not contain words, except a short allow-list.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import Environment

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
MARK = "\ue000"  # where a Jinja expression or tag was

# Words that are the same in every language: the brand, the network's name and its logo
# letter, and the "v" of a version number ("v1.2").
ALLOWED_WORDS = {"IdeaBoard", "X", "𝕏", "v"}
# Attributes people read or hear (screen readers); others (class, href, …) are code.
READ_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-roledescription",
                   "aria-placeholder", "aria-valuetext", "label", "summary"}  # fmt: skip
# Elements whose content is code or markup, not prose.
CODE_ELEMENTS = {"code", "pre", "script", "style", "kbd", "samp"}
WORD = re.compile(r"[^\W\d_]+")  # a run of letters, any script


def _untranslated_source(source: str) -> str:
    """Return the template's HTML with Jinja parts as MARK and trans blocks left out."""
    env = Environment(extensions=["jinja2.ext.i18n", "jinja2.ext.do"])  # noqa: S701 - only lexed
    out: list[str] = []
    in_tag = False
    tag_words: list[str] = []
    trans_depth = 0
    for _line, kind, value in env.lex(source):
        if kind in ("block_begin", "variable_begin", "comment_begin"):
            in_tag, tag_words = True, []
            out.append(MARK)
        elif kind in ("block_end", "variable_end", "comment_end"):
            in_tag = False
            if tag_words[:1] == ["trans"]:
                trans_depth += 1
            elif tag_words[:1] == ["endtrans"]:
                trans_depth -= 1
        elif in_tag:
            if kind == "name":
                tag_words.append(value)
        elif kind == "data" and not trans_depth:
            out.append(value)
    return "".join(out)


class _TextFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.code_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in CODE_ELEMENTS:
            self.code_depth += 1
        for name, value in attrs:
            if value and (
                name in READ_ATTRIBUTES
                or (
                    tag == "input"
                    and name == "value"
                    and dict(attrs).get("type") in ("submit", "button", "reset")
                )
            ):
                self._check(value, f'<{tag} {name}="…">')

    def handle_endtag(self, tag: str) -> None:
        if tag in CODE_ELEMENTS and self.code_depth:
            self.code_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.code_depth:
            self._check(data, "text")

    def _check(self, text: str, where: str) -> None:
        words = [w for w in WORD.findall(text.replace(MARK, " ")) if w not in ALLOWED_WORDS]
        if words:
            self.found.append(f"{where}: {' '.join(text.replace(MARK, '…').split())!r}")


def untranslated_text(source: str) -> list[str]:
    """Return the user-facing texts of a template that are not marked for translation."""
    finder = _TextFinder()
    finder.feed(_untranslated_source(source))
    finder.close()
    return finder.found


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_template_has_no_untranslated_text(path):
    found = untranslated_text(path.read_text(encoding="utf-8"))
    assert not found, "wrap these in _() or {% trans %}:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<p>Hello</p>", ["text: 'Hello'"]),
        ("<p>{{ _('Hello') }}</p>", []),
        ("<p>{% trans %}Hello <b>you</b>{% endtrans %}</p>", []),
        ('<a title="Open it" href="/x">{{ _("Go") }}</a>', ["<a title=\"…\">: 'Open it'"]),
        ("<input type=submit value=Send>", ["<input value=\"…\">: 'Send'"]),
        ('<a class="button primary" href="/about-us">{{ x }}</a>', []),
        ("<p>{{ n }} · IdeaBoard · X ↑ — 42</p>", []),
        ("<code>application/json</code>", []),
        ("{# a comment in English #}<p>{{ _('ok') }}</p>", []),
        ("<p>안녕하세요</p>", ["text: '안녕하세요'"]),
        ("<p>{% if a %}Yes{% endif %}</p>", ["text: '…Yes…'"]),
    ],
)
def test_the_scanner_tells_marked_from_unmarked_text(source, expected):
    assert untranslated_text(source) == expected
