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


def test_echo_migration_backfills_mention_authors_and_cancels_held_rows_on_downgrade(
    app, make_user
):
    from ideaboard.outbox.models import OutboxMessage
    from ideaboard.social.models import MentionLog, SocialAccount, SocialIdentity

    account = SocialAccount(network="x", remote_user_id="100", username="hanbit")
    db.session.add(account)
    db.session.flush()
    db.session.add_all(
        [
            SocialIdentity(handle="minji", remote_user_id="777", user_id=make_user().id),
            MentionLog(account_id=account.id, post_id="1", author_handle="minji", outcome="voted"),
            MentionLog(account_id=account.id, post_id="2", author_handle="nobody", outcome="voted"),
            *(
                OutboxMessage(kind="x_reply", dedupe_key=state, state=state)
                for state in ("held", "superseded", "pending")
            ),
        ]
    )
    db.session.commit()
    runner = app.test_cli_runner()
    down = runner.invoke(args=["db", "downgrade", "9e1f4c2a7b30"])
    assert down.exit_code == 0, down.output
    db.session.remove()
    states = dict(db.session.execute(text("SELECT dedupe_key, state FROM outbox")).all())
    assert states == {"held": "cancelled", "superseded": "cancelled", "pending": "pending"}

    up = runner.invoke(args=["db", "upgrade"])
    assert up.exit_code == 0, up.output
    db.session.remove()
    authors = db.session.execute(
        text("SELECT post_id, author_remote_id, lang FROM mention_log ORDER BY post_id")
    ).all()
    assert [tuple(row) for row in authors] == [("1", "777", None), ("2", None, None)]
