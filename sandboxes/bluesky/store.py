"""SQLite state of the sandbox: actors, app passwords, sessions, posts and notifications.

Every call opens one short connection and one transaction, so the web server, the worker and
the tests can share the file (WAL journal, busy timeout).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from ..common.store import SQLiteStore
from .ids import POST_COLLECTION, cid_for, did_for, parse_at_uri, tid
from .schema import SCHEMA
from .times import format_time, parse_time


class SandboxStore(SQLiteStore):
    """Access to one sandbox database file."""

    def init_schema(self, *, brand_handle: str, brand_name: str, app_password: str) -> str:
        """Create the tables if needed, make sure the brand account exists; return its DID."""
        self.create_schema(SCHEMA)
        with self.transaction(write=True) as tx:
            brand = self.ensure_actor(tx, brand_handle, brand_name)
            existing = tx.execute(
                "SELECT 1 FROM app_passwords WHERE did = ?", (brand["did"],)
            ).fetchone()
            if existing is None:
                self.set_app_password(tx, brand["did"], app_password)
            brands = self.get_setting(tx, "brand_dids", [])
            if brand["did"] not in brands:
                self.put_setting(tx, "brand_dids", [*brands, brand["did"]])
            return str(brand["did"])

    def reset(self) -> None:
        """Forget posts, notifications, customers, sessions, windows and faults; keep brands."""
        with self.transaction(write=True) as tx:
            for table in ("notifications", "posts", "sessions", "rate_limits"):
                tx.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            tx.execute(
                "DELETE FROM settings WHERE key IN ('faults', 'fault_counter', 'last_indexed_us')"
            )
            keep = set(self.get_setting(tx, "brand_dids", []))
            for row in tx.execute("SELECT did FROM actors").fetchall():
                if row["did"] not in keep:
                    tx.execute("DELETE FROM app_passwords WHERE did = ?", (row["did"],))
                    tx.execute("DELETE FROM actors WHERE did = ?", (row["did"],))

    # actors and passwords -------------------------------------------------------------------
    @staticmethod
    def get_actor(tx: sqlite3.Connection, did: str) -> dict[str, Any] | None:
        """Return the actor with this DID, or None."""
        row = tx.execute("SELECT * FROM actors WHERE did = ?", (did,)).fetchone()
        return None if row is None else dict(row)

    @staticmethod
    def find_actor(tx: sqlite3.Connection, identifier: str) -> dict[str, Any] | None:
        """Return the actor with this DID or handle (case-insensitive), or None."""
        row = tx.execute(
            "SELECT * FROM actors WHERE did = ? OR handle = ?", (identifier, identifier.lower())
        ).fetchone()
        return None if row is None else dict(row)

    def ensure_actor(
        self, tx: sqlite3.Connection, handle: str, display_name: str | None = None
    ) -> dict[str, Any]:
        """Return the actor with this handle, created if new; a given display name is kept."""
        handle = handle.lower()
        actor = self.find_actor(tx, handle)
        if actor is None:
            actor = {
                "did": did_for(handle),
                "handle": handle,
                "display_name": display_name or handle.partition(".")[0],
                "created_at": format_time(datetime.now(UTC)),
            }
            tx.execute(
                "INSERT INTO actors (did, handle, display_name, created_at)"
                " VALUES (:did, :handle, :display_name, :created_at)",
                actor,
            )
        elif display_name and display_name != actor["display_name"]:
            tx.execute(
                "UPDATE actors SET display_name = ? WHERE did = ?", (display_name, actor["did"])
            )
            actor["display_name"] = display_name
        return actor

    @staticmethod
    def set_app_password(tx: sqlite3.Connection, did: str, password: str) -> None:
        """Give the account an app password (replacing any other) that works."""
        tx.execute(
            "INSERT INTO app_passwords (did, password, revoked) VALUES (?, ?, 0)"
            " ON CONFLICT (did) DO UPDATE SET password = excluded.password, revoked = 0",
            (did, password),
        )

    @staticmethod
    def app_password(tx: sqlite3.Connection, did: str) -> dict[str, Any] | None:
        """The account's app password row ({password, revoked}), or None."""
        row = tx.execute("SELECT * FROM app_passwords WHERE did = ?", (did,)).fetchone()
        return None if row is None else dict(row)

    # sessions -------------------------------------------------------------------------------
    @staticmethod
    def get_session(tx: sqlite3.Connection, session_id: str) -> dict[str, Any] | None:
        """Return the session row, or None."""
        row = tx.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return None if row is None else dict(row)

    # posts ----------------------------------------------------------------------------------
    def _next_indexed(self, tx: sqlite3.Connection, now: datetime) -> datetime:
        """Now, or 1 ms after the last post's index time: index times never repeat."""
        last = int(self.get_setting(tx, "last_indexed_us", 0))
        micros = int(now.timestamp() * 1000) * 1000
        micros = max(micros, last + 1000)
        self.put_setting(tx, "last_indexed_us", micros)
        return datetime.fromtimestamp(micros / 1_000_000, UTC)

    @staticmethod
    def get_post(tx: sqlite3.Connection, uri: str) -> dict[str, Any] | None:
        """Return the post (deleted ones too) with its author's handle and name, or None."""
        row = tx.execute(
            "SELECT p.*, a.handle, a.display_name, a.created_at AS actor_created_at"
            " FROM posts p JOIN actors a ON a.did = p.did WHERE p.uri = ?",
            (uri,),
        ).fetchone()
        return None if row is None else _decode(row)

    def create_post(
        self,
        tx: sqlite3.Connection,
        did: str,
        record: dict[str, Any],
        *,
        rkey: str | None = None,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """Store a validated app.bsky.feed.post record by did; notify whom it concerns."""
        indexed = self._next_indexed(tx, now or datetime.now(UTC))
        if rkey is None:
            micros = int(indexed.timestamp() * 1_000_000)
            clock = 0
            rkey = tid(micros, clock)
            while tx.execute(
                "SELECT 1 FROM posts WHERE uri = ?", (f"at://{did}/{POST_COLLECTION}/{rkey}",)
            ).fetchone():
                clock += 1
                rkey = tid(micros, clock)
        uri = f"at://{did}/{POST_COLLECTION}/{rkey}"
        if tx.execute("SELECT 1 FROM posts WHERE uri = ?", (uri,)).fetchone():
            raise ValueError(f"a record already exists at {uri}")
        # Bluesky sorts a post by the earlier of its claimed creation time and its index time,
        # so a backdated post lands in the past of the notification list.
        sort_at = indexed
        try:
            created = parse_time(str(record.get("createdAt", "")))
            sort_at = min(created, indexed)
        except ValueError:
            pass
        reply = record.get("reply") or {}
        root = (reply.get("root") or {}).get("uri")
        parent = (reply.get("parent") or {}).get("uri")
        tx.execute(
            "INSERT INTO posts (uri, cid, did, record, indexed_at, sort_at, reply_root,"
            " reply_parent, quote) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                uri,
                cid_for(record),
                did,
                json.dumps(record, ensure_ascii=False),
                format_time(indexed),
                format_time(sort_at),
                root,
                parent,
                quoted_uri(record),
            ),
        )
        self._notify(tx, did, uri, record, root, parent, format_time(sort_at))
        post = self.get_post(tx, uri)
        if post is None:  # pragma: no cover - inserted a moment ago in this transaction
            raise RuntimeError(f"post {uri} vanished")
        return post

    def _notify(
        self,
        tx: sqlite3.Connection,
        author: str,
        uri: str,
        record: dict[str, Any],
        root: str | None,
        parent: str | None,
        sort_at: str,
    ) -> None:
        """One notification per account concerned: reply (to its post), quote, then mention."""
        reasons: dict[str, tuple[str, str | None]] = {}
        for subject in (parent, root):
            owner = _repo_of(subject)
            if owner and subject and self.get_post(tx, subject) is not None:
                reasons.setdefault(owner, ("reply", subject))
        quote = quoted_uri(record)
        owner = _repo_of(quote)
        if owner and quote and self.get_post(tx, quote) is not None:
            reasons.setdefault(owner, ("quote", quote))
        for facet in record.get("facets") or []:
            for feature in facet.get("features") or []:
                if feature.get("$type") == "app.bsky.richtext.facet#mention":
                    reasons.setdefault(str(feature.get("did")), ("mention", None))
        for recipient, (reason, subject) in reasons.items():
            if recipient != author and self.get_actor(tx, recipient) is not None:
                tx.execute(
                    "INSERT INTO notifications (recipient, post_uri, reason, reason_subject,"
                    " sort_at) VALUES (?, ?, ?, ?, ?)",
                    (recipient, uri, reason, subject, sort_at),
                )

    @staticmethod
    def delete_post(tx: sqlite3.Connection, uri: str) -> bool:
        """Mark a live post deleted; return False when there is none."""
        cursor = tx.execute("UPDATE posts SET deleted = 1 WHERE uri = ? AND deleted = 0", (uri,))
        return cursor.rowcount > 0

    @staticmethod
    def replies(tx: sqlite3.Connection, uri: str) -> list[dict[str, Any]]:
        """Live direct replies to uri, oldest first."""
        rows = tx.execute(
            "SELECT p.*, a.handle, a.display_name, a.created_at AS actor_created_at"
            " FROM posts p JOIN actors a ON a.did = p.did"
            " WHERE p.reply_parent = ? AND p.deleted = 0 ORDER BY p.seq",
            (uri,),
        ).fetchall()
        return [_decode(row) for row in rows]

    @staticmethod
    def count_replies(tx: sqlite3.Connection, uri: str) -> int:
        """How many live replies uri has."""
        row = tx.execute(
            "SELECT COUNT(*) AS n FROM posts WHERE reply_parent = ? AND deleted = 0", (uri,)
        ).fetchone()
        return int(row["n"])

    @staticmethod
    def notifications_page(
        tx: sqlite3.Connection,
        recipient: str,
        *,
        reasons: list[str],
        before: tuple[str, int] | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        """Up to limit notifications of live posts, newest first, strictly before `before`."""
        sql = (
            "SELECT n.id AS notification_id, n.reason, n.reason_subject, n.sort_at AS n_sort_at,"
            " p.*, a.handle, a.display_name, a.created_at AS actor_created_at"
            " FROM notifications n JOIN posts p ON p.uri = n.post_uri"
            " JOIN actors a ON a.did = p.did"
            " WHERE n.recipient = ? AND p.deleted = 0"
        )
        params: list[Any] = [recipient]
        if reasons:
            sql += f" AND n.reason IN ({', '.join('?' for _ in reasons)})"
            params += reasons
        if before is not None:
            sql += " AND (n.sort_at < ? OR (n.sort_at = ? AND n.id < ?))"
            params += [before[0], before[0], before[1]]
        sql += " ORDER BY n.sort_at DESC, n.id DESC LIMIT ?"
        params.append(limit)
        return [_decode(row) for row in tx.execute(sql, params).fetchall()]

    @staticmethod
    def timeline(tx: sqlite3.Connection) -> list[dict[str, Any]]:
        """Every post, deleted ones too, newest first, with author handle and name."""
        rows = tx.execute(
            "SELECT p.*, a.handle, a.display_name, a.created_at AS actor_created_at"
            " FROM posts p JOIN actors a ON a.did = p.did ORDER BY p.seq DESC"
        ).fetchall()
        return [_decode(row) for row in rows]

    @staticmethod
    def backdate(tx: sqlite3.Connection, uri: str, moment: datetime) -> None:
        """Move a post's index time (tests of late-indexed posts)."""
        stamp = format_time(moment)
        tx.execute(
            "UPDATE posts SET indexed_at = ?, sort_at = ? WHERE uri = ?", (stamp, stamp, uri)
        )
        tx.execute("UPDATE notifications SET sort_at = ? WHERE post_uri = ?", (stamp, uri))


def quoted_uri(record: dict[str, Any]) -> str | None:
    """The URI of the record a post embeds (app.bsky.embed.record or recordWithMedia)."""
    embed = record.get("embed")
    if not isinstance(embed, dict):
        return None
    kind = embed.get("$type")
    inner = embed.get("record")
    if kind == "app.bsky.embed.recordWithMedia" and isinstance(inner, dict):
        inner = inner.get("record")
    if kind in ("app.bsky.embed.record", "app.bsky.embed.recordWithMedia") and isinstance(
        inner, dict
    ):
        uri = inner.get("uri")
        return uri if isinstance(uri, str) else None
    return None


def _repo_of(uri: str | None) -> str | None:
    if not uri:
        return None
    try:
        return parse_at_uri(uri).repo
    except ValueError:
        return None


def _decode(row: sqlite3.Row) -> dict[str, Any]:
    post = dict(row)
    post["record"] = json.loads(post["record"])
    post["deleted"] = bool(post["deleted"])
    return post


def expires_in(seconds: float) -> float:
    """The epoch time `seconds` from now."""
    return (datetime.now(UTC) + timedelta(seconds=seconds)).timestamp()
