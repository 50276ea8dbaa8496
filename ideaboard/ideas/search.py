"""Word search over idea titles and bodies, Korean included.

SQLite: an FTS5 table with the trigram tokenizer (migration 0002) indexes title and body.
A trigram index finds any substring of three or more characters, whatever the script, so
Korean words match without a morphological analyser ("데이터" finds "데이터이월"). Terms of one
or two characters ("이월", "5G") cannot be served by trigrams; they are checked with LIKE on
the rows the longer terms left, or on the whole table when the query has only short terms.
Every term must match (AND), in the title or the body.

PostgreSQL uses ILIKE '%term%' per term, served by pg_trgm GIN indexes on title and body
for terms of three or more characters (migration 59c328c80f5d); shorter terms scan.
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import ColumnElement, and_, func, or_, select, text

from ..extensions import db
from .models import Idea

MAX_TERMS = 8
MAX_TERM_LENGTH = 64
TRIGRAM = 3
FTS_DIRECT_LIMIT = 1000  # see _fts_ids


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


def _like_term(term: str) -> ColumnElement[bool]:
    pattern = _like_pattern(term)
    return or_(
        Idea.title.ilike(pattern, escape="\\"),
        Idea.body.ilike(pattern, escape="\\"),
    )


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


def overlap(terms: list[str], idea: Idea) -> float:
    """Return the share of terms found in the idea's title (weighted double) and body."""
    if not terms:
        return 0.0
    title = idea.title.casefold()
    body = idea.body.casefold()
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
