"""Search pages agree with a Python filter whichever plan ideas.search picks for the query.

ideas.search.ordered_matches answers a page of search results by walking the sort's index
(common terms: stops after a page), or by listing every match through the text index and
sorting them (rare terms; on SQLite at once when FTS counts at most FTS_DIRECT_LIMIT of them,
otherwise after the walk found too few in its window of WALK_WINDOW ideas). Every plan, in
every sort, with and without stage and category filters and through every keyset page, must
give the pages the Python filter gives. The thresholds are shrunk so that a board of 900
ideas crosses each of them; terms are Korean (two- and four-character), English, mixed, and
one with a non-ASCII capital (FTS5 folds it, SQLite's LIKE would not).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import insert, select, text

from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.ideas import queries, search
from ideaboard.ideas.models import Category, Idea
from ideaboard.ideas.services import default_stage
from ideaboard.triage.models import Stage

pytestmark = pytest.mark.slow

Predicate = Callable[[str], bool]
IDEAS = 900
FTS_LIMIT = 60  # FTS_DIRECT_LIMIT for these tests
WINDOW = 150  # WALK_WINDOW for these tests
RARE_DEEP = "심야할증"  # only in the ideas at the bottom of Trending: > FTS_LIMIT of them
SHORT_DEEP = "밤샘"  # two characters (no trigram), only at the very bottom of Trending
FEW = "해외로밍"  # in 45 ideas (< FTS_LIMIT) spread over the board


@pytest.fixture
def board(app: Flask, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setattr(search, "FTS_DIRECT_LIMIT", FTS_LIMIT)
    monkeypatch.setattr(search, "WALK_WINDOW", WINDOW)
    rng = random.Random(3)  # noqa: S311 - test data, not security
    first = default_stage()
    other = db.session.scalar(
        select(Stage).where(Stage.is_public, Stage.id != first.id).order_by(Stage.id).limit(1)
    )
    assert other is not None
    category = Category(slug="search-test", name="Search test")
    db.session.add(category)
    db.session.flush()
    now = utcnow()
    rows = []
    for n in range(IDEAS):
        hot = round(rng.uniform(0, 100), 7)
        title = f"데이터 이월 제안 {n}" if n % 3 else f"Data rollover idea {n}"
        body = "요금 할인도 함께" if n % 4 == 0 else "매달 남는 데이터가 아깝습니다"
        if n % 5 == 0:
            title += " Éclair"
        if n % 20 == 1:
            body += f" {FEW}"
        if hot < 15:
            body += f" {RARE_DEEP}"
        if hot < 4:
            body += f" {SHORT_DEEP}"
        rows.append(
            {
                "title": title,
                "body": body,
                "body_html": f"<p>{body}</p>",
                "stage_id": other.id if n % 7 == 0 else first.id,
                "category_id": category.id if n % 2 == 0 else None,
                "hot": hot,
                "score": rng.randint(-3, 40),  # ties: the id decides
                "created_at": now - timedelta(minutes=rng.randrange(100_000)),
                "updated_at": now,
                "last_activity_at": now,
            }
        )
    db.session.execute(insert(Idea), rows)
    db.session.commit()
    return {"stage": other.slug, "category": category.slug}


def _all_pages(q: str, **filters: Any) -> Iterator[list[int]]:
    cursor = None
    while True:
        page = queries.list_ideas(q=q, cursor=cursor, limit=25, **filters)
        yield [idea.id for idea in page.items]
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _expected(predicate: Predicate, sort: queries.Sort, **filters: Any) -> list[int]:
    columns = [Idea.id, Idea.hot, Idea.score, Idea.created_at, Idea.title, Idea.body]
    query = select(*columns)
    if "stage" in filters:
        query = query.join(Stage, Stage.id == Idea.stage_id).where(Stage.slug == filters["stage"])
    if "category" in filters:
        query = query.join(Category, Category.id == Idea.category_id).where(
            Category.slug == filters["category"]
        )
    rows = db.session.execute(query).all()
    matching = [r for r in rows if predicate(f"{r.title}\n{r.body}".casefold())]
    key = {"trending": "hot", "top": "score", "new": "created_at"}[sort.value]
    return [r.id for r in sorted(matching, key=lambda r: (getattr(r, key), r.id), reverse=True)]


QUERIES: list[tuple[str, Predicate]] = [
    ("데이터", lambda t: "데이터" in t),  # every idea: the walk
    ("데이터 할인", lambda t: "데이터" in t and "할인" in t),  # common long + short term
    ("ROLLOVER", lambda t: "rollover" in t),  # a third, any letter case
    ("제안 99", lambda t: "제안" in t and "99" in t),  # a common long term, a rare short one
    (FEW, lambda t: FEW in t),  # few: FTS lists them at once
    (f"{FEW} 할인", lambda t: FEW in t and "할인" in t),
    ("할인", lambda t: "할인" in t),  # a common two-character term: walked
    (RARE_DEEP, lambda t: RARE_DEEP in t),  # > FTS_LIMIT, none at the top of Trending
    (f"{RARE_DEEP} rollover", lambda t: RARE_DEEP in t and "rollover" in t),  # mixed
    (SHORT_DEEP, lambda t: SHORT_DEEP in t),  # two characters, only at the bottom
    ("éclair", lambda t: "éclair" in t),  # FTS folds É; the walk's LIKE would not
    ("없는말", lambda t: "없는말" in t),  # nothing
]


@pytest.mark.parametrize("sort", list(queries.Sort))
@pytest.mark.parametrize("filters", ["none", "stage", "category"])
def test_search_pages_match_python_filter_in_every_sort_and_filter(
    app: Flask, board: dict[str, str], sort: queries.Sort, filters: str
) -> None:
    chosen = {} if filters == "none" else {filters: board[filters]}
    for q, predicate in QUERIES:
        expected = _expected(predicate, sort, **chosen)
        pages = list(_all_pages(q, sort=sort, **chosen))
        assert [i for page in pages for i in page] == expected, (q, sort, chosen)
        assert all(len(page) == 25 for page in pages[:-1])


def test_each_plan_is_taken(
    app: Flask, board: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The queries above do cross the thresholds: the walk answers some, the list others."""
    walks: list[tuple[str, bool]] = []
    walk = search._walk

    def spy(query: Any, terms: list[str], key: list[Any], limit: int) -> Any:
        found = walk(query, terms, key, limit)
        walks.append((" ".join(terms), found is not None))
        return found

    monkeypatch.setattr(search, "_walk", spy)
    for q in ("데이터", "할인", RARE_DEEP, SHORT_DEEP, FEW):
        queries.list_ideas(q=q, limit=20)
    answered = dict(walks)
    assert answered["데이터"] is True
    assert answered["할인"] is True
    assert answered[RARE_DEEP] is False  # the window held none: listed
    assert answered[SHORT_DEEP] is False
    if db.engine.dialect.name == "sqlite":
        assert FEW not in answered  # FTS counted few: listed without walking
    else:
        assert answered[FEW] is False


@pytest.mark.sqlite_only
def test_new_indexes_get_statistics_where_sqlite_has_them(
    app: Flask, board: dict[str, str]
) -> None:
    """Without statistics of its own, a new index looks very selective to SQLite once ANALYZE
    has run: Trending by category took (category_id, created_at, id) and sorted the category."""
    runner = app.test_cli_runner()
    db.session.remove()
    assert runner.invoke(args=["db", "downgrade", "b044bee2ae6b"]).exit_code == 0
    db.session.remove()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    db.session.remove()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    db.session.remove()
    plan = " ".join(
        row[3]
        for row in db.session.execute(
            text(
                "EXPLAIN QUERY PLAN SELECT id FROM ideas WHERE category_id = 1 "
                "AND hidden_at IS NULL ORDER BY hot DESC, id DESC LIMIT 21"
            )
        )
    )
    assert "ix_ideas_category_hot_id" in plan
    assert "TEMP B-TREE" not in plan
