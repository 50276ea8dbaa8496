"""The staff inbox migration backfills each idea's last activity and keeps SQLite search."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import inspect, text

from ideaboard.extensions import db
from tests.helpers import flask_db, migration_module


def _migration():
    return migration_module("*_staff_inbox.py")


def _run(app, *args):
    flask_db(app, *args)


def _insert_idea(title: str, created: str) -> int:
    stage = db.session.execute(text("SELECT id FROM stages WHERE slug = 'new'")).scalar()
    db.session.execute(
        text(
            "INSERT INTO ideas (title, body, body_html, stage_id, source, score, up_count,"
            " down_count, comment_count, follower_count, hot, held, created_at, updated_at)"
            " VALUES (:t, '', '', :s, 'web', 0, 0, 0, 0, 0, 0, :no, :c, :c)"
        ),
        {"t": title, "s": stage, "no": False, "c": created},
    )
    return int(
        db.session.execute(text("SELECT id FROM ideas WHERE title = :t"), {"t": title}).scalar()
    )


def test_upgrade_backfills_the_latest_activity_and_downgrade_removes_it(app):
    migration = _migration()
    _run(app, "downgrade", migration.down_revision)
    quiet = _insert_idea("Nothing happened", "2026-11-01 09:00:00")
    busy = _insert_idea("Lots happened", "2026-11-02 09:00:00")
    stage = db.session.execute(text("SELECT id FROM stages WHERE slug = 'planned'")).scalar()
    db.session.execute(
        text(
            "INSERT INTO comments (idea_id, body, body_html, is_official, created_at)"
            " VALUES (:i, 'hi', 'hi', :no, '2026-11-05 10:00:00')"
        ),
        {"i": busy, "no": False},
    )
    db.session.execute(
        text(
            "INSERT INTO status_changes (idea_id, to_stage_id, note, note_html, created_at)"
            " VALUES (:i, :s, 'n', 'n', '2026-11-07 11:00:00')"
        ),
        {"i": busy, "s": stage},
    )
    db.session.execute(
        text(
            "INSERT INTO idea_edits (idea_id, field, created_at)"
            " VALUES (:i, 'title', '2026-11-06 12:00:00')"
        ),
        {"i": busy},
    )
    db.session.commit()
    _run(app, "upgrade")
    found = dict(db.session.execute(text("SELECT id, last_activity_at FROM ideas")).all())

    def moment(value):
        return value if isinstance(value, datetime) else datetime.fromisoformat(value)

    assert moment(found[quiet]) == datetime(2026, 11, 1, 9, 0)
    assert moment(found[busy]) == datetime(2026, 11, 7, 11, 0)  # the stage change
    assert "saved_filters" in inspect(db.engine).get_table_names()
    _run(app, "downgrade", migration.down_revision)
    columns = {c["name"] for c in inspect(db.engine).get_columns("ideas")}
    assert "last_activity_at" not in columns
    assert "saved_filters" not in inspect(db.engine).get_table_names()
    _run(app, "upgrade")


@pytest.mark.sqlite_only  # PostgreSQL's search index is an expression index, not triggers
def test_the_sqlite_search_triggers_survive_the_rebuild_of_ideas(app):
    migration = _migration()
    wanted = {"ideas_fts_insert", "ideas_fts_delete", "ideas_fts_update"}

    def triggers():
        rows = db.session.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        return {name for (name,) in rows} & wanted

    assert triggers() == wanted
    _run(app, "downgrade", migration.down_revision)
    assert triggers() == wanted
    _run(app, "upgrade")
    assert triggers() == wanted
