"""SQLite state of the sandbox Mastodon server: accounts, statuses, notifications, settings.

Every call opens one short connection and one transaction, so the web server, the worker and
the tests can share the file (WAL journal, busy timeout). Status ids are Mastodon-style
snowflakes (milliseconds << 16, growing); notification ids are a plain sequence, as on
Mastodon.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from ..common.store import SQLiteStore
from . import text as status_text

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    domain TEXT NOT NULL DEFAULT '',
    acct_lower TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS statuses (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    text TEXT NOT NULL,
    visibility TEXT NOT NULL,
    spoiler_text TEXT NOT NULL DEFAULT '',
    language TEXT,
    in_reply_to_id INTEGER,
    in_reply_to_account_id TEXT,
    quote_id INTEGER,
    mentions TEXT NOT NULL DEFAULT '[]',
    tags TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS statuses_reply ON statuses (in_reply_to_id);
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL,
    from_account_id TEXT NOT NULL,
    type TEXT NOT NULL,
    status_id INTEGER,
    created_at TEXT NOT NULL,
    filtered INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS notifications_account ON notifications (account_id, id);
CREATE TABLE IF NOT EXISTS idempotency (
    account_id TEXT NOT NULL,
    key TEXT NOT NULL,
    status_id INTEGER NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (account_id, key)
);
"""

VISIBILITIES = ("public", "unlisted", "private", "direct")
IDEMPOTENCY_SECONDS = 3600


