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
    db.session.remove()  # a read's open transaction would make the downgrade's ALTER wait
    back = runner.invoke(args=["db", "downgrade", migration.down_revision])
    assert back.exit_code == 0, back.output
    db.session.remove()
    states = dict(db.session.execute(text("SELECT dedupe_key, state FROM outbox")).all())
    assert states["capped"] == "pending"
    db.session.remove()
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
    # End the read's transaction: on PostgreSQL it holds a lock on outbox, and the upgrade's
    # ALTER TABLE outbox (e5b7c9d1f3a4 widens its ids) would wait for it for ever.
    db.session.remove()

    up = runner.invoke(args=["db", "upgrade"])
    assert up.exit_code == 0, up.output
    db.session.remove()
    authors = db.session.execute(
        text("SELECT post_id, author_remote_id, lang FROM mention_log ORDER BY post_id")
    ).all()
    assert [tuple(row) for row in authors] == [("1", "777", None), ("2", None, None)]


def _migration(slug: str):
    import importlib.util
    from pathlib import Path

    versions = Path(__file__).resolve().parent.parent / "migrations" / "versions"
    path = next(versions.glob(f"*_{slug}.py"))
    spec = importlib.util.spec_from_file_location(slug, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_upgrade_gives_stages_categories_and_teams_their_korean_names(app):
    migration = _migration("names_in_both_languages")
    runner = app.test_cli_runner()
    down = runner.invoke(args=["db", "downgrade", migration.down_revision])
    assert down.exit_code == 0, down.output
    db.session.remove()
    db.session.execute(
        text(
            "INSERT INTO stages (slug, name, position, color, is_open, is_public)"
            " VALUES ('partial', '부분 출시', 45, '#0f766e', :no, :yes),"
            " ('held', 'On hold', 46, '#0f766e', :yes, :yes)"
        ),
        {"no": False, "yes": True},
    )
    db.session.execute(
        text("INSERT INTO teams (slug, name, position) VALUES ('roaming', 'Roaming', 50)")
    )
    db.session.commit()
    up = runner.invoke(args=["db", "upgrade"])
    assert up.exit_code == 0, up.output
    db.session.remove()

    def names(table: str) -> dict[str, tuple[str, str]]:
        query = f"SELECT slug, name, name_ko FROM {table}"  # noqa: S608 - a fixed table name
        rows = db.session.execute(text(query))
        return {slug: (name, name_ko) for slug, name, name_ko in rows}

    stages, teams, categories = names("stages"), names("teams"), names("categories")
    assert stages["new"] == ("New", "신규")
    assert stages["declined"] == ("Declined", "보류")
    assert stages["partial"] == ("부분 출시", "부분 출시")  # typed in Korean: kept for Korean pages
    assert stages["held"] == ("On hold", "")  # unknown: pages fall back to the English name
    assert categories["app"] == ("App & website", "앱·웹사이트")
    assert teams["support"] == ("Support", "고객 지원")
    assert teams["roaming"] == ("Roaming", "")

    # A row named only in Korean keeps that name when the column goes away.
    db.session.execute(text("UPDATE teams SET name = '', name_ko = '로밍' WHERE slug = 'roaming'"))
    db.session.commit()
    back = runner.invoke(args=["db", "downgrade", migration.down_revision])
    assert back.exit_code == 0, back.output
    db.session.remove()
    kept = db.session.execute(text("SELECT name FROM teams WHERE slug = 'roaming'")).scalar()
    db.session.remove()  # no open transaction may hold a lock the upgrade waits for
    assert kept == "로밍"
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    db.session.remove()
