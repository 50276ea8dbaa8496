"""Word search over idea titles and bodies, Korean included.

SQLite: an FTS5 table with the trigram tokenizer (migration 0002) indexes title and body.
A trigram index finds any substring of three or more characters, whatever the script, so
Korean words match without a morphological analyser ("데이터" finds "데이터이월"). Terms of one
or two characters ("이월", "5G") cannot be served by trigrams; they are checked with LIKE on
the rows the longer terms left, or on the whole table when the query has only short terms.
Every term must match (AND), in the title or the body.

PostgreSQL tests each term as `search_text LIKE lower('%term%')`, search_text being the stored
lower(title || newline || body) — what `title ILIKE … OR body ILIKE …` means, without
lower-casing every row at every test —, served by a pg_trgm GIN index for terms of three or
more characters (migrations 59c328c80f5d, d3c5a7e9f1b2); shorter terms scan.

A page of results in a sort order (`ordered_matches`, what the board's search runs) picks its
plan by how common the query is, so that a page costs about the same for a term in half the
board as for a term in five ideas: see ordered_matches.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Select,
    and_,
    func,
    literal_column,
    or_,
    select,
    text,
)

from ..extensions import db
from .models import Idea

MAX_TERMS = 8
MAX_TERM_LENGTH = 64
TRIGRAM = 3
FTS_DIRECT_LIMIT = 1000  # see _fts_ids and ordered_matches
WALK_WINDOW = 2000  # see ordered_matches


def terms_of(query: str | None) -> list[str]:
    """Split a search query into at most MAX_TERMS NFC-normalised terms."""
    if not query:
        return []
    text_ = unicodedata.normalize("NFC", query).replace("\x00", " ")
    terms: list[str] = []
    for raw in text_.split():
        term = raw.strip("\"'()[]{}.,;:!?")[:MAX_TERM_LENGTH]
        if term and term.casefold() not in (t.casefold() for t in terms):
            terms.append(term)
    return terms[:MAX_TERMS]


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# PostgreSQL: lower(title || E'\n' || body), a stored column with a pg_trgm GIN index (migration
# d3c5a7e9f1b2). Not mapped on Idea: SQLite has no such column.
SEARCH_TEXT: ColumnClause[str] = literal_column("ideas.search_text")


def _like_term(term: str, columns: Any = None) -> ColumnElement[bool]:
    """The term occurs in the title or the body: columns has title and body (SQLite) or
    search_text (PostgreSQL); by default the ideas table's."""
    pattern = _like_pattern(term)
    if db.engine.dialect.name == "sqlite":
        source = Idea if columns is None else columns
        # SQLite's LIKE ignores ASCII letter case by itself, as lower() does (ASCII only):
        # the same rows as ILIKE's lower(x) LIKE lower(y), without lower-casing every row.
        return or_(
            source.title.like(pattern, escape="\\"),
            source.body.like(pattern, escape="\\"),
        )
    # What title ILIKE p OR body ILIKE p means on a multibyte database (both sides
    # lower-cased; a term holds no white space, so no match spans the newline), without
    # lower-casing each row's text at every test.
    text_ = SEARCH_TEXT if columns is None else columns.search_text
    return text_.like(func.lower(pattern), escape="\\")


def _text_columns() -> list[Any]:
    """What _like_term tests, to carry through a subquery."""
    if db.engine.dialect.name == "sqlite":
        return [Idea.title, Idea.body]
    return [SEARCH_TEXT.label("search_text")]


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _fts_ids(expression: str) -> ColumnElement[bool]:
    """Ideas whose rowid the FTS expression matches, in the shape the planner does best with.

    Given `id IN (fts matches)`, SQLite fetches every match by rowid and sorts them all for
    the page: cheap for a rare term, linear in the matches for a common one ("데이터" is in a
    sixth of a Korean board). So the first FTS_DIRECT_LIMIT + 1 matches are read (the index
    stops there): if that is all of them, their ids are handed over as a list; if there are
    more, `id + 0` keeps SQLite from driving the query by rowid, so it walks the sort order's
    index and stops after one page, which with this many matches comes quickly.
    """
    matches = (
        select(text("rowid"))
        .select_from(text("idea_fts"))
        .where(text("idea_fts MATCH :fts").bindparams(fts=expression))
    )
    found = list(db.session.scalars(matches.limit(FTS_DIRECT_LIMIT + 1)))
    if len(found) <= FTS_DIRECT_LIMIT:
        return Idea.id.in_(found)
    return (Idea.id + 0).in_(matches)


