"""Engine set-up that the models do not see: SQLite pragmas, write transactions, UTC datetimes."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import Flask, has_request_context, request
from sqlalchemy import DateTime, event
from sqlalchemy.engine import Connection, CursorResult, Engine, Result
from sqlalchemy.schema import Table
from sqlalchemy.types import TypeDecorator

from .config import create_private_file
from .extensions import db

_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=False)


def _system_time() -> datetime:
    return datetime.now(UTC)


# Where utcnow() reads the time. Every module that needs "now" calls utcnow() (column
# defaults hold utcnow itself), so swapping this one function moves the whole app's clock;
# the tests' `clock` fixture does that.
clock: Callable[[], datetime] = _system_time


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return clock()


class UTCDateTime(TypeDecorator[datetime]):
    """Store naive UTC, hand back aware UTC: the same on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


@contextmanager
def write_intent() -> Iterator[None]:
    """Mark transactions begun inside as writers (BEGIN IMMEDIATE on SQLite) outside requests."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def _wants_write_lock() -> bool:
    if _write_intent.get():
        return True
    return has_request_context() and request.method in _UNSAFE_METHODS


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """Use WAL, a busy timeout and explicit BEGINs so 'database is locked' never reaches a user.

    pysqlite opens transactions lazily and as DEFERRED; a deferred reader that later writes
    fails at once with SQLITE_BUSY when another writer got in first. Requests that change
    things (POST/PUT/PATCH/DELETE), the CLI and the worker begin IMMEDIATE instead, so writers
    queue on the busy timeout, while page views read from a WAL snapshot without blocking.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock() else "BEGIN")


def init_database(app: Flask) -> None:
    """Bind the engine options for the configured database."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            database = engine.url.database or ""
            if database and database != ":memory:" and not database.startswith("file:"):
                create_private_file(database)  # before SQLite creates it 0644
            _configure_sqlite(engine, app.config["IDEABOARD_SQLITE_BUSY_TIMEOUT_MS"])


def is_sqlite() -> bool:
    """Tell whether the bound database is SQLite."""
    return bool(db.engine.dialect.name == "sqlite")


def rows_matched(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE run through the session matched.

    Session.execute is typed to return a Result; for these statements it is a CursorResult,
    the kind that counts rows.
    """
    assert isinstance(result, CursorResult)
    return result.rowcount


def table_of(model: type[Any]) -> Table:
    """The Table a declarative model is mapped to (SQLAlchemy types it as any FromClause)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table