def format_time(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as Mastodon writes created_at."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _add_filtered_column(conn: sqlite3.Connection) -> None:
    """Upgrade a file made before filtering was modelled."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(notifications)")}
    if "filtered" not in columns:
        conn.execute("ALTER TABLE notifications ADD COLUMN filtered INTEGER NOT NULL DEFAULT 0")


class SandboxStore(SQLiteStore):
    """Access to one sandbox database file."""

    foreign_keys = False  # this sandbox's connections never enforced REFERENCES

    def init_schema(
        self, *, brand_id: str, brand_username: str, brand_name: str, access_token: str
    ) -> None:
        """Create the tables if needed, the brand account and its access token."""
        self.create_schema(SCHEMA, _add_filtered_column)
        with self.transaction(write=True) as tx:
            tx.execute(
                "INSERT INTO accounts (id, username, domain, acct_lower, display_name, created_at)"
                " VALUES (?, ?, '', ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                " display_name = excluded.display_name",
                (
                    brand_id,
                    brand_username,
                    brand_username.lower(),
                    brand_name,
                    "2022-11-01T00:00:00.000Z",
                ),
            )
            self.put_setting(tx, "brand_id", brand_id)
            token = self.get_setting(tx, "token")
            if token is None or token.get("value") != access_token:
                self.put_setting(tx, "token", {"value": access_token, "revoked": False})

    def reset(self) -> None:
        """Forget statuses, notifications, customers, faults and rate windows; keep the brand."""
        with self.transaction(write=True) as tx:
            brand = self.get_setting(tx, "brand_id")
            for table in ("notifications", "idempotency", "statuses"):
                tx.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            tx.execute("DELETE FROM accounts WHERE id != ?", (brand,))
            tx.execute(
                "DELETE FROM settings WHERE key IN"
                " ('faults', 'fault_counter', 'rate_window', 'last_status_id')"
            )

    # accounts -------------------------------------------------------------------------------
    @staticmethod
    def get_account(tx: sqlite3.Connection, account_id: str) -> dict[str, Any] | None:
        """Return the account with this id, or None."""
        row = tx.execute("SELECT * FROM accounts WHERE id = ?", (account_id,)).fetchone()
        return None if row is None else _account(row)

    @staticmethod
    def find_account(tx: sqlite3.Connection, user: str, domain: str = "") -> dict[str, Any] | None:
        """Return the account user (local) or user@domain, or None."""
        acct = f"{user}@{domain}" if domain else user
        row = tx.execute("SELECT * FROM accounts WHERE acct_lower = ?", (acct.lower(),)).fetchone()
        return None if row is None else _account(row)

    def ensure_account(
        self, tx: sqlite3.Connection, user: str, domain: str = "", display_name: str | None = None
    ) -> dict[str, Any]:
        """Return the account user[@domain], creating a customer account if there is none."""
        account = self.find_account(tx, user, domain)
        if account is not None:
            if display_name and display_name != account["display_name"]:
                tx.execute(
                    "UPDATE accounts SET display_name = ? WHERE id = ?",
                    (display_name, account["id"]),
                )
                account["display_name"] = display_name
            return account
        last = int(self.get_setting(tx, "last_account_id", 109_000_000_000_001_000)) + 1
        while self.get_account(tx, str(last)) is not None:
            last += 1
        self.put_setting(tx, "last_account_id", last)
        last -= 1
        acct = f"{user}@{domain}" if domain else user
        tx.execute(
            "INSERT INTO accounts (id, username, domain, acct_lower, display_name, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                str(last + 1),
                user,
                domain,
                acct.lower(),
                display_name or user,
                format_time(datetime.now(UTC)),
            ),
        )
        created = self.get_account(tx, str(last + 1))
        assert created is not None  # noqa: S101 - inserted a moment ago in this transaction
        return created

    # statuses -------------------------------------------------------------------------------
    @staticmethod
    def get_status(tx: sqlite3.Connection, status_id: int) -> dict[str, Any] | None:
        """Return the status with this id (deleted ones included), or None."""
        row = tx.execute("SELECT * FROM statuses WHERE id = ?", (status_id,)).fetchone()
        return None if row is None else _status(row)

    def _next_status_id(self, tx: sqlite3.Connection, created: datetime) -> int:
        last = int(self.get_setting(tx, "last_status_id", 0))
        candidate = max(int(created.timestamp() * 1000) << 16, last + 1)
        self.put_setting(tx, "last_status_id", candidate)
        return candidate

    def create_status(
        self,
        tx: sqlite3.Connection,
        *,
        author: dict[str, Any],
        text: str,
        visibility: str = "public",
        spoiler_text: str = "",
        language: str | None = None,
        in_reply_to: dict[str, Any] | None = None,
        quote_id: int | None = None,
    ) -> dict[str, Any]:
        """Insert a status and notify every known account it mentions (its author excepted)."""
        created = datetime.now(UTC)
        status_id = self._next_status_id(tx, created)
        mentions: list[str] = []
        for user, domain in status_text.mentioned(text):
            account = self.find_account(tx, user, domain)
            if account is not None and account["id"] not in mentions:
                mentions.append(account["id"])
        tx.execute(
            "INSERT INTO statuses (id, account_id, text, visibility, spoiler_text, language,"
            " in_reply_to_id, in_reply_to_account_id, quote_id, mentions, tags, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                status_id,
                author["id"],
                text,
                visibility,
                spoiler_text,
                language or status_text.detect_language(text),
                None if in_reply_to is None else in_reply_to["id"],
                None if in_reply_to is None else in_reply_to["account_id"],
                quote_id,
                json.dumps(mentions),
                json.dumps(status_text.hashtags(text), ensure_ascii=False),
                format_time(created),
            ),
        )
        for account_id in mentions:
            if account_id == author["id"]:
                continue
            # Mastodon's default notification policy (4.3+) filters private mentions from
            # people the account does not follow (nobody, here) unless they answer it.
            unsolicited = visibility == "direct" and (
                in_reply_to is None or in_reply_to["account_id"] != account_id
            )
            tx.execute(
                "INSERT INTO notifications (account_id, from_account_id, type, status_id,"
                " created_at, filtered) VALUES (?, ?, 'mention', ?, ?, ?)",
                (account_id, author["id"], status_id, format_time(created), int(unsolicited)),
            )
        status = self.get_status(tx, status_id)
        assert status is not None  # noqa: S101 - inserted a moment ago in this transaction
        return status

    @staticmethod
    def delete_status(tx: sqlite3.Connection, status_id: int) -> None:
        """Mark a status deleted; its notifications go, as on Mastodon."""
        tx.execute("UPDATE statuses SET deleted = 1 WHERE id = ?", (status_id,))
        tx.execute("DELETE FROM notifications WHERE status_id = ?", (status_id,))

    @staticmethod
    def can_see(status: dict[str, Any], viewer_id: str) -> bool:
        """Whether viewer_id may read the status: public/unlisted, or its author or mentioned."""
        if status["deleted"]:
            return False
        return (
            status["visibility"] in ("public", "unlisted")
            or status["account_id"] == viewer_id
            or viewer_id in status["mentions"]
        )

    def descendants(self, tx: sqlite3.Connection, status_id: int) -> list[dict[str, Any]]:
        """Every reply below the status, depth first, oldest first at each level."""
        found: list[dict[str, Any]] = []
        stack = [status_id]
        while stack and len(found) < 4096:
            parent = stack.pop()
            rows = tx.execute(
                "SELECT * FROM statuses WHERE in_reply_to_id = ? ORDER BY id DESC", (parent,)
            ).fetchall()
            for row in rows:
                found.append(_status(row))
                stack.append(int(row["id"]))
        return sorted(found, key=lambda s: s["id"])

    def ancestors(self, tx: sqlite3.Connection, status: dict[str, Any]) -> list[dict[str, Any]]:
        """The statuses above this one, oldest first."""
        chain: list[dict[str, Any]] = []
        parent_id = status["in_reply_to_id"]
        while parent_id is not None and len(chain) < 4096:
            parent = self.get_status(tx, parent_id)
            if parent is None:
                break
            chain.append(parent)
            parent_id = parent["in_reply_to_id"]
        return list(reversed(chain))

    @staticmethod
    def all_statuses(tx: sqlite3.Connection, limit: int = -1) -> list[dict[str, Any]]:
        """Every status (or the newest `limit`), deleted ones too, newest first."""
        rows = tx.execute("SELECT * FROM statuses ORDER BY id DESC LIMIT ?", (limit,))
        return [_status(r) for r in rows]

    # notifications --------------------------------------------------------------------------
    @staticmethod
    def notifications_page(
        tx: sqlite3.Connection,
        account_id: str,
        *,
        types: list[str],
        exclude_types: list[str],
        max_id: int | None,
        since_id: int | None,
        min_id: int | None,
        limit: int,
        include_filtered: bool = False,
    ) -> list[dict[str, Any]]:
        """A page of the account's notifications, newest first, as Mastodon pages them.

        max_id: older than it; since_id: newer than it (the newest `limit` of those); min_id:
        newer than it, the `limit` just after it (still returned newest first).
        """
        where = ["n.account_id = ?", "s.deleted = 0"]
        args: list[Any] = [account_id]
        if not include_filtered:
            where.append("n.filtered = 0")
        if types:
            where.append(f"n.type IN ({', '.join('?' * len(types))})")
            args.extend(types)
        if exclude_types:
            where.append(f"n.type NOT IN ({', '.join('?' * len(exclude_types))})")
            args.extend(exclude_types)
        if max_id is not None:
            where.append("n.id < ?")
            args.append(max_id)
        if since_id is not None:
            where.append("n.id > ?")
            args.append(since_id)
        if min_id is not None:
            where.append("n.id > ?")
            args.append(min_id)
        order = "ASC" if min_id is not None else "DESC"
        # Only fixed clauses and "?" placeholders are joined here; the values are parameters.
        query = (
            "SELECT n.* FROM notifications n JOIN statuses s ON s.id = n.status_id"  # noqa: S608
            f" WHERE {' AND '.join(where)} ORDER BY n.id {order} LIMIT ?"
        )
        rows = tx.execute(
            query,
            [*args, limit],
        ).fetchall()
        page = [dict(r) for r in rows]
        return sorted(page, key=lambda n: n["id"], reverse=True)

    # idempotency ----------------------------------------------------------------------------
    @staticmethod
    def idempotent_status(
        tx: sqlite3.Connection, account_id: str, key: str, now: float
    ) -> int | None:
        """The status this account already made with this Idempotency-Key in the last hour."""
        row = tx.execute(
            "SELECT status_id FROM idempotency WHERE account_id = ? AND key = ? AND created_at > ?",
            (account_id, key, now - IDEMPOTENCY_SECONDS),
        ).fetchone()
        return None if row is None else int(row["status_id"])

    @staticmethod
    def remember_key(
        tx: sqlite3.Connection, account_id: str, key: str, status_id: int, now: float
    ) -> None:
        """Remember which status an Idempotency-Key made."""
        tx.execute(
            "INSERT INTO idempotency (account_id, key, status_id, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (account_id, key) DO UPDATE SET status_id = excluded.status_id,"
            " created_at = excluded.created_at",
            (account_id, key, status_id, now),
        )


def _account(row: sqlite3.Row) -> dict[str, Any]:
    account = dict(row)
    account["acct"] = (
        f"{account['username']}@{account['domain']}" if account["domain"] else account["username"]
    )
    return account


def _status(row: sqlite3.Row) -> dict[str, Any]:
    status = dict(row)
    status["mentions"] = json.loads(status["mentions"])
    status["tags"] = json.loads(status["tags"])
    status["deleted"] = bool(status["deleted"])
    return status
