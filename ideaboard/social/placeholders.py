"""A small, safe template language for admin-written reply wording.

`{title}` is replaced by a value; `{{` and `}}` are literal braces. Nothing else: no format
specs (`{title:>99999999}` would pad a reply to 100 MB), no conversions (`{title!r}`), no
attribute or index access (`{title.__class__}`), no positional fields. `check` says what is
wrong with a template, for the form that saves it; `render` never raises, and copies any
piece it does not understand as plain text, so a stored template can always be sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME = re.compile(r"[a-z_]{1,32}")


class TemplateError(ValueError):
    """A template breaks the rules; problem is one of the codes below, piece the culprit.

    Codes: "brace" (a brace without its pair), "spec" (a format spec after `:`), "conversion"
    (`!r` and the like), "access" (`.` or `[`), "empty" (`{}`), "unknown" (a name not allowed).
    """

    def __init__(self, problem: str, piece: str) -> None:
        super().__init__(f"{problem}: {piece}")
        self.problem = problem
        self.piece = piece


def _problem(field: str, allowed: Iterable[str]) -> str | None:
    if ":" in field:
        return "spec"
    if "!" in field:
        return "conversion"
    if "." in field or "[" in field or "]" in field:
        return "access"
    if not field.strip():
        return "empty"
    if not _NAME.fullmatch(field) or field not in set(allowed):
        return "unknown"
    return None


def check(template: str, allowed: Iterable[str]) -> set[str]:
    """Return the names the template uses, or raise TemplateError for the first problem."""
    allowed = set(allowed)
    names: set[str] = set()
    for match in _TOKEN.finditer(template):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        if token in ("{", "}"):
            raise TemplateError("brace", token)
        field = match.group(1)
        problem = _problem(field, allowed)
        if problem:
            raise TemplateError(problem, token)
        names.add(field)
    return names


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill the template's fields from values; never raises.

    Escaped braces become single braces; a field that is not a plain known name (for
    example one stored before templates were checked) is copied as it is.
    """

    def replace(match: re.Match[str]) -> str:
        piece = match.group(0)
        if piece == "{{":
            return "{"
        if piece == "}}":
            return "}"
        field = match.group(1)
        if field is not None and _NAME.fullmatch(field) and field in values:
            return str(values[field])
        return piece

    return _TOKEN.sub(replace, template)
