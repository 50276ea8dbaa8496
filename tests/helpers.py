"""Builders and helpers shared by the test packages: import them from here, never from a conftest.

conftest.py files hold fixtures only (the fixtures use what is defined here). A test module
that imports from a conftest gets a second copy of it under another name, and pytest then
sees two sets of fixtures; tests/test_suite_layout.py keeps that from happening.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from types import TracebackType
from typing import Any

from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import func, select, text
from werkzeug.security import generate_password_hash
from werkzeug.serving import ThreadedWSGIServer, make_server

from ideaboard.accounts.models import Role, User
from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.ideas import services as idea_services
from ideaboard.ideas.models import Idea
from ideaboard.outbox.models import OutboxMessage

PASSWORD = "correct horse battery"
# Hashed once: scrypt per test would make the suite slow.
PASSWORD_HASH = generate_password_hash(PASSWORD, method="scrypt")


# --- the app ------------------------------------------------------------------------------------

BASE_CONFIG: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "RATELIMIT_ENABLED": False,
    "SERVER_NAME": None,
    # Anonymous pages are cached for a few seconds in production; tests that change something
    # and look again would see the old page. tests/test_pagecache.py switches it on.
    "IDEABOARD_PAGE_CACHE_SECONDS": 0,
}


class FreshGlobalsClient(FlaskClient):
    """A test client whose requests start with an empty `g`, as in production.

    The `app` fixture keeps one app context pushed so tests can use the database; requests
    reuse it, and without this the logged-in user (`g._login_user`) and other per-request
    caches would leak from one request into the next.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if g:
            for name in list(vars(g._get_current_object())):
                delattr(g, name)
        return super().open(*args, **kwargs)


# --- data builders (the `make_user` and `make_idea` fixtures are instances) ------------------


class UserBuilder:
    """Add and commit a user (a customer unless a role is given) with the shared password."""

    def __init__(self) -> None:
        self._numbers = count(1)

    def __call__(
        self,
        role: Role | str = Role.CUSTOMER,
        *,
        email: str | None = None,
        name: str | None = None,
        initials: str = "",
        verified: bool = True,
        locale: str | None = None,
    ) -> User:
        n = next(self._numbers)
        user = User(
            email=email or f"user{n}@example.com",
            name=name or f"User {n}",
            initials=initials,
            password_hash=PASSWORD_HASH,
            role=Role(role).value,
            locale=locale,
            # An established account has confirmed its address; verified=False for a new one.
            email_verified_at=utcnow() if verified else None,
        )
        db.session.add(user)
        db.session.commit()
        return user


class IdeaBuilder:
    """Submit and commit an idea through the service (by a new customer unless given an author)."""

    def __init__(self, make_user: UserBuilder) -> None:
        self._make_user = make_user
        self._numbers = count(1)

    def __call__(
        self,
        author: User | None = None,
        *,
        title: str | None = None,
        body: str = "",
        category: str | None = None,
    ) -> Idea:
        n = next(self._numbers)
        idea = idea_services.submit_idea(
            author or self._make_user(), title or f"Idea number {n}", body, category
        )
        db.session.commit()
        return idea


# --- the web client -----------------------------------------------------------------------------

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient) -> str:
    """Return a CSRF token valid for the client's session, read from a page it is shown."""
    for path in ("/register", "/notifications", "/"):
        response = client.get(path)
        match = _TOKEN.search(response.get_data(as_text=True))
        if match:
            return match.group(1)
    raise AssertionError("no page showed a CSRF token")


