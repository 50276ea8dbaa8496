"""Guards every request's input before a view sees it: characters, file parts, JSON depth.

- Query parameters and form field *names* refuse control characters (C0, DEL, C1): a NUL
  byte in `/?stage=` must be a 4xx, not a database error (PostgreSQL cannot store NUL).
  Form field *values* are checked by each form (ideaboard/forms.py), so people get the
  error next to the field and keep their text; free text is cleaned again by the services
  (ideaboard/text.py).
- No page takes file uploads: a multipart request with a file part is refused (400), so a
  file can never reach a text field.
- JSON bodies are parsed with a nesting limit checked by an iterative scan before the
  parser runs (the parser itself recurses): `app.json.loads` (used by `request.get_json`)
  and the API's body parser both use `loads`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _

from .errors import DomainError

# Deeper JSON than this is refused before it is parsed. API bodies are one or two levels.
MAX_JSON_DEPTH = 32

# Control characters: C0, DEL and C1. Single-line text (query parameters, field names, one-line
# fields) refuses all of them; multi-line text allows tab, line feed and carriage return.
SINGLE_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MULTILINE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class InvalidCharacters(DomainError):
    """Input with characters no field accepts; the fields named are the offending inputs."""

    code = "validation_failed"
    status = 422

    def __init__(self, message: str, names: list[str]) -> None:
        super().__init__(message)
        self._fields = {name: [message] for name in names}

    @property
    def fields(self) -> dict[str, list[str]]:
        return self._fields


class FileNotAccepted(DomainError):
    code = "bad_request"
    status = 400


class JSONTooDeep(ValueError):
    """JSON nested deeper than MAX_JSON_DEPTH (a ValueError, like any JSON that will not parse)."""


def _printable_name(name: str) -> str:
    return SINGLE_LINE_CONTROL.sub("\N{REPLACEMENT CHARACTER}", name)[:100]


def check_request_characters() -> None:
    """Refuse control characters in the query string and in form field names."""
    bad = [
        _printable_name(key)
        for key, values in request.args.lists()
        if SINGLE_LINE_CONTROL.search(key) or any(SINGLE_LINE_CONTROL.search(v) for v in values)
    ]
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.mimetype in (
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    ):
        if request.files:
            raise FileNotAccepted(_("This site does not accept file uploads."))
        bad.extend(_printable_name(key) for key in request.form if SINGLE_LINE_CONTROL.search(key))
    if bad:
        raise InvalidCharacters(
            _("The address or form contains characters that are not allowed."), bad
        )


# One JSON token that matters for nesting: a whole string (so brackets inside it are skipped),
# or an opening or closing bracket.
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_JSON_TOKENS_BYTES = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


def json_depth(text: str | bytes, limit: int = MAX_JSON_DEPTH) -> int:
    """Return how deep the JSON text nests (stopping at limit + 1), without recursion."""
    tokens = (
        _JSON_TOKENS.finditer(text) if isinstance(text, str) else _JSON_TOKENS_BYTES.finditer(text)
    )
    depth = deepest = 0
    for match in tokens:
        first = match.group()[:1]
        if first in ("[", "{", b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        elif first in ("]", "}", b"]", b"}"):
            depth -= 1
    return deepest


def loads(text: str | bytes, **kwargs: Any) -> Any:
    """json.loads, refusing JSON nested deeper than MAX_JSON_DEPTH (JSONTooDeep)."""
    if json_depth(text) > MAX_JSON_DEPTH:
        raise JSONTooDeep(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return json.loads(text, **kwargs)


def strings_in(value: Any) -> Iterator[tuple[str, bool]]:
    """Yield every string in parsed JSON as (text, is_key), walking it without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item, False
        elif isinstance(item, dict):
            for key, child in item.items():
                yield key, True
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, with `loads` limited in depth (request.get_json answers 400 beyond it)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if json_depth(s) > MAX_JSON_DEPTH:
            raise JSONTooDeep(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        return super().loads(s, **kwargs)


def init_inputs(app: Flask) -> None:
    """Install the JSON provider and the request guard."""
    provider = JSONProvider(app)
    # Keep the settings a provider may already have been given.
    for name in ("ensure_ascii", "sort_keys", "compact", "mimetype"):
        setattr(provider, name, getattr(app.json, name, getattr(provider, name)))
    app.json = provider
    app.before_request(check_request_characters)


# Row ids are INTEGER columns: 32-bit on PostgreSQL.
MAX_ROW_ID = 2**31 - 1


def parse_row_id(raw: str | None) -> int | None:
    """Return raw as a row id (ASCII digits, 1 … 2³¹−1), or None.

    `str.isdigit()` is not enough: "²" is a digit to it and not to int(), and a number past
    the column's range fails in the database.
    """
    if not raw or len(raw) > 10 or not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ROW_ID else None