def match_all(terms: list[str]) -> ColumnElement[bool] | None:
    """Return a condition true for ideas that contain every term, or None for no terms."""
    if not terms:
        return None
    if db.engine.dialect.name != "sqlite":
        return and_(*(_like_term(t) for t in terms))
    long_terms = [t for t in terms if len(t) >= TRIGRAM]
    short_terms = [t for t in terms if len(t) < TRIGRAM]
    conditions: list[ColumnElement[bool]] = []
    if long_terms:
        conditions.append(_fts_ids(" AND ".join(_fts_phrase(t) for t in long_terms)))
    conditions.extend(_like_term(t) for t in short_terms)
    return and_(*conditions)


def match_any(terms: list[str]) -> ColumnElement[bool] | None:
    """Return a condition true for ideas that contain at least one term."""
    if not terms:
        return None
    if db.engine.dialect.name != "sqlite":
        return or_(*(_like_term(t) for t in terms))
    long_terms = [t for t in terms if len(t) >= TRIGRAM]
    short_terms = [t for t in terms if len(t) < TRIGRAM]
    conditions: list[ColumnElement[bool]] = []
    if long_terms:
        conditions.append(_fts_ids(" OR ".join(_fts_phrase(t) for t in long_terms)))
    conditions.extend(_like_term(t) for t in short_terms)
    return or_(*conditions)


def ordered_matches(query: Select[Any], terms: list[str], key: list[Any], limit: int) -> list[Idea]:
    """Return the first `limit` ideas of query that contain every term, in descending key order.

    query selects Idea with its filters (visibility, stage, category, a keyset cursor) and no
    order; key is the sort's columns (e.g. hot, id). Two plans give the same page, and their
    costs run opposite ways:

    - the *walk*: go down the sort's index and test each idea for the terms, stopping at
      `limit` matches: about limit / (share of ideas matching) rows — a few hundred for a
      common term, the whole board for a rare one;
    - the *list*: look the matches up in the text index (FTS5 trigrams / pg_trgm) and sort
      them: linear in the matches — nothing for a rare term, a sixth of the board for
      "데이터".

    The walk goes through at most WALK_WINDOW ideas (the first WALK_WINDOW of the filtered
    order, read lazily): if that yields a page, or is the end of the order, it is the answer;
    otherwise the query is rare in this order and the list serves it, sorting at most a few
    thousand matches per million ideas (fewer than limit in WALK_WINDOW). On SQLite, counting
    up to FTS_DIRECT_LIMIT + 1 matches of the terms of three or more characters is cheap, so a
    query known to be rare goes to the list at once.
    """
    order = [column.desc() for column in key]
    sqlite = db.engine.dialect.name == "sqlite"
    long_terms = [t for t in terms if len(t) >= TRIGRAM]
    short = [_like_term(t) for t in terms if len(t) < TRIGRAM]
    matches = None
    if sqlite and long_terms:
        matches = (
            select(text("rowid"))
            .select_from(text("idea_fts"))
            .where(
                text("idea_fts MATCH :fts").bindparams(
                    fts=" AND ".join(_fts_phrase(t) for t in long_terms)
                )
            )
        )
        counted = select(func.count()).select_from(matches.limit(FTS_DIRECT_LIMIT + 1).subquery())
        if (db.session.scalar(counted) or 0) <= FTS_DIRECT_LIMIT:
            # SQLite drives this by the matches' rowids and sorts them.
            return _page(query.where(Idea.id.in_(matches), *short).order_by(*order).limit(limit))
        if not all(_like_matches_fts(t) for t in long_terms):
            # LIKE would not fold this term's letters as FTS5 does: keep FTS as the test,
            # walking the sort's index (`id + 0` stops SQLite driving the query by rowid).
            return _page(
                query.where((Idea.id + 0).in_(matches), *short).order_by(*order).limit(limit)
            )
    walked = _walk(query, terms, key, limit)
    if walked is not None:
        return walked
    if matches is not None:
        return _page(query.where(Idea.id.in_(matches), *short).order_by(*order).limit(limit))
    if sqlite:  # only terms of one or two characters: no index can list them
        return _page(query.where(*short).order_by(*order).limit(limit))
    return _listed_postgresql(query, terms, order, limit)


def _page(query: Select[Any]) -> list[Idea]:
    return list(db.session.scalars(query).unique())


