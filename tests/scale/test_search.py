"""Search over a term so common that SQLite walks the Trending index instead of sorting matches.

ideas.search hands SQLite the matching ids when there are at most FTS_DIRECT_LIMIT of them,
and otherwise keeps it from driving the query by rowid; both shapes must give the same pages.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import insert, select

from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.ideas import queries, search
from ideaboard.ideas.models import Idea
from ideaboard.ideas.services import default_stage

pytestmark = pytest.mark.slow

Predicate = Callable[[str], bool]


def _add_ideas(count: int) -> None:
    rng = random.Random(3)  # noqa: S311 - test data, not security
    stage_id = default_stage().id
    now = utcnow()
    rows = []
    for n in range(count):
        title = f"데이터 이월 제안 {n}" if n % 3 else f"Data rollover idea {n}"
        body = "요금 할인도 함께" if n % 4 == 0 else "매달 남는 데이터가 아깝습니다"
        rows.append(
            {
                "title": title,
                "body": body,
                "body_html": f"<p>{body}</p>",
                "stage_id": stage_id,
                "hot": round(rng.uniform(0, 100), 7),
                "created_at": now,
                "updated_at": now,
            }
        )
    db.session.execute(insert(Idea), rows)
    db.session.commit()


def _all_pages(q: str) -> list[int]:
    ids: list[int] = []
    cursor = None
    while True:
        page = queries.list_ideas(q=q, cursor=cursor, limit=100)
        ids.extend(idea.id for idea in page.items)
        if page.next_cursor is None:
            return ids
        cursor = page.next_cursor


def _expected(predicate: Predicate) -> list[int]:
    rows = db.session.execute(select(Idea.id, Idea.hot, Idea.title, Idea.body)).all()
    matching = [r for r in rows if predicate(f"{r.title}\n{r.body}".casefold())]
    return [r.id for r in sorted(matching, key=lambda r: (r.hot, r.id), reverse=True)]


@pytest.mark.parametrize(
    ("q", "predicate"),
    [
        ("데이터", lambda t: "데이터" in t),  # every idea: far past FTS_DIRECT_LIMIT
        ("데이터 할인", lambda t: "데이터" in t and "할인" in t),  # common long + short term
        ("rollover", lambda t: "rollover" in t),  # a third: still past the limit
        ("제안 99", lambda t: "제안" in t and "99" in t),  # few: ids handed over
    ],
)
def test_search_pages_match_python_filter_in_trending_order(
    app: Flask, q: str, predicate: Predicate
) -> None:
    _add_ideas(search.FTS_DIRECT_LIMIT * 2 + 300)
    first = queries.list_ideas(q=q, limit=20)
    expected = _expected(predicate)
    assert [idea.id for idea in first.items] == expected[:20]
    assert _all_pages(q) == expected
