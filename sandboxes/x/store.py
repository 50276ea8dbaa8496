"""SQLite state of the sandbox X API: schema, users, posts and the queries the /2 routes need.

Every call opens one short connection and one transaction, so the web server, the worker and the
tests can share the file (WAL journal, busy timeout).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from ..common.store import SQLiteStore
from .schema import INSERT_TWEET, SCHEMA
from .text import build_text_and_entities, detect_lang, mentioned_usernames
from .times import format_time, snowflake

MENTIONS_REACHABLE = 800


class SandboxStore(SQLiteStore):
    """Access to one sandbox database file."""

    def init_schema(self, *, brand_user_id: str, brand_username: str, brand_name: str) -> None:
        """Create the tables if needed and make sure the brand account exists."""
        self.create_schema(SCHEMA)
        with self.transaction(write=True) as tx:
            tx.execute(
                "INSERT INTO users (id, username, username_lower, name, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                " username = excluded.username, username_lower = excluded.username_lower,"
                " name = excluded.name",
                (
                    brand_user_id,
                    brand_username,
                    brand_username.lower(),
                    brand_name,
                    "2010-03-01T00:00:00.000Z",
                ),
            )
            brands = self.get_setting(tx, "brand_ids", [])
            if brand_user_id not in brands:
                self.put_setting(tx, "brand_ids", [*brands, brand_user_id])

    def reset(self) -> None:
        """Delete every post, customer, rate-limit window and fault; keep the brand and settings."""
        with self.transaction(write=True) as tx:
            tx.execute("DELETE FROM tweet_mentions")
            tx.execute("DELETE FROM tweets")
            tx.execute("DELETE FROM rate_limits")
            tx.execute("DELETE FROM settings WHERE key IN ('faults', 'fault_counter', 'last_id')")
            keep = set(self.get_setting(tx, "brand_ids", []))
            for row in tx.execute("SELECT id FROM users").fetchall():
                if row["id"] not in keep:
                    tx.execute("DELETE FROM users WHERE id = ?", (row["id"],))

    # users ----------------------------------------------------------------------------------
    @staticmethod
    def get_user(tx: sqlite3.Connection, user_id: str) -> dict[str, Any] | None:
        """Return the user with this id, or None."""
        row = tx.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
        return None if row is None else dict(row)

    @staticmethod
    def get_user_by_username(tx: sqlite3.Connection, username: str) -> dict[str, Any] | None:
        """Return the user with this username (case-insensitive), or None."""
        row = tx.execute(
            "SELECT * FROM users WHERE username_lower = ?", (username.lower(),)
        ).fetchone()
        return None if row is None else dict(row)

    def ensure_user(
        self, tx: sqlite3.Connection, username: str, name: str | None = None
    ) -> dict[str, Any]:
        """Return the user called username, creating a customer account if there is none."""
        user = self.get_user_by_username(tx, username)
        if user is not None:
            if name and name != user["name"]:
                tx.execute("UPDATE users SET name = ? WHERE id = ?", (name, user["id"]))
                user["name"] = name
            return user
        last = int(self.get_setting(tx, "last_user_id", 1_600_000_000_000_000_000))
        user_id = str(last + 1)
        self.put_setting(tx, "last_user_id", last + 1)
        now = format_time(datetime.now(UTC))
        tx.execute(
            "INSERT INTO users (id, username, username_lower, name, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (user_id, username, username.lower(), name or username, now),
        )
        return {
            "id": user_id,
            "username": username,
            "username_lower": username.lower(),
            "name": name or username,
            "created_at": now,
        }

    # posts ----------------------------------------------------------------------------------
    @staticmethod
    def get_tweet(tx: sqlite3.Connection, tweet_id: int) -> dict[str, Any] | None:
        """Return the post with this id (deleted ones included), or None."""
        row = tx.execute("SELECT * FROM tweets WHERE id = ?", (tweet_id,)).fetchone()
        return None if row is None else _decode(row)

    @staticmethod
    def find_duplicate(tx: sqlite3.Connection, author_id: str, source_text: str) -> int | None:
        """Return the id of a live post by author_id with exactly this text, or None."""
        row = tx.execute(
            "SELECT id FROM tweets WHERE author_id = ? AND source_text = ? AND deleted = 0",
            (author_id, source_text),
        ).fetchone()
        return None if row is None else int(row["id"])

    @staticmethod
    def mentions_user(tx: sqlite3.Connection, tweet_id: int, user_id: str) -> bool:
        """Tell whether the post mentions user_id."""
        row = tx.execute(
            "SELECT 1 FROM tweet_mentions WHERE user_id = ? AND tweet_id = ?", (user_id, tweet_id)
        ).fetchone()
        return row is not None

    def compose_source_text(
        self,
        tx: sqlite3.Connection,
        author: dict[str, Any],
        text: str,
        in_reply_to: dict[str, Any] | None,
    ) -> str:
        """Return the text to store: a reply not naming the parent's author gets "@author "."""
        if in_reply_to is None:
            return text
        parent_author = self.get_user(tx, in_reply_to["author_id"])
        if (
            parent_author is None
            or parent_author["id"] == author["id"]
            or parent_author["username_lower"] in mentioned_usernames(text)
        ):
            return text
        return f"@{parent_author['username']} {text}"

    def _allocate_id(
        self, tx: sqlite3.Connection, created: datetime, backdated: bool, explicit: int | None
    ) -> int:
        last = int(self.get_setting(tx, "last_id", 0))
        if explicit is not None:
            if self.get_tweet(tx, explicit) is not None:
                raise ValueError(f"a post with id {explicit} already exists")
            candidate = explicit
        else:
            candidate = snowflake(created)
            if not backdated and candidate <= last:
                candidate = last + 1
            while self.get_tweet(tx, candidate) is not None:
                candidate += 1
        self.put_setting(tx, "last_id", max(last, candidate))
        return candidate

    def create_tweet(
        self,
        tx: sqlite3.Connection,
        *,
        author: dict[str, Any],
        text: str,
        in_reply_to: dict[str, Any] | None = None,
        quote_tweet_id: int | None = None,
        created_at: datetime | None = None,
        tweet_id: int | None = None,
        reply_settings: str = "everyone",
    ) -> dict[str, Any]:
        """Insert a post by author and return it; rules (duplicates, reply rights) are the caller's.

        A reply whose text does not mention the parent's author gets "@author " put in front, as X
        auto-populates reply mentions.
        """
        created = created_at or datetime.now(UTC)
        new_id = self._allocate_id(tx, created, created_at is not None, tweet_id)
        conversation_id, referenced = self._thread_of(new_id, in_reply_to, quote_tweet_id)
        source_text = self.compose_source_text(tx, author, text, in_reply_to)

        def resolve(username: str) -> str | None:
            user = self.get_user_by_username(tx, username)
            return None if user is None else str(user["id"])

        stored_text, entities = build_text_and_entities(source_text, new_id, resolve)
        tx.execute(
            INSERT_TWEET,
            {
                "id": new_id,
                "text": stored_text,
                "source_text": source_text,
                "author_id": author["id"],
                "created_at": format_time(created),
                "conversation_id": conversation_id,
                "in_reply_to_tweet_id": None if in_reply_to is None else in_reply_to["id"],
                "in_reply_to_user_id": None if in_reply_to is None else in_reply_to["author_id"],
                "quote_tweet_id": quote_tweet_id,
                "lang": detect_lang(text),
                "entities": json.dumps(entities, ensure_ascii=False),
                "referenced_tweets": json.dumps(referenced),
                "reply_settings": reply_settings,
            },
        )
        self._index_mentions(tx, new_id, author["id"], entities)
        tweet = self.get_tweet(tx, new_id)
        if tweet is None:  # pragma: no cover - inserted a moment ago in this transaction
            raise RuntimeError(f"post {new_id} vanished")
        return tweet

    @staticmethod
    def _thread_of(
        new_id: int, in_reply_to: dict[str, Any] | None, quote_tweet_id: int | None
    ) -> tuple[int, list[dict[str, str]]]:
        """The new post's conversation id and its referenced_tweets (replied_to, quoted)."""
        referenced: list[dict[str, str]] = []
        conversation_id = new_id
        if in_reply_to is not None:
            conversation_id = in_reply_to["conversation_id"]
            referenced.append({"type": "replied_to", "id": str(in_reply_to["id"])})
        if quote_tweet_id is not None:
            referenced.append({"type": "quoted", "id": str(quote_tweet_id)})
        return conversation_id, referenced

    @staticmethod
    def _index_mentions(
        tx: sqlite3.Connection, tweet_id: int, author_id: str, entities: dict[str, Any]
    ) -> None:
        """Index whom the post mentions (its author excepted), for the mentions timeline."""
        for mention in entities.get("mentions", []):
            if mention["id"] != author_id:
                tx.execute(
                    "INSERT OR IGNORE INTO tweet_mentions (user_id, tweet_id) VALUES (?, ?)",
                    (mention["id"], tweet_id),
                )

    @staticmethod
    def delete_tweet(tx: sqlite3.Connection, tweet_id: int) -> None:
        """Mark a post deleted (it stays visible in the sandbox timeline, struck through)."""
        tx.execute("UPDATE tweets SET deleted = 1 WHERE id = ?", (tweet_id,))

    @staticmethod
    def mentions_page(
        tx: sqlite3.Connection,
        user_id: str,
        *,
        since_id: int | None,
        until_id: int | None,
        start_time: str | None,
        end_time: str | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        """Return up to limit live posts mentioning user_id, newest first, among the 800 newest."""
        rows = tx.execute(
            "SELECT * FROM ("
            "  SELECT t.* FROM tweets t JOIN tweet_mentions m ON m.tweet_id = t.id"
            "  WHERE m.user_id = ? AND t.deleted = 0 AND t.author_id != ?"
            "  ORDER BY t.id DESC LIMIT ?"
            ") WHERE (? IS NULL OR id > ?) AND (? IS NULL OR id < ?)"
            " AND (? IS NULL OR created_at >= ?) AND (? IS NULL OR created_at < ?)"
            " ORDER BY id DESC LIMIT ?",
            (
                user_id,
                user_id,
                MENTIONS_REACHABLE,
                since_id,
                since_id,
                until_id,
                until_id,
                start_time,
                start_time,
                end_time,
                end_time,
                limit,
            ),
        ).fetchall()
        return [_decode(row) for row in rows]

    @staticmethod
    def live_tweets_since(tx: sqlite3.Connection, oldest: str) -> list[dict[str, Any]]:
        """Return live posts created at or after oldest, newest first (the search corpus)."""
        rows = tx.execute(
            "SELECT t.*, u.username_lower AS author_username_lower FROM tweets t"
            " JOIN users u ON u.id = t.author_id"
            " WHERE t.deleted = 0 AND t.created_at >= ? ORDER BY t.id DESC",
            (oldest,),
        ).fetchall()
        return [_decode(row) for row in rows]

    @staticmethod
    def timeline(tx: sqlite3.Connection) -> list[dict[str, Any]]:
        """Return every post, deleted ones too, newest first, with author name and username."""
        rows = tx.execute(
            "SELECT t.*, u.username AS author_username, u.name AS author_name FROM tweets t"
            " JOIN users u ON u.id = t.author_id ORDER BY t.id DESC"
        ).fetchall()
        return [_decode(row) for row in rows]

    @staticmethod
    def reply_counts(tx: sqlite3.Connection, tweet_ids: list[int]) -> dict[int, int]:
        """Return how many live replies each of tweet_ids has."""
        counts: dict[int, int] = {}
        for tweet_id in tweet_ids:
            row = tx.execute(
                "SELECT COUNT(*) AS n FROM tweets WHERE in_reply_to_tweet_id = ? AND deleted = 0",
                (tweet_id,),
            ).fetchone()
            counts[tweet_id] = int(row["n"])
        return counts


def _decode(row: sqlite3.Row) -> dict[str, Any]:
    tweet = dict(row)
    tweet["entities"] = json.loads(tweet["entities"])
    tweet["referenced_tweets"] = json.loads(tweet["referenced_tweets"])
    tweet["deleted"] = bool(tweet["deleted"])
    return tweet
