"""Paging of the staff lists (inbox, outbox, mention log, development mailbox): one rule.

A list shows `size` items a page (bounded by MAX_SIZE). The page number comes from the query
string and is bounded too: anything that is not a plain positive number of at most
MAX_DIGITS digits (`page=0`, `-1`, `abc`, `1e9`, "") is page 1, and a number past the last
page is the last page — a stale link still shows something, never a 500 or an empty page.
Templates draw the links with the `pager` macro (templates/_pager.html): "Page 2 of
7" with previous/next links that keep every other query parameter (the filters).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select

from .extensions import db

T = TypeVar("T")

MAX_SIZE = 200
MAX_DIGITS = 6  # page 999,999 at most: past it the number is not a page, it is noise


def page_number(raw: str | None) -> int:
    """The page asked for: a positive number (from a query parameter), else 1."""
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit() and 0 < len(text) <= MAX_DIGITS):
        return 1
    return max(1, int(text))


def _bounded_size(size: int) -> int:
    return min(max(1, size), MAX_SIZE)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, its number, how many pages and items the list has."""

    items: list[T]
    number: int
    pages: int
    total: int
    size: int
    param: str = "page"  # the query parameter that carries the page number

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_index(self) -> int:
        """The 1-based position of the page's first item in the list (0 when empty)."""
        return (self.number - 1) * self.size + 1 if self.items else 0


def _clamp(number: int, total: int, size: int) -> tuple[int, int]:
    pages = max(1, -(-total // size))
    return min(max(1, number), pages), pages


def paginate_list(items: Sequence[T], number: int, size: int, *, param: str = "page") -> Page[T]:
    """One page of a list already in memory (the mailbox's message keys)."""
    size = _bounded_size(size)
    number, pages = _clamp(number, len(items), size)
    start = (number - 1) * size
    return Page(list(items[start : start + size]), number, pages, len(items), size, param)


def paginate(
    query: Select[*tuple[Any, ...]],
    number: int,
    size: int,
    *,
    param: str = "page",
    count: Select[int] | None = None,
) -> Page[Any]:
    """One page of a SELECT (ordered by its caller, with a unique tie-break): count, then slice.

    The query's rows are returned as scalars when it selects one entity or column, else as
    rows. Two queries: the count (`count`, if given, must count the same rows) and the page
    (a LIMIT/OFFSET, bounded by MAX_SIZE and the page bound).
    """
    size = _bounded_size(size)
    if count is None:  # count the query's rows; a caller may give a cheaper COUNT (no joins)
        count = select(func.count()).select_from(query.order_by(None).subquery())
    total = db.session.scalar(count)
    number, pages = _clamp(number, int(total or 0), size)
    sliced = query.limit(size).offset((number - 1) * size)
    result = db.session.execute(sliced).unique()
    items: list[Any] = (
        list(result.scalars()) if len(query.column_descriptions) == 1 else list(result.all())
    )
    return Page(items, number, pages, int(total or 0), size, param)
