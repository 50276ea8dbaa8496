"""The jobs behind `flask ideaboard import-mentions`, `deliver` and `worker`.

Jobs are the edge that owns transactions here: they commit after each claimed row and after
each mention, and never hold a transaction open across a network call.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ..config import check_x_api_url
from ..database import utcnow, write_intent
from ..extensions import db
from . import importer, outbox
from .connectors import Connector, FetchError, SendError, XConnector
from .models import OutboxKind, SocialAccount

logger = logging.getLogger(__name__)

SANDBOX_BRAND_ID = "1500000000000000001"
SANDBOX_BRAND_USERNAME = "hanbit"

ConnectorFactory = Callable[[SocialAccount], Connector]


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
    """Create the configured brand account on first use; return the first active account."""
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
    """Poll one account once: fetch, import oldest first, one commit per mention.

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
                account = db.session.get(SocialAccount, account_id)
                account.last_error = error.message
                if error.retry_at is not None:
                    account.next_poll_at = error.retry_at
                db.session.commit()
                logger.warning("import for @%s failed: %s", account.username, error.message)
                raise
            for mention in mentions:
                account = db.session.get(SocialAccount, account_id)
                outcome = importer.process_mention(account, mention, now)
                if int(mention.id) > int(account.since_id or 0):
                    account.since_id = mention.id
                account.lease_until = utcnow() + lease  # still alive: keep the lease
                db.session.commit()  # the cursor moves with the ideas it covers
                result.add(outcome)
                if after_each is not None:
                    after_each()
            account = db.session.get(SocialAccount, account_id)
            account.last_polled_at = now
            account.last_error = None
            db.session.commit()
        finally:
            db.session.rollback()
            importer.release_lease(account_id, owner)
            db.session.commit()
    return result


def send_row(row_id: int, connector: Connector | None, now: datetime) -> str:
    """Send one claimed row and record the result; return what happened."""
    row = db.session.get(outbox.OutboxMessage, row_id)
    if row is None:
        return "gone"
    if outbox.over_cap(row, now):
        db.session.commit()
        return "deferred"
    text, target, kind, check_first = row.text, row.target, row.kind, row.check_first
    db.session.commit()  # nothing open while we talk to X
    try:
        if kind == OutboxKind.WEBHOOK.value:
            from ..api.webhooks import send_webhook  # lazy: the api package imports this one

            note = send_webhook(row_id)
            row = db.session.get(outbox.OutboxMessage, row_id)
            outbox.mark_sent(row, note, None, utcnow())
            row.cost_usd = None  # not an X post
            db.session.commit()
            return "sent"
        assert connector is not None  # only webhook rows are sent without an account
        if check_first and kind == OutboxKind.X_REPLY.value and target:
            existing = connector.find_reply(target, text)
            if existing is not None:
                row = db.session.get(outbox.OutboxMessage, row_id)
                outbox.mark_sent(row, existing, None, utcnow())
                db.session.commit()
                return "found"
        if kind == OutboxKind.X_REPLY.value and target:
            posted = connector.post_reply(text, target)
        elif kind == OutboxKind.X_POST.value:
            posted = connector.post(text)
        else:
            raise SendError(f"no sender for {kind} messages yet", final=True)
    except SendError as error:
        row = db.session.get(outbox.OutboxMessage, row_id)
        if error.duplicate and (check_first or row.attempts > 1):
            # An earlier attempt that timed out has landed after all: X refuses the copy.
            # The reply exists, so the row is done; find its id if search shows it.
            try:
                found = connector.find_reply(target or "", text) if target else None
            except SendError:
                found = None
            row = db.session.get(outbox.OutboxMessage, row_id)
            outbox.mark_sent(row, found or "", None, utcnow())
            row.last_error = "X reports this reply exists: an earlier attempt landed late"
            db.session.commit()
            return "found"
        outbox.mark_failed(
            row,
            error.message,
            utcnow(),
            final=error.final,
            retry_at=error.retry_at,
            ambiguous=error.ambiguous,
        )
        db.session.commit()
        if error.retry_at is not None:
            return "deferred"
        return row.state
    row = db.session.get(outbox.OutboxMessage, row_id)
    outbox.mark_sent(row, posted.id, posted.url, utcnow())
    db.session.commit()
    return "sent"


def deliver_due(
    *,
    worker: str,
    connectors: ConnectorFactory | None = None,
    limit: int | None = None,
    stop: threading.Event | None = None,
) -> outbox.DeliveryResult:
    """Send every due outbox row once (rows that fail again wait for their next attempt)."""
    result = outbox.DeliveryResult()
    cache: dict[int, Connector] = {}
    blocked: set[int] = set()
    factory = connectors or connector_for
    stale = timedelta(seconds=float(current_app.config["IDEABOARD_OUTBOX_STALE_SECONDS"]))
    with write_intent():
        while limit is None or result.claimed < limit:
            if stop is not None and stop.is_set():
                break
            now = utcnow()
            row = outbox.claim_next(worker, now, skip_accounts=blocked, stale_after=stale)
            db.session.commit()
            if row is None:
                break
            result.claimed += 1
            webhook = row.kind == OutboxKind.WEBHOOK.value  # needs no social account
            account = db.session.get(SocialAccount, row.account_id) if row.account_id else None
            if account is None and not webhook:
                account = ensure_default_account()
            if account is None and not webhook:
                outbox.mark_failed(row, "no social account is connected", now, final=True)
                db.session.commit()
                result.dead += 1
                continue
            if account is not None and account.id not in cache:
                cache[account.id] = factory(account)
            outcome = send_row(row.id, cache[account.id] if account else None, now)
            if outcome == "sent":
                result.sent += 1
            elif outcome == "found":
                result.found_existing += 1
            elif outcome == "deferred":
                result.deferred += 1
                if account is not None:
                    blocked.add(account.id)  # rate limited or capped: leave its other rows be
            elif outcome == "dead":
                result.dead += 1
            else:
                result.failed += 1
    for connector in cache.values():
        close = getattr(connector, "close", None)
        if close is not None:
            close()
    return result