def _like_matches_fts(term: str) -> bool:
    """Tell whether LIKE finds the same ideas for term as FTS5's case-folding trigrams.

    SQLite's LIKE folds ASCII letters only; a term whose other characters have no case
    (Hangul, Han, digits, emoji) matches the same rows either way.
    """
    return all(c.isascii() or c.lower() == c.upper() for c in term)


def _walk(query: Select[Any], terms: list[str], key: list[Any], limit: int) -> list[Idea] | None:
    """The page from the first WALK_WINDOW ideas in order, or None if they were too few."""
    order = [column.desc() for column in key]
    # The window carries only what the test and the order need (building a subquery of every
    # column of ideas costs more Python than the walk costs SQL).
    window = (
        query.with_only_columns(*_text_columns(), *key)
        .order_by(*order)
        .limit(WALK_WINDOW)
        .subquery()
    )
    keys = [window.c[column.key] for column in key]
    matches = [_like_term(t, window.c) for t in terms]
    if db.engine.dialect.name != "sqlite":
        # One statement: the ideas whose ids the walk finds. PostgreSQL keeps the window's
        # order through the subquery (no sort: the limit stops the index walk after `limit`
        # matches), then fetches those few by primary key.
        found = (
            select(window.c.id)
            .where(*matches)
            .order_by(*(column.desc() for column in keys))
            .limit(limit)
        )
        items = _page(query.where(Idea.id.in_(found)).order_by(*order))
        if len(items) < limit and _window_size(query, order) >= WALK_WINDOW:
            return None
        return items
    # SQLite would sort the whole window for an outer ORDER BY; without one it reads the window
    # (a co-routine in index order) only until `limit` matches. That order is checked, so the
    # keys come back first and the ideas are loaded by id.
    values = [tuple(row) for row in db.session.execute(select(*keys).where(*matches).limit(limit))]
    if any(a <= b for a, b in zip(values, values[1:], strict=False)):
        return None  # not in the window's order: let the list answer
    if len(values) < limit and _window_size(query, order) >= WALK_WINDOW:
        return None
    if not values:
        return []
    return _page(query.where(Idea.id.in_([v[-1] for v in values])).order_by(*order))


def _window_size(query: Select[Any], order: list[Any]) -> int:
    window = query.with_only_columns(Idea.id).order_by(*order).limit(WALK_WINDOW).subquery()
    return db.session.scalar(select(func.count()).select_from(window)) or 0


def _listed_postgresql(
    query: Select[Any], terms: list[str], order: list[Any], limit: int
) -> list[Idea]:
    """The page from every match, found through the trigram indexes and sorted (PostgreSQL).

    Reached when the walk showed the terms are rare in this order; the planner's estimate
    for ILIKE may still favour walking the sort's index (through the whole table) or a
    sequential scan, so both are switched off for this one statement.
    """
    before = db.session.execute(
        text(
            "SELECT current_setting('enable_seqscan'), current_setting('enable_indexscan'), "
            "set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true)"
        )
    ).one()
    try:
        ids = list(
            db.session.scalars(
                query.with_only_columns(Idea.id)
                .where(*(_like_term(t) for t in terms))
                .order_by(*order)
                .limit(limit)
            )
        )
    finally:
        db.session.execute(
            text(
                "SELECT set_config('enable_seqscan', :seq, true), "
                "set_config('enable_indexscan', :index, true)"
            ),
            {"seq": before[0], "index": before[1]},
        )
    if not ids:
        return []
    return _page(query.where(Idea.id.in_(ids)).order_by(*order))


def overlap(terms: list[str], idea: Idea) -> float:
    """Return the share of terms found in the idea's title (weighted double) and body."""
    return text_overlap(terms, idea.title, idea.body)


def text_overlap(terms: list[str], title: str, body: str) -> float:
    """overlap's rule on a title and body: the share of terms in the title (1) or only in
    the body (½)."""
    if not terms:
        return 0.0
    title, body = title.casefold(), body.casefold()
    total = 0.0
    for term in terms:
        folded = term.casefold()
        if folded in title:
            total += 1.0
        elif folded in body:
            total += 0.5
    return total / len(terms)


def fts_available() -> bool:
    """Tell whether the FTS5 index exists (SQLite only)."""
    if db.engine.dialect.name != "sqlite":
        return False
    found = db.session.scalar(
        select(func.count()).select_from(text("sqlite_master")).where(text("name = 'idea_fts'"))
    )
    return bool(found)
