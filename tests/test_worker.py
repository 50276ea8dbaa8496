"""The worker loop (ideaboard/worker.py): logs, back-off on database errors, stopping, heartbeat.

The loop gets a `wait` function instead of sleeping, so each test sees the delays it asked for
and decides when the worker stops; the subprocess test runs the real `flask ideaboard worker`.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from ideaboard import worker as worker_module
from ideaboard.accounts.models import Role
from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.heartbeat import WorkerHeartbeat, beat
from ideaboard.social.importer import ImportResult
from ideaboard.social.models import SocialAccount
from ideaboard.worker import Worker, is_transient_db_error
from tests.helpers import login

ROOT = Path(__file__).resolve().parents[1]


class Waits:
    """A stand-in for stop.wait: records each delay; stops the worker after `rounds` rounds."""

    def __init__(self, stop: threading.Event, *, stop_after: int) -> None:
        self.stop, self.stop_after = stop, stop_after
        self.delays: list[float] = []
        self.hooks: dict[int, Callable[[], None]] = {}

    def __call__(self, seconds: float) -> bool:
        self.delays.append(seconds)
        hook = self.hooks.get(len(self.delays))
        if hook is not None:
            hook()
        if len(self.delays) >= self.stop_after:
            self.stop.set()
        return self.stop.is_set()


class NullConnector:
    def close(self) -> None:
        return None


def make_worker(waits: Waits, **kwargs: Any) -> Worker:
    return Worker(
        waits.stop,
        interval=kwargs.pop("interval", 30.0),
        name="test-worker",
        wait=waits,
        rng=random.Random(7),  # noqa: S311 - fixed jitter, not security
        connectors=lambda account: NullConnector(),  # type: ignore[arg-type,return-value]
        backoff_cap=kwargs.pop("backoff_cap", 60.0),
        **kwargs,
    )


def add_account(username: str, remote_id: str) -> SocialAccount:
    account = SocialAccount(network="x", remote_user_id=remote_id, username=username)
    db.session.add(account)
    db.session.commit()
    return account


def heartbeat_row() -> WorkerHeartbeat:
    db.session.rollback()  # a fresh look at what the worker committed
    row = db.session.scalar(select(WorkerHeartbeat).where(WorkerHeartbeat.name == "test-worker"))
    assert row is not None
    return row


def locked() -> Exception:
    return OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))


def dropped() -> Exception:
    return OperationalError(
        "SELECT 1",
        {},
        psycopg.OperationalError("server closed the connection unexpectedly"),
        connection_invalidated=True,
    )


def lost() -> Exception:
    return psycopg.OperationalError("consuming input failed: server closed the connection")


@pytest.mark.parametrize(
    ("make_error", "said"),
    [
        (locked, "database is locked"),
        (dropped, "server closed the connection unexpectedly"),
        (lost, "consuming input failed"),
    ],
    ids=["sqlite-locked", "connection-invalidated", "psycopg-lost"],
)
def test_transient_database_errors_are_logged_backed_off_and_the_next_round_succeeds(
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    make_error: Callable[[], Exception],
    said: str,
) -> None:
    real = worker_module.deliver_due
    calls = {"n": 0}

    def flaky(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= 3:
            raise make_error()
        return real(**kwargs)

    monkeypatch.setattr(worker_module, "deliver_due", flaky)
    caplog.set_level(logging.INFO, logger="ideaboard")
    waits = Waits(threading.Event(), stop_after=4)

    make_worker(waits).run()

    # three failed rounds, each waiting longer, then a good round and its ordinary pause
    backoffs, pause = waits.delays[:3], waits.delays[3]
    assert backoffs == sorted(backoffs)
    assert backoffs[0] < backoffs[2]
    assert 0.5 <= backoffs[0] <= 1
    assert 1 <= backoffs[1] <= 2
    assert 2 <= backoffs[2] <= 4
    assert 30 <= pause <= 36
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 3
    assert all(said in r.getMessage() and "retried in" in r.getMessage() for r in warnings)
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("round 1 done") for m in messages)
    assert any(m.startswith("next poll in") for m in messages)
    row = heartbeat_row()
    assert row.rounds == 1
    assert row.summary is not None
    assert row.summary["outbox"]["claimed"] == 0
    assert row.stopped_at is not None


def test_the_classifier_tells_database_hiccups_from_bugs() -> None:
    assert is_transient_db_error(locked())
    assert is_transient_db_error(dropped())
    assert is_transient_db_error(lost())
    assert is_transient_db_error(sqlite3.OperationalError("database is locked"))
    assert not is_transient_db_error(RuntimeError("database is locked"))
    assert not is_transient_db_error(ValueError("bad"))


@pytest.mark.sqlite_only
def test_a_real_sqlite_lock_is_waited_out(
    app_factory: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    app = app_factory(IDEABOARD_SQLITE_BUSY_TIMEOUT_MS=50)
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the database
    caplog.set_level(logging.INFO, logger="ideaboard")
    waits = Waits(threading.Event(), stop_after=3)
    waits.hooks[2] = holder.rollback  # the other writer finishes after two back-offs
    try:
        with app.app_context():
            make_worker(waits).run()
            rounds = heartbeat_row().rounds
    finally:
        holder.close()

    locks = [r for r in caplog.records if "database is locked" in r.getMessage()]
    assert len(locks) == 2
    assert all(r.levelno == logging.WARNING for r in locks)
    assert waits.delays[0] < waits.delays[1]
    assert rounds == 1


@pytest.mark.postgresql_only
def test_a_real_dropped_postgresql_connection_is_recovered(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    url = db.engine.url

    def kill_connections() -> None:
        conninfo = f"host={url.host} port={url.port or 5432} user={url.username} dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (url.database,),
            )

    caplog.set_level(logging.INFO, logger="ideaboard")
    waits = Waits(threading.Event(), stop_after=3)
    waits.hooks[1] = kill_connections  # between round 1 and round 2
    make_worker(waits).run()

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "database unavailable" in warnings[0], warnings
    assert waits.delays[1] < 2  # a back-off, not the 30 s interval
    assert heartbeat_row().rounds == 2


def test_an_error_in_one_account_is_logged_and_the_others_still_run(
    app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    broken = add_account("broken", "1").id
    add_account("fine", "2")
    polled: list[str] = []

    def fake_import(account: SocialAccount, connector: Any, **kwargs: Any) -> ImportResult:
        polled.append(account.username)
        if account.id == broken:
            raise KeyError("a bug in the importer")
        return ImportResult(fetched=3, imported=1, voted=1, skipped=1)

    monkeypatch.setattr(worker_module, "run_import", fake_import)
    caplog.set_level(logging.INFO, logger="ideaboard")
    waits = Waits(threading.Event(), stop_after=2)

    make_worker(waits, interval=0.01).run()

    assert polled == ["broken", "fine", "broken", "fine"]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2
    assert errors[0].exc_info is not None
    assert "@broken (x): import failed" in errors[0].getMessage()
    assert any(
        "@fine (x): fetched 3, imported 1, voted 1, skipped 1, held 0" in r.getMessage()
        for r in caplog.records
    )
    # no spinning: with errors the worker waits a growing back-off, not the 10 ms interval
    assert waits.delays[0] >= 0.5
    assert waits.delays[1] > waits.delays[0]
    summary = heartbeat_row().summary
    assert summary is not None
    assert summary["errors"] == 1
    assert summary["accounts"]["x:fine"]["imported"] == 1


def test_stop_during_an_import_finishes_the_mention_in_hand_then_stops(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_account("hanbit", "1")
    stop = threading.Event()
    handled: list[int] = []
    delivered: list[str] = []

    def fake_import(account: Any, connector: Any, *, after_each: Any, **kwargs: Any) -> Any:
        for n in range(5):
            handled.append(n)
            if n == 1:
                stop.set()  # SIGTERM arrives while mention 1 is handled
            after_each()
        return ImportResult(fetched=5)

    monkeypatch.setattr(worker_module, "run_import", fake_import)
    monkeypatch.setattr(worker_module, "deliver_due", lambda **kw: delivered.append("x"))
    waits = Waits(stop, stop_after=10)

    make_worker(waits).run()

    assert handled == [0, 1]
    assert delivered == []
    assert waits.delays == []
    assert heartbeat_row().stopped_at is not None


def cli_env(database_url: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("IDEABOARD_", "FLASK_")) and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="worker-test-secret",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ROOT),
    )
    return env


@pytest.mark.slow
def test_flask_ideaboard_worker_logs_its_rounds_and_exits_0_on_sigterm(
    app: Flask, tmp_path: Path
) -> None:
    err_path = tmp_path / "worker.err"
    with err_path.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app.py", "ideaboard", "worker"],
            cwd=ROOT,
            env=cli_env(app.config["SQLALCHEMY_DATABASE_URI"]),
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        deadline = time.monotonic() + 30
        while "next poll in" not in err_path.read_text():
            assert proc.poll() is None, err_path.read_text()
            assert time.monotonic() < deadline, err_path.read_text()
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    log = err_path.read_text()
    assert code == 0, log
    kind = db.engine.dialect.name
    assert "INFO ideaboard.worker: worker " in log, log
    assert f"database {kind} (" in log, log
    assert "every 15 s" in log, log
    assert "accounts: none connected" in log, log
    assert "round 1 done" in log, log
    assert "outbox claimed 0, sent 0" in log, log
    assert "stop requested" in log, log
    assert "stopped after 1 rounds" in log, log
    assert "Traceback" not in log
    db.session.rollback()
    row = db.session.scalar(select(WorkerHeartbeat))
    assert row is not None
    assert row.pid == proc.pid
    assert row.rounds == 1
    assert row.stopped_at is not None


def test_staff_pages_show_the_heartbeat_and_warn_when_it_is_missing_or_stale(
    app: Flask, client: Any, make_user: Callable[..., Any]
) -> None:
    staff = make_user(Role.STAFF)
    login(client, staff)

    page = client.get("/staff/accounts").get_data(as_text=True)
    assert "No worker is running" in page

    beat("host:4242", rounds=7)
    db.session.commit()
    for path in ("/staff/accounts", "/staff/outbox"):
        page = client.get(path).get_data(as_text=True)
        assert "Worker host:4242: last heartbeat just now, 7 rounds" in page
        assert "may have stopped" not in page

    beat("host:4242", now=utcnow() - timedelta(minutes=10))
    db.session.commit()
    page = client.get("/staff/accounts").get_data(as_text=True)
    assert "The worker has not reported since 10 minutes ago: it may have stopped." in page


def test_heartbeat_rows_of_long_gone_workers_are_forgotten_at_start(app: Flask) -> None:
    beat("old:1", now=utcnow() - timedelta(days=8))
    beat("recent:2", now=utcnow() - timedelta(days=1))
    db.session.commit()
    beat("new:3", started=True)
    db.session.commit()
    names = set(db.session.scalars(select(WorkerHeartbeat.name)))
    assert names == {"recent:2", "new:3"}
    assert db.session.execute(text("SELECT count(*) FROM worker_heartbeats")).scalar() == 2


def test_once_gives_up_after_repeated_failures_and_says_so(
    app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """`worker --once` tries a failing round a few times, then stops with gave_up set (the
    command then exits 1), instead of waiting for ever or pretending it succeeded."""

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("the outbox is broken")

    monkeypatch.setattr(worker_module, "deliver_due", broken)
    caplog.set_level(logging.INFO, logger="ideaboard")
    waits = Waits(threading.Event(), stop_after=100)
    loop = make_worker(waits, once=True)

    loop.run()

    assert loop.gave_up
    assert len(waits.delays) == worker_module.ONCE_TRIES  # waited between tries, then stopped
    assert any("giving up" in r.getMessage() for r in caplog.records)


def test_once_with_a_good_round_does_not_give_up(app: Flask) -> None:
    waits = Waits(threading.Event(), stop_after=100)
    loop = make_worker(waits, once=True)
    loop.run()
    assert not loop.gave_up
    assert waits.delays == []  # one round, no pause
