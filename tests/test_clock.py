"""One clock: every ideaboard module reads "now" through ideaboard.database.utcnow, and the
`clock` fixture moves it for all of them (column defaults, services, views, jobs)."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import ideaboard
from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.ideas.models import Comment, Idea
from tests.helpers import Clock, csrf_token, login, post

ROOT = Path(ideaboard.__file__).resolve().parent
# Calls that read the wall clock without asking utcnow().
WALL_CLOCK = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("func", "now"),
    ("func", "current_timestamp"),
}
WHEN = datetime(2031, 5, 6, 10, 0, tzinfo=UTC)


def _product_modules() -> list[str]:
    """Every module of the ideaboard package (the sandbox X API, outside it, keeps real time)."""
    return [info.name for info in pkgutil.walk_packages(ideaboard.__path__, "ideaboard.")]


def test_every_module_that_reads_the_time_sees_the_clock(app, clock: Clock) -> None:
    clock.set(WHEN)
    readers = {}
    for name in _product_modules():
        module = importlib.import_module(name)
        reader = getattr(module, "utcnow", None)
        if callable(reader):
            readers[name] = reader()

    assert {"ideaboard.ideas.services", "ideaboard.web"} <= set(readers)
    assert readers == dict.fromkeys(readers, WHEN)
    clock.advance(minutes=5)
    assert utcnow() == WHEN + timedelta(minutes=5)


def test_no_module_reads_the_wall_clock_behind_utcnow() -> None:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative == "database.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
            if (name, node.func.attr) in WALL_CLOCK:
                found.append(f"{relative}:{node.lineno} {name}.{node.func.attr}()")
    assert not found, "read the time with ideaboard.database.utcnow():\n" + "\n".join(found)


def test_column_defaults_and_services_follow_the_clock(make_user, make_idea, clock: Clock) -> None:
    clock.set(WHEN)
    author = make_user()
    idea = make_idea(author)

    assert (author.created_at, idea.created_at, idea.updated_at) == (WHEN, WHEN, WHEN)


def test_pages_and_forms_follow_the_clock(client, make_user, clock: Clock) -> None:
    clock.set(WHEN)
    login(client, make_user())
    response = post(client, "/ideas/new", {"title": "Show my data balance on the lock screen"})
    assert response.status_code == 302
    idea = db.session.scalars(db.select(Idea)).one()
    assert idea.created_at == WHEN
    # The test shares one session with the requests, which in production each end theirs.
    # End its transactions by hand around the first page after the clock moves: that page
    # records the sign-in's use on its own connection, which would wait out SQLite's busy
    # timeout behind the POST's writer transaction (30 s, three times), and the comment's
    # POST must not continue the page's read snapshot from before that write (SQLite then
    # refuses the write at once: "database is locked").
    db.session.commit()
    clock.advance(hours=3)
    token = csrf_token(client)  # a page: the sign-in's use is recorded here
    db.session.commit()
    response = client.post(
        f"/ideas/{idea.id}/comments", data={"body": "Yes, please.", "csrf_token": token}
    )
    assert response.status_code == 302
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)

    assert f'datetime="{WHEN.isoformat()}"' in page
    assert "3 hours ago" in page
    comment = db.session.scalars(db.select(Comment)).one()
    assert comment.created_at == WHEN + timedelta(hours=3)


def test_clock_runs_with_real_time_until_it_is_set() -> None:
    clock = Clock()
    before = datetime.now(UTC)
    assert before <= clock.now() <= datetime.now(UTC)

    moved = clock.advance(timedelta(days=1))
    assert moved - before >= timedelta(days=1)
    assert clock.now() > moved  # still running

    assert clock.set(WHEN) == WHEN
    assert clock.now() == clock.now() == WHEN  # stopped
    assert clock.advance(90) == WHEN + timedelta(seconds=90)
    assert clock.advance(timedelta(minutes=1), seconds=30) == WHEN + timedelta(minutes=3)
    assert clock.advance(hours=1) == WHEN + timedelta(hours=1, minutes=3)


def test_clock_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        Clock().set(datetime(2031, 5, 6, 10, 0))
