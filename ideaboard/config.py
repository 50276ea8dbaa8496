"""Settings: embedded defaults, then the environment, then the mapping given to create_app."""

from __future__ import annotations

import ipaddress
import math
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from limits import parse_many


def _env_list(name: str, default: str) -> list[str]:
    raw = os.environ.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def _secret_key(instance_path: str) -> str:
    """Return SECRET_KEY from the environment, else a key kept in the instance folder."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        # Created owner-only in one step: never readable by others, not even for a moment.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as file:
        file.write(key)
    return key


def create_private_file(path: str | Path) -> None:
    """Make sure path exists and only its owner can read it (0600), creating it so.

    For the SQLite files in the instance folder, which hold webhook signing secrets and
    password hashes; SQLite gives its -wal and -shm files the database file's mode.
    """
    path = Path(path)
    if not path.parent.is_dir():
        return  # SQLite will say what is wrong with the path
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            try:
                path.chmod(0o600)
            except PermissionError:  # someone else's file: leave it to its owner
                pass


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for plain postgres:// URLs, as hosting platforms hand them out."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _env_number(name: str) -> dict[str, float]:
    """A number (0 or more, decimals allowed) from the environment, if set."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return {}
    try:
        value = float(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be a number, not {raw!r}") from None
    if not math.isfinite(value) or value < 0:
        raise RuntimeError(f"{name} must be a number of 0 or more, not {raw!r}")
    return {name: value}


def _env_limit(name: str) -> dict[str, str]:
    """A rate limit in flask-limiter's syntax ("10 per minute", "100/hour;1000/day"), if set.

    Checked here, at start-up: a typo would otherwise only show on the first request the
    limit guards, as a 500.
    """
    raw = os.environ.get(name, "").strip()
    if not raw:
        return {}
    try:
        parsed = parse_many(raw)
    except ValueError:
        parsed = []
    if not parsed:
        raise RuntimeError(
            f"{name} must be a rate limit like '10 per minute' or '100/hour;1000/day', not {raw!r}"
        )
    return {name: raw}


def _env_int(name: str) -> dict[str, int]:
    raw = os.environ.get(name)
    if not raw:
        return {}
    try:
        value = int(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be a whole number of bytes, not {raw!r}") from None
    if value < 1:
        raise RuntimeError(f"{name} must be at least 1 byte, not {value}")
    return {name: value}


def _env_count(name: str) -> dict[str, int]:
    """A whole number of things (0 or more) from the environment, if set."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return {}
    try:
        value = int(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be a whole number, not {raw!r}") from None
    if value < 0:
        raise RuntimeError(f"{name} must be 0 or more, not {value}")
    return {name: value}


def _env_page_size(name: str) -> dict[str, int]:
    """How many ideas a page lists: 1 to 100 (a bigger page is a slower page for everyone)."""
    found = _env_count(name)
    if found and not 1 <= found[name] <= 100:
        raise RuntimeError(f"{name} must be from 1 to 100, not {found[name]}")
    return found


# The rate limits an operator may change (flask-limiter syntax; see the README's table).
LIMIT_SETTINGS = (
    "IDEABOARD_LIMIT_LOGIN",
    "IDEABOARD_LIMIT_REGISTER",
    "IDEABOARD_LIMIT_RESET",
    "IDEABOARD_LIMIT_SUBMIT",
    "IDEABOARD_LIMIT_COMMENT",
    "IDEABOARD_API_LIMIT",
    "IDEABOARD_API_LIMIT_TOKENS",
)


def _renamed(found: dict[str, Any], name: str) -> dict[str, Any]:
    """A setting read from the environment under another config key (e.g. Flask-WTF's)."""
    return {name: next(iter(found.values()))} if found else {}


def _env_switch(name: str) -> bool:
    """On only for the exact value "1": "yes", "true" or a typo never switch a risky mode on."""
    return os.environ.get(name, "") == "1"


def load_settings(instance_path: str) -> dict[str, Any]:
    """Read the settings from the environment at app-creation time (never at import time)."""
    sqlite_path = Path(instance_path) / "ideaboard.sqlite"
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{sqlite_path}"
    redis_url = os.environ.get("REDIS_URL") or None
    return {
        **_env_number("IDEABOARD_OUTBOX_STALE_SECONDS"),
        **_env_number("IDEABOARD_IMPORT_LEASE_SECONDS"),
        **_env_number("IDEABOARD_X_TIMEOUT_SECONDS"),
        **_env_number("IDEABOARD_WORKER_INTERVAL_SECONDS"),
        **_env_number("IDEABOARD_PAGE_CACHE_SECONDS"),
        **_env_number("IDEABOARD_SHARED_PAGE_SECONDS"),
        **_env_number("IDEABOARD_WORKER_STALE_SECONDS"),
        **_env_number("IDEABOARD_WORKER_BACKOFF_MAX_SECONDS"),
        **_env_int("IDEABOARD_MAX_CONTENT_LENGTH"),
        **_env_number("IDEABOARD_REMEMBER_DAYS"),
        **_env_number("IDEABOARD_SESSION_IDLE_HOURS"),
        **_env_number("IDEABOARD_SIGNIN_MAX_FAILURES"),
        **_env_number("IDEABOARD_SIGNIN_WINDOW_SECONDS"),
        **_env_number("IDEABOARD_SIGNIN_LOCK_SECONDS"),
        **_env_number("IDEABOARD_HSTS_SECONDS"),
        **_env_number("IDEABOARD_PROXY_FIX"),
        **_env_number("IDEABOARD_SMTP_TIMEOUT_SECONDS"),
        **_env_number("IDEABOARD_X_COST_POST"),
        **_env_number("IDEABOARD_X_COST_POST_WITH_URL"),
        **_env_number("IDEABOARD_X_COST_READ"),
        **_env_number("IDEABOARD_RESET_LINK_MINUTES"),
        **_env_number("IDEABOARD_VERIFY_LINK_DAYS"),
        **_env_number("IDEABOARD_RESPONSE_TARGET_HOURS"),
        **_env_count("IDEABOARD_ECHO_MAX_REPLIES"),
        **_env_count("IDEABOARD_X_OVERLAP_MINUTES"),
        **_env_count("IDEABOARD_SQLITE_BUSY_TIMEOUT_MS"),
        **_env_number("IDEABOARD_WEBHOOK_TIMEOUT_SECONDS"),
        **_env_page_size("IDEABOARD_PAGE_SIZE"),
        **_env_number("IDEABOARD_SPIKE_FACTOR"),
        **_env_count("IDEABOARD_SPIKE_MIN_COUNT"),
        **{name: value for key in LIMIT_SETTINGS for name, value in _env_limit(key).items()},
        **_renamed(_env_number("IDEABOARD_CSRF_TIME_LIMIT_SECONDS"), "WTF_CSRF_TIME_LIMIT"),
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "IDEABOARD_PUBLIC_URL": os.environ.get("IDEABOARD_PUBLIC_URL", "http://127.0.0.1:5000"),
        # The zone times are shown in to readers who chose none (an IANA name, e.g.
        # "Asia/Seoul"); unset: Asia/Seoul for Korean readers, UTC for others (timezones.py).
        "IDEABOARD_TIMEZONE": os.environ.get("IDEABOARD_TIMEZONE") or None,
        # Host names the site answers to (Flask's TRUSTED_HOSTS); others get 400. Unset: any.
        "TRUSTED_HOSTS": _env_list("IDEABOARD_TRUSTED_HOSTS", "") or None,
        "IDEABOARD_IDEA_TAGS": _env_list("IDEABOARD_IDEA_TAGS", "idea,아이디어"),
        "IDEABOARD_DEFAULT_LOCALE": os.environ.get("IDEABOARD_DEFAULT_LOCALE", "en"),
        "IDEABOARD_X_BEARER_TOKEN": os.environ.get("IDEABOARD_X_BEARER_TOKEN"),
        "IDEABOARD_X_CONSUMER_KEY": os.environ.get("IDEABOARD_X_CONSUMER_KEY"),
        "IDEABOARD_X_CONSUMER_SECRET": os.environ.get("IDEABOARD_X_CONSUMER_SECRET"),
        "IDEABOARD_X_ACCESS_TOKEN": os.environ.get("IDEABOARD_X_ACCESS_TOKEN"),
        "IDEABOARD_X_ACCESS_TOKEN_SECRET": os.environ.get("IDEABOARD_X_ACCESS_TOKEN_SECRET"),
        "IDEABOARD_X_USER_ID": os.environ.get("IDEABOARD_X_USER_ID"),
        "IDEABOARD_X_API_URL": os.environ.get("IDEABOARD_X_API_URL"),
        "IDEABOARD_X_USERNAME": os.environ.get("IDEABOARD_X_USERNAME"),
        # The built-in sandbox X API, mounted at /x-sandbox (demo and tests; never with real
        # credentials). Only the exact value 1 switches it on.
        "IDEABOARD_X_SANDBOX": _env_switch("IDEABOARD_X_SANDBOX"),
        # Bluesky (docs/bluesky.md): the brand's handle and an app password (Settings → App
        # passwords), on the server the account lives on.
        "IDEABOARD_BLUESKY_HANDLE": os.environ.get("IDEABOARD_BLUESKY_HANDLE") or None,
        "IDEABOARD_BLUESKY_APP_PASSWORD": os.environ.get("IDEABOARD_BLUESKY_APP_PASSWORD") or None,
        "IDEABOARD_BLUESKY_SERVICE": os.environ.get("IDEABOARD_BLUESKY_SERVICE")
        or "https://bsky.social",
        "IDEABOARD_BLUESKY_SANDBOX": _env_switch("IDEABOARD_BLUESKY_SANDBOX"),
        # Mastodon (docs/mastodon.md): the instance and an application's access token.
        "IDEABOARD_MASTODON_BASE_URL": os.environ.get("IDEABOARD_MASTODON_BASE_URL") or None,
        "IDEABOARD_MASTODON_ACCESS_TOKEN": os.environ.get("IDEABOARD_MASTODON_ACCESS_TOKEN")
        or None,
        "IDEABOARD_MASTODON_SANDBOX": _env_switch("IDEABOARD_MASTODON_SANDBOX"),
        # Prometheus metrics at /metrics (ideaboard/ops.py): off unless set; then loopback
        # clients, or any client with `Authorization: Bearer <IDEABOARD_METRICS_TOKEN>`.
        "IDEABOARD_METRICS": _env_switch("IDEABOARD_METRICS"),
        "IDEABOARD_METRICS_TOKEN": os.environ.get("IDEABOARD_METRICS_TOKEN") or None,
        # Webhooks may go to private and loopback addresses (intranet receivers); off by
        # default, so admins cannot point the worker at internal services (ideaboard/netguard.py).
        "IDEABOARD_WEBHOOK_ALLOW_PRIVATE": os.environ.get("IDEABOARD_WEBHOOK_ALLOW_PRIVATE") == "1",
        # E-mail (ideaboard/mail): the SMTP server (smtp://, smtp+starttls://, smtps://), the
        # From address, a CA file for a private relay's certificate; without a server,
        # IDEABOARD_MAILBOX=1 (`make run`) keeps e-mails in a local mailbox at /dev/mailbox.
        "IDEABOARD_SMTP_URL": os.environ.get("IDEABOARD_SMTP_URL") or None,
        "IDEABOARD_MAIL_FROM": os.environ.get("IDEABOARD_MAIL_FROM") or "ideas@localhost",
        "IDEABOARD_SMTP_CA_FILE": os.environ.get("IDEABOARD_SMTP_CA_FILE") or None,
        "IDEABOARD_MAILBOX": _env_switch("IDEABOARD_MAILBOX"),
        "IDEABOARD_MAILBOX_DIR": os.environ.get("IDEABOARD_MAILBOX_DIR") or None,
        # The bare ceiling endpoint /_bench/ceiling for bench/run.py (never in production).
        "IDEABOARD_BENCH": os.environ.get("IDEABOARD_BENCH", "") in ("1", "true", "yes"),
    }


DEFAULTS: dict[str, Any] = {
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    # A form's CSRF token is good for 8 hours (IDEABOARD_CSRF_TIME_LIMIT_SECONDS); an expired
    # one gets a page that sends the kept text again with a fresh token (web._csrf_error).
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    # Sign-ins (accounts/sessions.py): "keep me logged in" lasts this many days; others end
    # after this many hours without a visit. Logout and "sign out" end them at once.
    "IDEABOARD_REMEMBER_DAYS": 30,
    "IDEABOARD_SESSION_IDLE_HOURS": 12,
    # Per-account sign-in throttling (accounts/throttle.py), shared by every process: this
    # many failures within the window lock the address for the lock time.
    "IDEABOARD_SIGNIN_MAX_FAILURES": 10,
    "IDEABOARD_SIGNIN_WINDOW_SECONDS": 900,
    "IDEABOARD_SIGNIN_LOCK_SECONDS": 900,
    # With an https IDEABOARD_PUBLIC_URL: Secure cookies and this Strict-Transport-Security
    # max-age (one year). IDEABOARD_PROXY_FIX: how many proxies in front to trust for
    # X-Forwarded-For/-Proto/-Host/-Prefix (0: none; see docs/deploy.md).
    "IDEABOARD_HSTS_SECONDS": 31_536_000,
    "IDEABOARD_PROXY_FIX": 0,
    "BABEL_DEFAULT_LOCALE": "en",
    # BABEL_TRANSLATION_DIRECTORIES is set by create_app: an absolute path to
    # ideaboard/translations, computed there rather than at import time.
    # WTForms' own messages ("This field is required.") in the reader's language.
    "WTF_I18N_ENABLED": True,
    "BABEL_DEFAULT_TIMEZONE": "UTC",
    "IDEABOARD_PAGE_SIZE": 20,
    # E-mail: seconds to wait for the SMTP server; how long a password-reset link works
    # (minutes) and a verification link (days).
    "IDEABOARD_SMTP_TIMEOUT_SECONDS": 10.0,
    "IDEABOARD_RESET_LINK_MINUTES": 60,
    "IDEABOARD_VERIFY_LINK_DAYS": 7,
    # Ideas without an answer after this many hours are marked overdue in the staff inbox
    # and listed in the teams' daily e-mail (mail/staff.py).
    "IDEABOARD_RESPONSE_TARGET_HOURS": 24,
    # Estimated X API prices (USD, docs.x.com pay-per-use, 2026) for the spend shown to staff
    # and the monthly cap: creating a post (a reply is a post), creating a post with a URL
    # (instead of the plain price, not on top of it), reading a post (each mention fetched).
    "IDEABOARD_X_COST_POST": 0.015,
    "IDEABOARD_X_COST_POST_WITH_URL": 0.20,
    "IDEABOARD_X_COST_READ": 0.005,
    "IDEABOARD_X_OVERLAP_MINUTES": 10,
    # A stage change replies to every post that raised the idea; above this many replies the
    # rows wait (state held) until staff confirm them, seeing the number and estimated cost.
    "IDEABOARD_ECHO_MAX_REPLIES": 100,
    # Spike alerts (listening/alerts.py, docs/listening.md): a class of mentions alerts staff
    # when an hour reaches this many times the same hour's median over the previous 7 days,
    # and at least this many mentions. Bounds: factor 1 to 100, count 1 to 1,000,000.
    "IDEABOARD_SPIKE_FACTOR": 3.0,
    "IDEABOARD_SPIKE_MIN_COUNT": 10,
    "IDEABOARD_WORKER_INTERVAL_SECONDS": 15,
    # A worker whose last heartbeat is older than this counts as stopped (/readyz, staff pages).
    "IDEABOARD_WORKER_STALE_SECONDS": 120,
    # The worker waits 1, 2, 4, … seconds (with jitter) after database errors, at most this.
    "IDEABOARD_WORKER_BACKOFF_MAX_SECONDS": 60,
    "IDEABOARD_X_TIMEOUT_SECONDS": 10.0,
    # A row still 'sending' after this long belongs to a sender that died; it is looked up
    # on X and sent again if missing. Must be well above the X client's timeout.
    "IDEABOARD_OUTBOX_STALE_SECONDS": 120,
    # An import lease expires this long after the last sign of life (renewed per mention),
    # so a crashed importer blocks its account only briefly.
    "IDEABOARD_IMPORT_LEASE_SECONDS": 60,
    "IDEABOARD_SQLITE_BUSY_TIMEOUT_MS": 30_000,
    # Anonymous visitors' copies of the board, idea and insight pages are kept this long
    # (ideaboard/pagecache.py); 0 turns the cache off.
    "IDEABOARD_PAGE_CACHE_SECONDS": 5,
    # The board and idea pages are rendered once per content, language, zone and role and
    # kept this long, with each reader's own parts filled in (ideaboard/memberpages.py): a
    # change to what a page shows renders it afresh at once. 0 renders every page from scratch.
    "IDEABOARD_SHARED_PAGE_SECONDS": 120,
    # Rate limits for customer actions (flask-limiter syntax); tests switch limiting off.
    "IDEABOARD_LIMIT_LOGIN": "10 per minute",
    "IDEABOARD_LIMIT_REGISTER": "5 per minute",
    # Password-reset requests and the other account e-mail forms (per client address; each
    # address also gets at most a few e-mails an hour, mail/account.py).
    "IDEABOARD_LIMIT_RESET": "5 per minute",
    "IDEABOARD_LIMIT_SUBMIT": "10 per minute",
    "IDEABOARD_LIMIT_COMMENT": "20 per minute",
    # API limits, per token (per address without one); tokens: per address, against guessing.
    "IDEABOARD_API_LIMIT": "300 per minute",
    "IDEABOARD_API_LIMIT_TOKENS": "10 per minute",
    # A webhook receiver has this long to answer before the delivery is retried.
    "IDEABOARD_WEBHOOK_TIMEOUT_SECONDS": 10.0,
    # The largest request body accepted (bytes); bigger ones get 413 before they are parsed.
    # create_app copies it to Flask's MAX_CONTENT_LENGTH. The longest form or JSON body the
    # site takes (an idea with its text) is a few kilobytes.
    "IDEABOARD_MAX_CONTENT_LENGTH": 1024 * 1024,
    # Form parsing limits (Werkzeug): text fields held in memory, and number of fields.
    "MAX_FORM_MEMORY_SIZE": 500_000,
    "MAX_FORM_PARTS": 1000,
}


def is_loopback_host(host: str | None) -> bool:
    """Whether host names this machine: localhost, 127.0.0.0/8 or ::1 (brackets allowed)."""
    if not host:
        return False
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_service_url(setting: str, url: str | None) -> None:
    """Refuse a network's server address that would carry credentials in clear text.

    Only https, or http to this machine (a sandbox, a test server), is accepted."""
    if not url:
        return
    try:
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), parts.hostname
    except ValueError:
        scheme, host = "", None
    if scheme == "https" and host:
        return
    if scheme == "http" and is_loopback_host(host):
        return
    raise RuntimeError(
        f"{setting} must be an https:// URL (or http:// to 127.0.0.1, ::1 or localhost), "
        f"not {url!r}: the account's credentials would travel in clear text"
    )


def check_x_api_url(url: str | None) -> None:
    """Refuse an X API base URL that would carry signed requests in clear text.

    X credentials sign every request; over plain http anyone on the path reads the traffic.
    Only https, or http to this machine (the sandbox, a test server), is accepted.
    """
    if not url:
        return
    try:
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), parts.hostname
    except ValueError:  # e.g. an unclosed "[" around an IPv6 address
        scheme, host = "", None
    if scheme == "https" and host:
        return
    if scheme == "http" and is_loopback_host(host):
        return
    raise RuntimeError(
        f"IDEABOARD_X_API_URL must be an https:// URL (or http:// to 127.0.0.1, ::1 or "
        f"localhost), not {url!r}: X credentials would travel in clear text"
    )


def check_spike_settings(config: Any) -> None:
    """Fail at start-up on an IDEABOARD_SPIKE_FACTOR or IDEABOARD_SPIKE_MIN_COUNT out of bounds."""
    from .listening.spikes import SpikeSettings

    try:
        SpikeSettings.from_config(config)
    except ValueError as error:
        raise RuntimeError(str(error)) from None
