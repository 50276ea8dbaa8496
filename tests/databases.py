"""Test databases: a migrated template per session, a fresh copy per test.

SQLite copies a template file. PostgreSQL clones a template database
(CREATE DATABASE … TEMPLATE …), which is as fast and keeps every test isolated, also for
tests that run the app in other threads or processes.
"""

from __future__ import annotations

import itertools
import os
import queue
import shutil
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pg_admin_url() -> str:
    """Return the PostgreSQL URL the suite may create and drop databases through."""
    return os.environ.get("IDEABOARD_TEST_DATABASE_URL") or DEFAULT_PG_URL


def pg_unavailable_reason() -> str | None:
    """Return why PostgreSQL cannot be used for the tests, or None when it answers."""
    url = make_url(pg_admin_url())
    try:
        with psycopg.connect(_conninfo(url), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return f"PostgreSQL at {url.host}:{url.port or 5432} does not answer ({first})"
    return None


def _conninfo(url: Any, database: str | None = None) -> str:
    parts = {
        "host": url.host or "127.0.0.1",
        "port": url.port or 5432,
        "user": url.username or "postgres",
        "dbname": database or url.database or "postgres",
    }
    if url.password:
        parts["password"] = url.password
    return " ".join(f"{k}={v}" for k, v in parts.items())


class SQLiteBackend:
    name = "sqlite"

    def __init__(self, workdir: Path) -> None:
        self.template = workdir / "template.sqlite"

    def template_url(self) -> str:
        return f"sqlite:///{self.template}"

    def finish_template(self) -> None:
        for suffix in ("-wal", "-shm"):
            Path(f"{self.template}{suffix}").unlink(missing_ok=True)

    def new_database(self, tmp_path: Path) -> tuple[str, Callable[[], None]]:
        path = tmp_path / "ideaboard.sqlite"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}", lambda: None

    def close(self) -> None:
        return None


class PostgresBackend:
    name = "postgresql"

    def __init__(self) -> None:
        self.url = make_url(pg_admin_url())
        self.prefix = f"ib_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.template_name = f"{self.prefix}_tpl"
        self.counter = itertools.count(1)
        self.created: list[str] = []
        self._admin(f'CREATE DATABASE "{self.template_name}"')
        self.created.append(self.template_name)
        # DROP DATABASE takes ~5x as long as CREATE … TEMPLATE (it checkpoints): drop used
        # databases in a background thread while the next tests run.
        self._drops: queue.Queue[str | None] = queue.Queue()
        self._dropper = threading.Thread(target=self._drop_loop, daemon=True)
        self._dropper.start()

    def _drop_loop(self) -> None:
        while (name := self._drops.get()) is not None:
            try:
                self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except psycopg.Error:
                self.created.append(name)  # try again at the end of the session

    def _admin(self, sql: str) -> None:
        with psycopg.connect(_conninfo(self.url), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def _url_for(self, database: str) -> str:
        return self.url.set(database=database).render_as_string(hide_password=False)

    def template_url(self) -> str:
        return self._url_for(self.template_name)

    def finish_template(self) -> None:
        # A template database must have no connections when it is cloned.
        with psycopg.connect(_conninfo(self.url), autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.template_name,),
            )

    def new_database(self, tmp_path: Path) -> tuple[str, Callable[[], None]]:
        name = f"{self.prefix}_{next(self.counter)}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template_name}"')

        def drop() -> None:
            self._drops.put(name)

        return self._url_for(name), drop

    def close(self) -> None:
        self._drops.put(None)
        self._dropper.join(timeout=300)
        for name in self.created:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
