"""The jobs behind `flask ideaboard import-mentions` and `worker` (delivery: outbox/delivery.py).

Jobs are the edge that owns transactions here: they commit after each page of mentions (with
the cursor that covers it) and never hold a transaction open across a network call.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ..config import check_x_api_url
from ..database import utcnow, write_intent
from ..extensions import db
from . import importer, usage
from .connectors import Connector, FetchError, XConnector
from .models import SocialAccount

logger = logging.getLogger(__name__)

# Mentions per transaction. On SQLite a transaction holds the database's write lock, and 100
# mentions were 0.5–1 s of work on a 100k board (most of it matching), so a web vote could
# wait that long; 25 keeps that wait near a quarter of it for a few per cent of throughput.
IMPORT_PAGE = 25
SANDBOX_BRAND_ID = "1500000000000000001"
SANDBOX_BRAND_USERNAME = "hanbit"


def worker_name() -> str:
    """Return a name for this process, used for leases and claims."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _credential(account: SocialAccount | None, name: str) -> str | None:
    """IDEABOARD_X_<USERNAME>_<NAME> for a second account, else IDEABOARD_X_<NAME>."""
    if account is not None:
        specific = os.environ.get(f"IDEABOARD_X_{account.username.upper()}_{name}")
        if specific:
            return specific
    value = current_app.config.get(f"IDEABOARD_X_{name}")
    return str(value) if value else None


def x_api_url() -> str | None:
    """Return the base URL the X client talks to (None: X itself).

    Refused (RuntimeError) when it is plain http to another machine: see check_x_api_url.
    """
    config = current_app.config
    url = None
    if config.get("IDEABOARD_X_API_URL"):
        url = str(config["IDEABOARD_X_API_URL"])
    elif config.get("IDEABOARD_X_SANDBOX"):
        url = str(config["IDEABOARD_PUBLIC_URL"]).rstrip("/") + "/x-sandbox"
    check_x_api_url(url)
    return url


def connector_for(account: SocialAccount) -> XConnector:
    """Build the X connector for an account from the configured credentials."""
    sandbox = bool(current_app.config.get("IDEABOARD_X_SANDBOX"))
    placeholder = "sandbox" if sandbox else None
    return XConnector(
        user_id=account.remote_user_id,
        username=account.username,
        bearer_token=None,
        consumer_key=_credential(account, "CONSUMER_KEY") or placeholder,
        consumer_secret=_credential(account, "CONSUMER_SECRET") or placeholder,
        access_token=_credential(account, "ACCESS_TOKEN") or placeholder,
        access_token_secret=_credential(account, "ACCESS_TOKEN_SECRET") or placeholder,
        api_url=x_api_url(),
        timeout=float(current_app.config["IDEABOARD_X_TIMEOUT_SECONDS"]),
    )


def ensure_default_account() -> SocialAccount | None:
    """Create the configured brand account on first use; return the first account.

    A job step (the CLI and the worker call it): it commits, and asks X for the username
    with no transaction open.
    """
    existing = db.session.scalar(select(SocialAccount).order_by(SocialAccount.id).limit(1))
    if existing is not None:
        return existing
    config = current_app.config
    if config.get("IDEABOARD_X_SANDBOX") and not config.get("IDEABOARD_X_USER_ID"):
        user_id, username = SANDBOX_BRAND_ID, SANDBOX_BRAND_USERNAME
    elif config.get("IDEABOARD_X_USER_ID"):
        user_id = str(config["IDEABOARD_X_USER_ID"])
        username = str(config.get("IDEABOARD_X_USERNAME") or "")
        if not username:
            db.session.commit()  # nothing open while we ask X
            probe = connector_for(SocialAccount(remote_user_id=user_id, username=""))
            try:
                me = probe.client.get_me(user_auth=True).data
                username = me.username
            finally:
                probe.close()
    else:
        return None
    account = SocialAccount(
        network="x",
        remote_user_id=user_id,
        username=username,
        display_name=username,
        tags=",".join(config["IDEABOARD_IDEA_TAGS"]),
        signature="IB",
    )
    db.session.add(account)
    db.session.commit()
    return account


def run_import(
    account: SocialAccount,
    connector: Connector,
    *,
    owner: str,
    now: datetime | None = None,
    after_each: Callable[[], None] | None = None,
) -> importer.ImportResult | None:
    """Poll one account once: fetch, import oldest first, one commit per page of mentions.

    Each page's ideas, votes, log rows and acknowledgements are committed together with the
    cursor (since_id) past them; a mention that fails is logged as failed inside the page
    (importer.process_page). Killed mid-page, nothing of the page is kept, and the next poll
    reads it again and handles each mention once.

    Returns None when another worker holds the account's lease or it waits for a reset.
    """
    now = now or utcnow()
    account_id = account.id
    with write_intent():
        if account.next_poll_at is not None and account.next_poll_at > now:
            return None
        lease = timedelta(seconds=float(current_app.config["IDEABOARD_IMPORT_LEASE_SECONDS"]))
        if not importer.acquire_lease(account_id, owner, now, now + lease):
            db.session.rollback()
            return None
        db.session.commit()
        result = importer.ImportResult()
        try:
            overlap = timedelta(minutes=int(current_app.config["IDEABOARD_X_OVERLAP_MINUTES"]))
            start = account.last_polled_at - overlap if account.last_polled_at else None
            since = account.since_id
            db.session.commit()  # no transaction open during the network call
            try:
                mentions = connector.fetch_mentions(since_id=since, start_time=start)
            except FetchError as error:
                account = db.session.get_one(SocialAccount, account_id)
                account.last_error = error.message
                if error.retry_at is not None:
                    account.next_poll_at = error.retry_at
                db.session.commit()
                logger.warning("import for @%s failed: %s", account.username, error.message)
                raise
            # X charges for every post read: count them at once, before any is processed.
            usage.record_reads(account_id, len(mentions), now)
            db.session.commit()
            for offset in range(0, len(mentions), IMPORT_PAGE):
                page = mentions[offset : offset + IMPORT_PAGE]
                account = db.session.get_one(SocialAccount, account_id)
                outcomes = importer.process_page(account, page, now)
                newest = max(page, key=lambda m: int(m.id)).id
                if int(newest) > int(account.since_id or 0):
                    account.since_id = newest
                account.lease_until = utcnow() + lease  # still alive: keep the lease
                db.session.commit()  # the cursor moves with the ideas it covers
                for outcome in outcomes:
                    result.add(outcome)
                if after_each is not None:
                    after_each()
            account = db.session.get_one(SocialAccount, account_id)
            account.last_polled_at = now
            account.last_error = None
            db.session.commit()
        finally:
            db.session.rollback()
            importer.release_lease(account_id, owner)
            db.session.commit()
    return result
