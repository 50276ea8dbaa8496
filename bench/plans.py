"""The SQL behind the board's hot paths, timed in-process and explained by the database."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event, text

SEARCHES = [
    "데이터 이월",
    "roaming",
    "요금제",
    "dark mode",
    "eSIM",
    "고객센터 채팅",
    "5G",
    "학생 할인",
]


@contextmanager
def captured(engine: Any) -> Iterator[list[tuple[str, Any]]]:
    """Collect (statement, parameters) of everything engine runs inside the block."""
    seen: list[tuple[str, Any]] = []

    def listen(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool):
        seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def deep_cursor(fraction: float = 0.9) -> str:
    """Return the Trending cursor of the idea `fraction` of the way down the board."""
    from ideaboard.extensions import db
    from ideaboard.ideas.queries import _encode_cursor

    total = db.session.scalar(text("SELECT count(*) FROM ideas WHERE hidden_at IS NULL")) or 1
    row = db.session.execute(
        text(
            "SELECT hot, id FROM ideas WHERE hidden_at IS NULL ORDER BY hot DESC, id DESC "
            "LIMIT 1 OFFSET :n"
        ),
        {"n": int(total * fraction)},
    ).one()
    return _encode_cursor([float(row[0]), int(row[1])])


def scenarios(cursor: str) -> dict[str, dict[str, Any]]:
    """The board queries measured at every size: list_ideas keyword arguments."""
    return {
        "trending": {},
        "deep page": {"cursor": cursor},
        "search": {"q": "데이터 이월"},
        "search short": {"q": "5G"},
    }


def explain(app: Flask, *, repeat: int = 30) -> list[dict[str, Any]]:
    """Time list_ideas for each scenario and explain the SQL it ran; return one dict each."""
    from ideaboard.extensions import db
    from ideaboard.ideas.queries import list_ideas

    out = []
    with app.test_request_context("/"):
        cursor = deep_cursor()
        for name, kwargs in scenarios(cursor).items():
            list_ideas(**kwargs)  # warm caches
            times = []
            for _ in range(repeat):
                began = time.perf_counter()
                list_ideas(**kwargs)
                times.append((time.perf_counter() - began) * 1000)
            with captured(db.engine) as seen:
                list_ideas(**kwargs)
            statement, params = next(s for s in seen if "FROM ideas" in s[0])
            out.append(
                {
                    "name": name,
                    "median_ms": round(statistics.median(times), 2),
                    "max_ms": round(max(times), 2),
                    "sql": statement,
                    "plan": _plan(db, statement, params),
                }
            )
            db.session.rollback()
    return out


def _plan(db: Any, statement: str, params: Any) -> str:
    raw = db.session.connection().connection.dbapi_connection
    cursor = raw.cursor()
    try:
        if db.engine.dialect.name == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statement, params)
            rows = cursor.fetchall()
            depth = {0: 0}
            lines = []
            for node, parent, _unused, detail in rows:
                depth[node] = depth.get(parent, 0) + 1
                lines.append("  " * (depth[node] - 1) + detail)
            return "\n".join(lines)
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, params)
        return "\n".join(row[0] for row in cursor.fetchall())
    finally:
        cursor.close()


def full_scans(plan: str, dialect: str) -> list[str]:
    """Return the plan lines that read a whole table of ideas."""
    lines = plan.splitlines()
    if dialect == "sqlite":
        return [x for x in lines if x.strip().startswith("SCAN ideas") and "INDEX" not in x]
    return [x for x in lines if "Seq Scan on ideas" in x]


Timer = Callable[[], float]
