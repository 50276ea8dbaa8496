"""The basics of a sandbox's SQLite store: short connections, one transaction each, settings.

Every call opens one short connection and one transaction, so the web server, the worker and
the tests can share the file (WAL journal, busy timeout). Each sandbox subclasses SQLiteStore
with its own schema and queries; create_schema adds the `settings (key, value)` table to its schema.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Self

# The table get_setting/put_setting use; create_schema makes it in every sandbox's file.
SETTINGS_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

# A fixed-window counter per bucket, for the sandboxes that model per-endpoint rate limits.
RATE_LIMITS_SCHEMA = """
CREATE TABLE IF NOT EXISTS rate_limits (
    bucket TEXT PRIMARY KEY,
    window_start REAL NOT NULL,
    used INTEGER NOT NULL
);
"""


class SQLiteStore:
    """Access to one sandbox database file."""

    # Whether each connection enforces REFERENCES clauses (PRAGMA foreign_keys).
    foreign_keys = True

    def __init__(self, db_path: str, *, busy_timeout_ms: int = 10_000) -> None:
        self.db_path = db_path
        self.busy_timeout_ms = busy_timeout_ms

    @classmethod
    def of(cls, store_or_path: Self | str) -> Self:
        """Return store_or_path itself, or a store on that database file."""
        return store_or_path if isinstance(store_or_path, cls) else cls(str(store_or_path))

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        """Open a connection, run one transaction (IMMEDIATE when writing), then close it."""
        conn = sqlite3.connect(
            self.db_path, timeout=self.busy_timeout_ms / 1000, isolation_level=None
        )
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            if self.foreign_keys:
                conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    def create_schema(
        self, schema: str, upgrade: Callable[[sqlite3.Connection], None] | None = None
    ) -> None:
        """Switch the file to WAL and run the schema script (plus the settings table), then
        upgrade (for files made by an older sandbox)."""
        conn = sqlite3.connect(self.db_path, timeout=self.busy_timeout_ms / 1000)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.executescript(SETTINGS_SCHEMA + schema)
            if upgrade is not None:
                upgrade(conn)
        finally:
            conn.close()

    # settings -------------------------------------------------------------------------------
    @staticmethod
    def get_setting(tx: sqlite3.Connection, key: str, default: Any = None) -> Any:
        """Return the JSON value stored under key, or default."""
        row = tx.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row["value"])

    @staticmethod
    def put_setting(tx: sqlite3.Connection, key: str, value: Any) -> None:
        """Store a JSON value under key."""
        tx.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    def setting(self, key: str, default: Any = None) -> Any:
        """Read one setting in its own transaction."""
        with self.transaction() as tx:
            return self.get_setting(tx, key, default)
