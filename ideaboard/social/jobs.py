"""The jobs behind `flask ideaboard import-mentions` and `worker` (delivery: outbox/delivery.py).

Jobs are the edge that owns transactions here: they commit after each page of mentions (with
the cursor that covers it) and never hold a transaction open across a network call.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ..config import check_service_url, check_x_api_url
from ..database import utcnow, write_intent
from ..extensions import db
from . import importer, usage
from .connectors import Connector, FetchError, Identity, XConnector
from .models import SocialAccount
from .networks import network

logger = logging.getLogger(__name__)

# Mentions per transaction. On SQLite a transaction holds the database's write lock, and 100
# mentions were 0.5–1 s of work on a 100k board (most of it matching), so a web vote could
# wait that long; 25 keeps that wait near a quarter of it for a few per cent of throughput.
IMPORT_PAGE = 25
AUTH_RECHECK = timedelta(hours=1)
SANDBOX_BRAND_ID = "1500000000000000001"
SANDBOX_BRAND_USERNAME = "hanbit"
# What the Bluesky and Mastodon sandboxes accept from the demo's brand accounts.
SANDBOX_BLUESKY_HANDLE = "hanbit.bsky.social"
SANDBOX_BLUESKY_PASSWORD = "sand-box0-app0-pass"  # noqa: S105 - the sandbox's, not a secret
SANDBOX_MASTODON_TOKEN = "sandbox-token"  # noqa: S105 - the sandbox's, not a secret


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


def connector_for(account: SocialAccount) -> Connector:
    """Build the connector for an account, of its network, from the configured credentials."""
    if account.network == "bluesky":
        return bluesky_connector(account)
    if account.network == "mastodon":
        return mastodon_connector(account)
    return x_connector(account)


def variable_part(name: str) -> str:
    """A handle in an environment variable's name: hanbit.bsky.social → HANBIT_BSKY_SOCIAL."""
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def sandbox_url(name: str) -> str:
    """The address of the built-in sandbox called name (x, bluesky, mastodon) on this site."""
    return str(current_app.config["IDEABOARD_PUBLIC_URL"]).rstrip("/") + f"/{name}-sandbox"


def bluesky_service(account: SocialAccount | None = None) -> str:
    """The Bluesky server (PDS) an account lives on; refused in clear text but on loopback."""
    config = current_app.config
    if account is not None and account.service_url:
        url = account.service_url
    elif config.get("IDEABOARD_BLUESKY_SANDBOX"):
        url = sandbox_url("bluesky")
    else:
        url = str(config["IDEABOARD_BLUESKY_SERVICE"])
    check_service_url("IDEABOARD_BLUESKY_SERVICE", url)
    return url


def bluesky_password(handle: str) -> str | None:
    """IDEABOARD_BLUESKY_<HANDLE>_APP_PASSWORD, else the default account's app password."""
    specific = os.environ.get(f"IDEABOARD_BLUESKY_{variable_part(handle)}_APP_PASSWORD")
    if specific:
        return specific
    config = current_app.config
    if config.get("IDEABOARD_BLUESKY_SANDBOX"):
        return SANDBOX_BLUESKY_PASSWORD
    default = str(config.get("IDEABOARD_BLUESKY_HANDLE") or "").lstrip("@").lower()
    if default and default == handle.lower():
        return config.get("IDEABOARD_BLUESKY_APP_PASSWORD")
    return None


def bluesky_connector(account: SocialAccount) -> Connector:
    from .bluesky import BlueskyConnector

    service = bluesky_service(account)
    password = bluesky_password(account.username) or ""
    if account.remote_user_id:
        store = bluesky_session_file(service, account.username, account.remote_user_id, password)
    else:  # an account being connected: who it is comes from a fresh login, never a kept one
        store = (lambda: None, lambda _session: None)
    return BlueskyConnector(
        handle=account.username,
        app_password=password,
        service_url=service,
        timeout=float(current_app.config["IDEABOARD_X_TIMEOUT_SECONDS"]),
        session_store=store,
    )


def bluesky_session_file(
    service: str, handle: str, did: str, password: str
) -> tuple[Callable[[], str | None], Callable[[str], None]]:
    """Keep a Bluesky login session in the instance folder (0600), so every process (a cron
    `import-mentions`, each worker) reuses it: Bluesky allows about 100 logins a day.

    The file is named by a hash of the server, handle, the account's DID and app password: a
    new password or another account under the same handle never reuses an old session, and
    the name tells nothing. It holds tokens, never the password."""
    key = hashlib.sha256(f"{service.rstrip('/')}|{handle.lower()}|{did}|{password}".encode())
    folder = Path(current_app.instance_path) / "bluesky-sessions"
    path = folder / f"{key.hexdigest()[:32]}.json"

    def load() -> str | None:
        try:
            return path.read_text(encoding="utf-8") or None
        except OSError:
            return None

    def save(session: str) -> None:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle_file:
            handle_file.write(session)
        os.replace(temporary, path)  # whole, or not at all: a reader never sees half

    return load, save


def mastodon_instance(account: SocialAccount | None = None) -> str | None:
    """The Mastodon instance an account lives on; refused in clear text but on loopback."""
    config = current_app.config
    if account is not None and account.service_url:
        url: str | None = account.service_url
    elif config.get("IDEABOARD_MASTODON_SANDBOX"):
        url = sandbox_url("mastodon")
    else:
        url = config.get("IDEABOARD_MASTODON_BASE_URL")
    check_service_url("IDEABOARD_MASTODON_BASE_URL", url)
    return url


