"""Test databases: a migrated template per session, a fresh copy per test.

SQLite copies a template file. PostgreSQL keeps one migrated database for the session and
empties it before each test (TRUNCATE … RESTART IDENTITY, then the migrations' seed rows
again), so tests that run the app in other threads or processes see the same database.
"""

from __future__ import annotations

import os
import shutil
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
    """One migrated database for the session, emptied and re-seeded before every test.

    Cloning a database per test costs ~30 ms to create and ~140 ms to drop (a checkpoint);
    TRUNCATE … RESTART IDENTITY of every table plus the migrations' seed rows takes a few
    milliseconds and leaves each test the same state as a fresh `flask db upgrade`.
    """

    name = "postgresql"

    def __init__(self) -> None:
        self.url = make_url(pg_admin_url())
        self.database = f"ib_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.seed: list[tuple[str, list[str], list[tuple[Any, ...]]]] = []
        self._admin(f'CREATE DATABASE "{self.database}"')

    def _admin(self, sql: str) -> None:
        with psycopg.connect(_conninfo(self.url), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def _connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(_conninfo(self.url, self.database), autocommit=True)

    def template_url(self) -> str:
        return self.url.set(database=self.database).render_as_string(hide_password=False)

    @staticmethod
    def _tables(conn: psycopg.Connection[Any]) -> list[str]:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version' ORDER BY tablename"
        ).fetchall()
        return [row[0] for row in rows]

    def finish_template(self) -> None:
        """Remember the rows the migrations seeded (stages, categories, teams, workflow)."""
        with self._connect() as conn:
            for table in self._tables(conn):
                cursor = conn.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - our tables
                rows = cursor.fetchall()
                if rows:
                    columns = [column.name for column in cursor.description or []]
                    self.seed.append((table, columns, rows))

    def _reset(self) -> None:
        with self._connect() as conn:
            conn.execute("SET lock_timeout = '3s'")
            tables = self._tables(conn)
            names = ", ".join(f'"{t}"' for t in tables)
            try:
                conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")  # type: ignore[arg-type]
            except psycopg.errors.LockNotAvailable:
                # A connection a test left open holds a lock: end it, then empty the tables.
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (self.database,),
                )
                conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")  # type: ignore[arg-type]
            with conn.transaction():
                # Seed rows reference each other (workflow → stages): skip FK checks while
                # restoring rows that were consistent when captured.
                conn.execute("SET LOCAL session_replication_role = replica")
                for table, columns, rows in self.seed:
                    if table not in tables:
                        continue
                    column_list = ", ".join(f'"{c}"' for c in columns)
                    marks = ", ".join(["%s"] * len(columns))
                    with conn.cursor() as cursor:
                        cursor.executemany(
                            f'INSERT INTO "{table}" ({column_list}) VALUES ({marks})',  # type: ignore[arg-type]  # noqa: S608
                            rows,
                        )
                    if "id" in columns:
                        sync = f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM \"{table}\"))"  # noqa: E501, S608 - table names come from pg_tables
                        conn.execute(sync, (table,))  # type: ignore[arg-type]

    def new_database(self, tmp_path: Path) -> tuple[str, Callable[[], None]]:
        self._reset()
        return self.template_url(), lambda: None

    def close(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
