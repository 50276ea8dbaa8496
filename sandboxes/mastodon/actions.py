"""Sandbox-only operations (not part of Mastodon): customers post, delete, the timeline is read."""

from __future__ import annotations

import re
from typing import Any

from . import text as status_text
from .store import VISIBILITIES, SandboxStore

_USER = re.compile(r"^[A-Za-z0-9_]{1,30}$")
_DOMAIN = re.compile(
    r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$"
)
MAX_TEXT = 5_000  # a customer's status (servers with long posts exist; the sandbox stops here)
MAX_SPOILER = 500
MAX_NAME = 60


def is_unicode(text: str) -> bool:
    """Whether text can be stored as UTF-8 (JSON may carry lone surrogates, which cannot)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_acct(acct: str) -> tuple[str, str]:
    """Split "user" or "user@domain" (a leading @ allowed); raise ValueError when malformed."""
    user, _, domain = acct.strip().lstrip("@").partition("@")
    domain = domain.lower()
    if not _USER.match(user):
        raise ValueError("the account name must be 1-30 letters, digits or underscores")
    if domain and not _DOMAIN.match(domain):
        raise ValueError("the account's server must be a domain name such as social.example")
    return user, domain


def post_mention(
    store: SandboxStore | str,
    *,
    acct: str,
    text: str,
    visibility: str = "public",
    spoiler_text: str = "",
    reply_to: int | str | None = None,
    display_name: str | None = None,
    language: str | None = None,
    quote_of: int | str | None = None,
) -> dict[str, Any]:
    """Post text as customer `acct` (user, or user@domain for another server; created if new).

    Replying to a status whose author the text does not name puts "@author " in front, as
    Mastodon's compose box does. Returns the stored status; raises ValueError on bad input.
    """
    for name, value in (("acct", acct), ("text", text), ("content warning", spoiler_text),
                        ("display name", display_name)):  # fmt: skip
        if isinstance(value, str) and not is_unicode(value):
            raise ValueError(f"the {name} is not valid Unicode text")
    user, domain = parse_acct(acct)
    if not isinstance(text, str) or not text.strip():
        raise ValueError("the text must not be empty")
    if len(text) > MAX_TEXT:
        raise ValueError(f"the text must be at most {MAX_TEXT} characters")
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}")
    if len(spoiler_text or "") > MAX_SPOILER:
        raise ValueError(f"the content warning must be at most {MAX_SPOILER} characters")
    if display_name is not None and len(display_name) > MAX_NAME:
        raise ValueError(f"the display name must be at most {MAX_NAME} characters")
    store = SandboxStore.of(store)
    with store.transaction(write=True) as tx:
        author = store.ensure_account(tx, user, domain, display_name)
        parent = None
        if reply_to not in (None, ""):
            parent = store.get_status(tx, _as_id(reply_to, "reply_to"))
            if parent is None or parent["deleted"]:
                raise ValueError(f"status {reply_to} does not exist or is deleted")
            parent_author = store.get_account(tx, parent["account_id"])
            named = {(u, d) for u, d in status_text.mentioned(text)}
            if parent_author and parent_author["id"] != author["id"]:
                key = (parent_author["username"].lower(), parent_author["domain"])
                if key not in named:
                    text = f"@{parent_author['acct']} {text}"
        quote_id = None
        if quote_of not in (None, ""):
            quote_id = _as_id(quote_of, "quote_of")
            if store.get_status(tx, quote_id) is None:
                raise ValueError(f"status {quote_of} does not exist")
        return store.create_status(
            tx,
            author=author,
            text=text,
            visibility=visibility,
            spoiler_text=spoiler_text or "",
            language=language,
            in_reply_to=parent,
            quote_id=quote_id,
        )


def delete_status(store: SandboxStore | str, status_id: int | str) -> None:
    """The author deletes a status (it stays in the sandbox page, struck through)."""
    store = SandboxStore.of(store)
    wanted = _as_id(status_id, "id")
    with store.transaction(write=True) as tx:
        if store.get_status(tx, wanted) is None:
            raise ValueError(f"status {status_id} does not exist")
        store.delete_status(tx, wanted)


def timeline(store: SandboxStore | str, limit: int = -1) -> list[dict[str, Any]]:
    """Every status (or the newest `limit`), newest first, with its author's acct and name."""
    store = SandboxStore.of(store)
    with store.transaction() as tx:
        items = store.all_statuses(tx, limit)
        accounts: dict[str, dict[str, Any]] = {}
        for item in items:
            if item["account_id"] not in accounts:
                accounts[item["account_id"]] = store.get_account(tx, item["account_id"]) or {}
            account = accounts[item["account_id"]]
            item["acct"] = account.get("acct", "?")
            item["display_name"] = account.get("display_name", "")
    return items


def _as_id(value: int | str, name: str) -> int:
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]{1,19}", text) or int(text) > 2**63 - 1:
        raise ValueError(f"{name} must be a status id (digits, at most 9223372036854775807)")
    return int(text)
