"""The sandbox database's tables."""

from __future__ import annotations

from ..common.store import RATE_LIMITS_SCHEMA

SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS actors (
    did TEXT PRIMARY KEY,
    handle TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS app_passwords (
    did TEXT PRIMARY KEY REFERENCES actors(did),
    password TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    did TEXT NOT NULL REFERENCES actors(did),
    refresh_jti TEXT NOT NULL,
    refresh_expires REAL NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    refreshes INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS posts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    uri TEXT NOT NULL UNIQUE,
    cid TEXT NOT NULL,
    did TEXT NOT NULL REFERENCES actors(did),
    record TEXT NOT NULL,
    indexed_at TEXT NOT NULL,
    sort_at TEXT NOT NULL,
    reply_root TEXT,
    reply_parent TEXT,
    quote TEXT,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ix_posts_parent ON posts (reply_parent);
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT NOT NULL,
    post_uri TEXT NOT NULL,
    reason TEXT NOT NULL,
    reason_subject TEXT,
    sort_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_notifications_recipient ON notifications (recipient, sort_at, id);
"""
    + RATE_LIMITS_SCHEMA
)
