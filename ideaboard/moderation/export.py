"""The board (or one staff-inbox filter) as CSV, streamed, for spreadsheets.

UTF-8 with a byte-order mark, so Excel reads Korean correctly; CRLF line ends (RFC 4180).
Text cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
return) get a leading apostrophe, so a title like `=HYPERLINK(...)` stays text. Numbers are
written as numbers. The author is the display name (ideas.attribution), never an e-mail address.

The whole board leaves hidden ideas out; a filter uses the staff inbox's filters
(triage.queries.InboxFilters) with its rule for hidden ideas: only hidden ones when the filter
asks for them (`hidden=1`), none otherwise. Rows are read by id in chunks of CHUNK, so memory
stays flat however large the board.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from datetime import datetime

from flask import url_for
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..database import utcnow
from ..extensions import db
from ..i18n import display_name
from ..ideas.attribution import attribution
from ..ideas.models import Idea
from ..triage.queries import InboxFilters, filter_conditions, parse_filters

CHUNK = 500
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HEADER = (
    "id", "title", "stage", "category", "team", "assignee", "votes_up", "votes_down", "score",
    "comments", "source", "source_url", "author", "created_utc", "first_response_utc",
    "public_url",
)  # fmt: skip


def neutralise(value: str) -> str:
    """Return text a spreadsheet will not run as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def filters_from_args(args: Mapping[str, str]) -> InboxFilters:
    """Read the inbox's filter parameters, as the inbox does, but with no default stage (a
    missing stage is every stage: the export link always names the inbox's)."""
    return parse_filters(args, waiting="")


def conditions(filters: InboxFilters | None, viewer: User) -> list[ColumnElement[bool]]:
    """The WHERE clauses: the inbox's own (triage.queries.filter_conditions), or the visible
    board. Raises ValidationFailed for an unknown stage, category, team, source or assignee."""
    if filters is None:
        return [Idea.hidden_at.is_(None)]
    return filter_conditions(filters, viewer=viewer, now=utcnow())


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else ""


def row_of(idea: Idea) -> list[str | int]:
    """One idea as a CSV row (HEADER's order); text neutralised, numbers left as numbers."""
    text = [
        idea.title,
        display_name(idea.stage),
        display_name(idea.category) if idea.category else "",
        display_name(idea.team) if idea.team else "",
        idea.assignee.name if idea.assignee else "",
    ]
    title, stage, category, team, assignee = (neutralise(v) for v in text)
    return [
        idea.id, title, stage, category, team, assignee,
        idea.up_count, idea.down_count, idea.score, idea.comment_count,
        idea.source, neutralise(idea.source_url or ""), neutralise(attribution(idea).name),
        _when(idea.created_at), _when(idea.first_response_at),
        url_for("ideas.show", idea_id=idea.id, _external=True),
    ]  # fmt: skip


def ideas(where: list[ColumnElement[bool]]) -> Iterator[Idea]:
    """The matching ideas by id, read CHUNK at a time."""
    after = 0
    while True:
        chunk = list(
            db.session.scalars(
                select(Idea)
                .where(*where, Idea.id > after)
                .options(selectinload(Idea.team), selectinload(Idea.assignee))
                .order_by(Idea.id)
                .limit(CHUNK)
            ).unique()
        )
        yield from chunk
        if len(chunk) < CHUNK:
            return
        after = chunk[-1].id
        for done in chunk:  # keep memory flat: the rows written are not needed again
            db.session.expunge(done)


def csv_lines(where: list[ColumnElement[bool]]) -> Iterator[str]:
    """The CSV document in pieces: the BOM and header, then a piece per chunk of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # excel dialect: quotes as needed, CRLF line ends
    writer.writerow(HEADER)
    yield BOM + buffer.getvalue()
    pending = 0
    buffer.seek(0)
    buffer.truncate()
    for idea in ideas(where):
        writer.writerow(row_of(idea))
        pending += 1
        if pending == CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue()
