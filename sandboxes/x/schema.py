"""The sandbox database's tables, and the statement that stores a post."""

from __future__ import annotations

from ..common.store import RATE_LIMITS_SCHEMA

SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    username_lower TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tweets (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL,
    source_text TEXT NOT NULL,
    author_id TEXT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    conversation_id INTEGER NOT NULL,
    in_reply_to_tweet_id INTEGER,
    in_reply_to_user_id TEXT,
    quote_tweet_id INTEGER,
    lang TEXT NOT NULL,
    entities TEXT NOT NULL,
    referenced_tweets TEXT NOT NULL,
    reply_settings TEXT NOT NULL DEFAULT 'everyone',
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ix_tweets_author ON tweets (author_id, id);
CREATE INDEX IF NOT EXISTS ix_tweets_conversation ON tweets (conversation_id, id);
CREATE TABLE IF NOT EXISTS tweet_mentions (
    user_id TEXT NOT NULL,
    tweet_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, tweet_id)
) WITHOUT ROWID;
"""
    + RATE_LIMITS_SCHEMA
)

INSERT_TWEET = (
    "INSERT INTO tweets (id, text, source_text, author_id, created_at, conversation_id,"
    " in_reply_to_tweet_id, in_reply_to_user_id, quote_tweet_id, lang, entities,"
    " referenced_tweets, reply_settings) VALUES (:id, :text, :source_text, :author_id,"
    " :created_at, :conversation_id, :in_reply_to_tweet_id, :in_reply_to_user_id,"
    " :quote_tweet_id, :lang, :entities, :referenced_tweets, :reply_settings)"
)