def login(client: FlaskClient, user: User, password: str = PASSWORD) -> None:
    """Log the client in as user through the real login form."""
    response = client.post(
        "/login",
        data={"email": user.email, "password": password, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def post(client: FlaskClient, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """POST a form with a valid CSRF token."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client)}, **kwargs)


# --- a real HTTP server on loopback --------------------------------------------------------------


@contextmanager
def serve(
    app: Flask, *, name: str = "loopback-server", wait_for_handlers: bool = True
) -> Iterator[str]:
    """Serve app on 127.0.0.1 (random port) in a thread; yield its base URL, then shut it down.

    With wait_for_handlers (the default) the shutdown waits for every request thread to finish,
    so nothing is still writing when the test's database goes away; clients must close their
    keep-alive connections first (a requests.Session's close()). Used by the sandboxes'
    fixtures (sandbox_url, bluesky_url, the Mastodon ones) and by `live_server`.
    """
    server = make_server("127.0.0.1", 0, app, threaded=True)
    assert isinstance(server, ThreadedWSGIServer)
    server.daemon_threads = not wait_for_handlers
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, name=name, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- the CLI in a subprocess (the kill tests) ----------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def cli_env(app: Flask, **settings: str) -> dict[str, str]:
    """A production-like CLI's environment: this test's database, plus settings (e.g. the
    network's API URL and credentials); the outer IDEABOARD_*/FLASK_* variables are dropped."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("IDEABOARD_", "FLASK_")) and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY="kill-test-secret",
        PYTHONUNBUFFERED="1",
    )
    env.update(settings)
    return env


def cli_command(name: str, *args: str, app_file: str = "app.py") -> list[str]:
    """`flask --app app.py ideaboard <name> <args>` with this interpreter."""
    return [sys.executable, "-m", "flask", "--app", app_file, "ideaboard", name, *args]


# An app file for CLI subprocesses that keep files in the instance folder (a Bluesky login
# session): the app as app.py builds it, with the test's own instance folder from
# KILL_TEST_INSTANCE_PATH, so nothing lands in the developer's instance/ folder.
INSTANCE_APP_FILE = """\
import os

from ideaboard import create_app

app = create_app()
app.instance_path = os.environ["KILL_TEST_INSTANCE_PATH"]
"""


def instance_app_file(app: Flask, folder: Path) -> tuple[str, dict[str, str]]:
    """Write INSTANCE_APP_FILE into folder; return its path and the environment it needs
    (app's instance folder), for CliRunner(app_file=…) and cli_env(…)."""
    path = folder / "kill_test_app.py"
    path.write_text(INSTANCE_APP_FILE, encoding="utf-8")
    return str(path), {"KILL_TEST_INSTANCE_PATH": app.instance_path}


class CliRunner:
    """Start (`start`, output to a log file in log_dir) or run to the end (`run`) CLI commands
    in env; `close()` (or leaving the `with` block) kills whatever is still running.

    A kill test's `cli` fixture: `with CliRunner(cli_env(app, ...), tmp_path) as cli: yield cli`.
    """

    def __init__(
        self,
        env: dict[str, str],
        log_dir: Path,
        *,
        run_timeout: float = 30,
        app_file: str = "app.py",
    ) -> None:
        self.env = env
        self.log_dir = log_dir
        self.run_timeout = run_timeout
        self.app_file = app_file
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        """Start the command in the background; its output goes to <name>-<n>.log."""
        log = (self.log_dir / f"{name}-{len(self.started)}.log").open("wb")
        try:
            proc = subprocess.Popen(
                cli_command(name, *args, app_file=self.app_file),
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            log.close()
        self.started.append(proc)
        return proc

    def run(
        self, name: str, *args: str, timeout: float | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run the command to its end (bounded by timeout) and return its outcome."""
        return subprocess.run(
            cli_command(name, *args, app_file=self.app_file),
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=self.run_timeout if timeout is None else timeout,
            check=False,
        )

    def close(self) -> None:
        """Kill every started command that still runs, and reap it."""
        for proc in self.started:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)

    def __enter__(self) -> CliRunner:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll predicate every 20 ms; fail naming what was awaited after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def read(query: Any) -> Any:
    """Run one read on the shared database and end the transaction at once."""
    try:
        return db.session.execute(query).all()
    finally:
        db.session.rollback()


def count_rows(model: Any) -> int:
    """How many rows model's table has now."""
    return int(read(select(func.count()).select_from(model))[0][0])


def outbox_states() -> Counter[str]:
    """How many outbox rows are in each state now."""
    return Counter(state for (state,) in read(select(OutboxMessage.state)))


def wait_out_stale_claims(stale_seconds: float) -> None:
    """Sleep until a row a killed process left in `sending` is stale (taken over by the next
    run); return at once if no row is being sent."""
    in_flight = [
        claimed
        for (claimed,) in read(
            select(OutboxMessage.claimed_at).where(OutboxMessage.state == "sending")
        )
    ]
    if in_flight:
        stale_at = min(in_flight) + timedelta(seconds=stale_seconds + 0.2)
        time.sleep(max(0.0, (stale_at - utcnow()).total_seconds()))


def deliver_until_sent(cli: CliRunner, rows: int, *, runs: int = 3) -> list[str]:
    """Run `deliver` (each run must succeed) until all rows are sent, at most runs times;
    return each run's output."""
    outputs = []
    for _ in range(runs):
        done = cli.run("deliver")
        assert done.returncode == 0, done.stdout + done.stderr
        outputs.append(done.stdout.strip())
        if outbox_states() == {"sent": rows}:
            break
    return outputs


# --- time ---------------------------------------------------------------------------------------


class Clock:
    """The time every ideaboard module reads through `ideaboard.database.utcnow`.

    The `clock` fixture installs one. It starts at the real time and runs with it;
    `set(when)` stops it at `when`, and `advance(...)` moves it on (running or stopped).
    Column defaults, services, views and the worker's jobs all see it, in every thread of
    this process; other processes and the sandbox X API keep the real time.
    """

    def __init__(self) -> None:
        self._offset = timedelta()
        self._fixed: datetime | None = None

    def now(self) -> datetime:
        """Return the clock's current time (aware, UTC)."""
        if self._fixed is not None:
            return self._fixed
        return datetime.now(UTC) + self._offset

    def set(self, when: datetime) -> datetime:
        """Stop the clock at `when` (an aware datetime); return it in UTC."""
        if when.tzinfo is None:
            raise ValueError("Clock.set needs an aware datetime")
        self._fixed = when.astimezone(UTC)
        return self._fixed

    def advance(self, delta: timedelta | float = 0, /, **units: float) -> datetime:
        """Move the clock on by a timedelta, a number of seconds, or timedelta keywords
        (`advance(minutes=1)`); return the new time."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        step += timedelta(**units)
        if self._fixed is not None:
            self._fixed += step
        else:
            self._offset += step
        return self.now()


# --- PostgreSQL lock waits ----------------------------------------------------------------------


def wait_for_lock_waiter(
    connection: Any, errors: list[BaseException] | None = None, timeout: float = 30.0
) -> None:
    """Wait until another backend of this database waits for a lock (PostgreSQL only).

    `connection` is a SQLAlchemy connection that polls pg_stat_activity. PostgreSQL reads
    that view once per transaction and shows the same rows until the snapshot is cleared, so
    every poll clears it first: without that, a poll that came before the other thread reached
    its lock saw "nobody waits" for as long as the transaction lasted (the claim-race test
    failed that way whenever the suite was slow). An error in `errors` (appended by the
    thread that should be waiting) ends the wait at once and is reported."""
    deadline = time.monotonic() + timeout
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    while True:
        connection.execute(text("SELECT pg_stat_clear_snapshot()"))
        if connection.execute(query).scalar():
            return
        assert not errors, f"the other thread failed before it waited: {errors!r}"
        assert time.monotonic() < deadline, "the other backend never waited for the lock"
        time.sleep(0.01)


MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"


def migration_module(pattern: str) -> Any:
    """Load the migration file matching `pattern` (e.g. "*_staff_inbox.py") as a module."""
    import importlib.util

    path = next(MIGRATIONS.glob(pattern))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def flask_db(app: Flask, *args: str) -> None:
    """Run `flask db <args>` (upgrade, downgrade REV) on the test app's database."""
    db.session.remove()  # no lock of this session may wait on the migration's ALTERs
    result = app.test_cli_runner().invoke(args=["db", *args])
    assert result.exit_code == 0, result.output
    db.session.remove()