def mastodon_token(username: str) -> str | None:
    """IDEABOARD_MASTODON_<USERNAME>_ACCESS_TOKEN, else the default account's token."""
    specific = os.environ.get(f"IDEABOARD_MASTODON_{variable_part(username)}_ACCESS_TOKEN")
    if specific:
        return specific
    config = current_app.config
    if config.get("IDEABOARD_MASTODON_SANDBOX"):
        return SANDBOX_MASTODON_TOKEN
    return config.get("IDEABOARD_MASTODON_ACCESS_TOKEN")


def mastodon_connector(account: SocialAccount) -> Connector:
    from .mastodon import MastodonConnector

    return MastodonConnector(
        base_url=mastodon_instance(account) or "",
        access_token=mastodon_token(account.username) or "",
        timeout=float(current_app.config["IDEABOARD_X_TIMEOUT_SECONDS"]),
    )


def x_connector(account: SocialAccount) -> XConnector:
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
    """Create each configured network's brand account on first use; return the first account.

    A job step (the CLI and the worker call it): it commits, and asks the network who the
    account is with no transaction open. X's account comes from IDEABOARD_X_USER_ID (or the
    sandbox); Bluesky's from IDEABOARD_BLUESKY_HANDLE, Mastodon's from
    IDEABOARD_MASTODON_BASE_URL (or their sandboxes). A network that cannot be reached now is
    tried again on the next call.
    """
    _ensure_x_account()
    for slug in ("bluesky", "mastodon"):
        if _configured(slug) and not _has_account(slug):
            try:
                _connect_default(slug)
            except FetchError as error:
                db.session.rollback()
                logger.warning("the %s account could not be connected: %s", slug, error.message)
    return db.session.scalar(select(SocialAccount).order_by(SocialAccount.id).limit(1))


def _has_account(slug: str) -> bool:
    return (
        db.session.scalar(select(SocialAccount.id).where(SocialAccount.network == slug).limit(1))
        is not None
    )


def _configured(slug: str) -> bool:
    config = current_app.config
    if slug == "bluesky":
        return bool(
            config.get("IDEABOARD_BLUESKY_SANDBOX") or config.get("IDEABOARD_BLUESKY_HANDLE")
        )
    return bool(
        config.get("IDEABOARD_MASTODON_SANDBOX") or config.get("IDEABOARD_MASTODON_BASE_URL")
    )


def _connect_default(slug: str) -> SocialAccount:
    """Ask the network who the configured account is, and connect it."""
    config = current_app.config
    if slug == "bluesky":
        handle = str(config.get("IDEABOARD_BLUESKY_HANDLE") or "")
        if config.get("IDEABOARD_BLUESKY_SANDBOX") and not handle:
            handle = SANDBOX_BLUESKY_HANDLE
        probe = SocialAccount(network=slug, username=handle.lstrip("@"), remote_user_id="")
        service = bluesky_service()
    else:
        probe = SocialAccount(network=slug, username="", remote_user_id="")
        service = mastodon_instance() or ""
    db.session.commit()  # nothing open while we ask the network
    return connect_account(probe, service)


def identify(probe: SocialAccount, service: str) -> Identity:
    """Log in as the (unsaved) account `probe` on `service` and learn who it is: its id,
    handle and, on Mastodon, the instance's post limit. FetchError when the network refuses
    or cannot be reached. Call it with no transaction open."""
    probe.service_url = service
    connector = connector_for(probe)
    try:
        return connector.identify()
    finally:
        connector.close()


def connect_account(probe: SocialAccount, service: str) -> SocialAccount:
    """Log in as the (unsaved) account `probe`, learn who it is, and add it (committed)."""
    return save_account(probe, service, identify(probe, service))


def save_account(probe: SocialAccount, service: str, who: Identity) -> SocialAccount:
    """Add the account `probe` turned out to be (committed)."""
    account = SocialAccount(
        network=probe.network,
        remote_user_id=who.remote_user_id,
        username=who.username,
        display_name=who.display_name or who.username,
        service_url=service,
        post_limit=who.post_limit,
        tags=",".join(current_app.config["IDEABOARD_IDEA_TAGS"]),
        signature="IB",
    )
    db.session.add(account)
    db.session.commit()
    return account


def _ensure_x_account() -> None:
    if _has_account("x"):
        return
    config = current_app.config
    if config.get("IDEABOARD_X_SANDBOX") and not config.get("IDEABOARD_X_USER_ID"):
        user_id, username = SANDBOX_BRAND_ID, SANDBOX_BRAND_USERNAME
    elif config.get("IDEABOARD_X_USER_ID"):
        user_id = str(config["IDEABOARD_X_USER_ID"])
        username = str(config.get("IDEABOARD_X_USERNAME") or "")
        if not username:
            db.session.commit()  # nothing open while we ask X
            probe = x_connector(SocialAccount(remote_user_id=user_id, username=""))
            try:
                username = probe.identify().username
            finally:
                probe.close()
    else:
        return
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
                elif error.auth:
                    # Refused credentials do not mend by asking again: staff see the reason
                    # on the accounts page, and the account is tried again hourly.
                    account.last_error = f"the network refused the credentials: {error.message}"
                    account.next_poll_at = now + AUTH_RECHECK
                db.session.commit()
                logger.warning("import for @%s failed: %s", account.username, error.message)
                raise
            # X charges for every post read: count them at once, before any is processed.
            if network(connector.network).paid:
                usage.record_reads(account_id, len(mentions), now)
            db.session.commit()
            key = connector.cursor_key
            for offset in range(0, len(mentions), IMPORT_PAGE):
                page = mentions[offset : offset + IMPORT_PAGE]
                account = db.session.get_one(SocialAccount, account_id)
                outcomes = importer.process_page(account, page, now)
                newest = max((m.position for m in page), key=key)
                if account.since_id is None or key(newest) > key(account.since_id):
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
