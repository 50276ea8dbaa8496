"""The schema comes from migrations only, and models and migrations cannot drift apart."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select, text

from ideaboard.extensions import db
from ideaboard.ideas.models import Category
from ideaboard.triage.models import Stage


def test_models_and_migrations_match(app):
    result = app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_upgrade_seeds_the_default_stages_and_categories(app):
    stages = db.session.execute(select(Stage.slug, Stage.is_open).order_by(Stage.position)).all()
    assert stages == [
        ("new", True),
        ("under-review", True),
        ("planned", True),
        ("in-progress", True),
        ("launched", False),
        ("declined", False),
        ("duplicate", False),
    ]
    assert db.session.scalar(select(Category).where(Category.slug == "billing")) is not None


def test_downgrade_to_base_and_upgrade_again(app):
    runner = app.test_cli_runner()
    down = runner.invoke(args=["db", "downgrade", "base"])
    assert down.exit_code == 0, down.output
    db.session.remove()
    assert "ideas" not in inspect(db.engine).get_table_names()
    up = runner.invoke(args=["db", "upgrade"])
    assert up.exit_code == 0, up.output
    db.session.remove()
    names = set(inspect(db.engine).get_table_names())
    assert {"ideas", "votes", "outbox", "social_accounts", "api_tokens"} <= names
    if db.engine.dialect.name == "sqlite":
        assert "idea_fts" in names


@pytest.mark.sqlite_only
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_upgrade_parks_rows_held_by_a_spending_cap(app):
    import importlib.util
    from pathlib import Path

    versions = Path(__file__).resolve().parent.parent / "migrations" / "versions"
    path = next(versions.glob("*_outbox_parked_state.py"))
    spec = importlib.util.spec_from_file_location("parked_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    runner = app.test_cli_runner()
    down = runner.invoke(args=["db", "downgrade", migration.down_revision])
    assert down.exit_code == 0, down.output
    db.session.remove()
    insert = text(
        "INSERT INTO outbox (kind, state, dedupe_key, text, payload, attempts, max_attempts,"
        " next_attempt_at, created_at, check_first, last_error)"
        " VALUES ('x_reply', :state, :key, '', '{}', 0, 8, :now, :now, :no, :error)"
    )
    now = "2026-12-01 00:00:00"
    for key, state, error in [
        ("capped", "pending", "monthly cap of $0.10 reached; waits until 2027-01-01"),
        ("waiting", "pending", None),
        ("flaky", "failed", "timeout"),
    ]:
        db.session.execute(
            insert, {"state": state, "key": key, "now": now, "no": False, "error": error}
        )
    db.session.commit()
    up = runner.invoke(args=["db", "upgrade"])
    assert up.exit_code == 0, up.output
    db.session.remove()
    states = dict(db.session.execute(text("SELECT dedupe_key, state FROM outbox")).all())
    assert states == {"capped": "parked", "waiting": "pending", "flaky": "failed"}
    back = runner.invoke(args=["db", "downgrade", migration.down_revision])
    assert back.exit_code == 0, back.output
    db.session.remove()
    states = dict(db.session.execute(text("SELECT dedupe_key, state FROM outbox")).all())
    assert states["capped"] == "pending"
    runner.invoke(args=["db", "upgrade"])
    db.session.remove()
