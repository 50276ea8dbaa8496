"""Mastodon API entities (Account, Status, Notification, Context) as JSON-ready dicts.

Field names and shapes follow Mastodon's API reference for those entities; counts the sandbox
does not keep (followers, favourites) are 0, media and polls are empty.
"""

from __future__ import annotations

import sqlite3
from typing import Any
from urllib.parse import quote

from . import text as status_text
from .store import SandboxStore


def account_url(root: str, account: dict[str, Any]) -> str:
    """The account's profile address in the sandbox."""
    return f"{root}/@{quote(account['acct'], safe='@')}"


def status_url(root: str, account: dict[str, Any], status_id: int) -> str:
    """The status's public address in the sandbox (it opens the sandbox page at the status)."""
    return f"{root}/@{quote(account['acct'], safe='@')}/{status_id}"


def account_json(
    root: str, account: dict[str, Any], *, with_source: bool = False
) -> dict[str, Any]:
    """An Account entity."""
    url = account_url(root, account)
    data: dict[str, Any] = {
        "id": account["id"],
        "username": account["username"],
        "acct": account["acct"],
        "display_name": account["display_name"],
        "locked": False,
        "bot": False,
        "discoverable": True,
        "group": False,
        "created_at": account["created_at"],
        "note": "",
        "url": url,
        "uri": f"{root}/users/{quote(account['username'])}",
        "avatar": f"{root}/sandbox/avatar.svg",
        "avatar_static": f"{root}/sandbox/avatar.svg",
        "header": "",
        "header_static": "",
        "followers_count": 0,
        "following_count": 0,
        "statuses_count": 0,
        "last_status_at": None,
        "emojis": [],
        "fields": [],
    }
    if with_source:
        data["source"] = {
            "privacy": "public",
            "sensitive": False,
            "language": "ko",
            "note": "",
            "fields": [],
            "follow_requests_count": 0,
        }
    return data


def status_json(
    tx: sqlite3.Connection, store: SandboxStore, root: str, status: dict[str, Any]
) -> dict[str, Any]:
    """A Status entity, its HTML content built from its text."""
    author = store.get_account(tx, status["account_id"]) or {
        "id": status["account_id"],
        "username": "unknown",
        "domain": "",
        "acct": "unknown",
        "display_name": "",
        "created_at": status["created_at"],
    }
    mentioned = [a for a in (store.get_account(tx, i) for i in status["mentions"]) if a]
    by_acct = {a["acct"].lower(): a for a in mentioned}

    def mention_url(user: str, domain: str) -> str | None:
        account = by_acct.get(f"{user}@{domain}".lower() if domain else user.lower())
        return None if account is None else account_url(root, account)

    def tag_url(name: str) -> str:
        return f"{root}/tags/{quote(name.lower())}"

    quote_data = None
    if status["quote_id"] is not None:
        quoted = store.get_status(tx, status["quote_id"])
        quote_data = {
            "state": "accepted" if quoted and not quoted["deleted"] else "deleted",
            "quoted_status": status_json(tx, store, root, quoted)
            if quoted and not quoted["deleted"]
            else None,
        }
    return {
        "id": str(status["id"]),
        "created_at": status["created_at"],
        "in_reply_to_id": None
        if status["in_reply_to_id"] is None
        else str(status["in_reply_to_id"]),
        "in_reply_to_account_id": status["in_reply_to_account_id"],
        "sensitive": bool(status["spoiler_text"]),
        "spoiler_text": status["spoiler_text"],
        "visibility": status["visibility"],
        "language": status["language"],
        "uri": f"{root}/users/{quote(author['username'])}/statuses/{status['id']}",
        "url": status_url(root, author, status["id"]),
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "edited_at": None,
        "favourited": False,
        "reblogged": False,
        "muted": False,
        "bookmarked": False,
        "content": status_text.to_html(status["text"], account_url=mention_url, tag_url=tag_url),
        "filtered": [],
        "reblog": None,
        "application": None,
        "account": account_json(root, author),
        "media_attachments": [],
        "mentions": [
            {
                "id": a["id"],
                "username": a["username"],
                "url": account_url(root, a),
                "acct": a["acct"],
            }
            for a in mentioned
        ],
        "tags": [{"name": name, "url": tag_url(name)} for name in status["tags"]],
        "emojis": [],
        "card": None,
        "poll": None,
        "quote": quote_data,
    }


def notification_json(
    tx: sqlite3.Connection, store: SandboxStore, root: str, notification: dict[str, Any]
) -> dict[str, Any]:
    """A Notification entity (type mention: the status that mentions the account)."""
    sender = store.get_account(tx, notification["from_account_id"])
    status = store.get_status(tx, notification["status_id"]) if notification["status_id"] else None
    data = {
        "id": str(notification["id"]),
        "type": notification["type"],
        "group_key": f"ungrouped-{notification['id']}",
        "created_at": notification["created_at"],
        "account": account_json(root, sender) if sender else None,
        "status": status_json(tx, store, root, status)
        if status and not status["deleted"]
        else None,
    }
    if notification.get("filtered"):
        data["filtered"] = True  # as Mastodon marks notifications its policy filtered
    return data


def instance_v2(root: str, domain: str, max_characters: int) -> dict[str, Any]:
    """The /api/v2/instance document (the parts a client reads)."""
    return {
        "domain": domain,
        "title": "IdeaBoard Mastodon sandbox",
        "version": "4.4.0",
        "source_url": "https://github.com/mastodon/mastodon",
        "description": "A local stand-in for a Mastodon server; nothing leaves this machine.",
        "usage": {"users": {"active_month": 0}},
        "thumbnail": {"url": f"{root}/sandbox/avatar.svg"},
        "languages": ["ko", "en"],
        "configuration": {
            "urls": {"streaming": "", "status": None},
            "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
            "statuses": {
                "max_characters": max_characters,
                "max_media_attachments": 4,
                "characters_reserved_per_url": status_text.URL_CHARACTERS,
            },
            "media_attachments": {"supported_mime_types": [], "image_size_limit": 0},
            "polls": {"max_options": 4, "max_characters_per_option": 50},
            "translation": {"enabled": False},
        },
        "registrations": {"enabled": False, "approval_required": False, "message": None},
        "api_versions": {"mastodon": 6},
        "contact": {"email": "", "account": None},
        "rules": [],
    }


def instance_v1(root: str, domain: str, max_characters: int) -> dict[str, Any]:
    """The older /api/v1/instance document."""
    return {
        "uri": domain,
        "title": "IdeaBoard Mastodon sandbox",
        "short_description": "A local stand-in for a Mastodon server.",
        "description": "",
        "email": "",
        "version": "4.4.0",
        "urls": {"streaming_api": ""},
        "stats": {"user_count": 0, "status_count": 0, "domain_count": 0},
        "thumbnail": f"{root}/sandbox/avatar.svg",
        "languages": ["ko", "en"],
        "registrations": False,
        "approval_required": False,
        "invites_enabled": False,
        "configuration": {
            "statuses": {
                "max_characters": max_characters,
                "max_media_attachments": 4,
                "characters_reserved_per_url": status_text.URL_CHARACTERS,
            }
        },
        "contact_account": None,
        "rules": [],
    }
