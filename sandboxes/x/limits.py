"""Per-endpoint rate limits in 15-minute windows, kept in the sandbox database.

The limits are X's published per-user numbers. A `scale` multiplies them (0.02 makes 75 into 1 for
tests; 10 gives a demo room), and `unlimited` keeps the headers but never answers 429.
"""

from __future__ import annotations

import math
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from .problems import ApiError
from .store import SandboxStore

WINDOW_15_MIN = 15 * 60
WINDOW_24_H = 24 * 60 * 60

# endpoint key -> (requests per window, window seconds)
LIMITS: dict[str, tuple[int, int]] = {
    "users_me": (75, WINDOW_15_MIN),
    "mentions": (300, WINDOW_15_MIN),
    "create_tweet": (100, WINDOW_15_MIN),
    "delete_tweet": (50, WINDOW_15_MIN),
    "search": (450, WINDOW_15_MIN),
    "tweet_lookup": (900, WINDOW_15_MIN),
}
# Extra 24-hour app bucket for POST /2/tweets, reported as x-app-limit-24hour-*.
APP_DAY_BUCKET = "create_tweet_app_24h"
APP_DAY_LIMIT = 10_000

DEFAULT_CONFIG: dict[str, Any] = {"scale": 1.0, "unlimited": False}


@dataclass(frozen=True)
class Bucket:
    """The state of one rate-limit bucket after (or without) counting a request."""

    limit: int
    remaining: int
    reset: int
    exceeded: bool

    def headers(self, prefix: str = "x-rate-limit") -> dict[str, str]:
        """Return the three X headers for this bucket."""
        return {
            f"{prefix}-limit": str(self.limit),
            f"{prefix}-remaining": str(self.remaining),
            f"{prefix}-reset": str(self.reset),
        }


def get_config(store: SandboxStore | str) -> dict[str, Any]:
    """Return the rate-limit configuration: {"scale": float, "unlimited": bool}."""
    store = SandboxStore.of(store)
    with store.transaction() as tx:
        return {**DEFAULT_CONFIG, **store.get_setting(tx, "rate_limits", {})}


def set_config(store: SandboxStore | str, *, scale: float = 1.0, unlimited: bool = False) -> None:
    """Set the limit multiplier or switch limits off, and start fresh windows."""
    store = SandboxStore.of(store)
    if not (isinstance(scale, int | float) and math.isfinite(scale) and scale > 0):
        raise ValueError("scale must be a positive number")
    with store.transaction(write=True) as tx:
        store.put_setting(tx, "rate_limits", {"scale": float(scale), "unlimited": bool(unlimited)})
        tx.execute("DELETE FROM rate_limits")


def _limit(base: int, config: dict[str, Any]) -> int:
    return max(1, int(base * float(config["scale"])))


def _bucket(
    store: SandboxStore,
    tx: sqlite3.Connection,
    name: str,
    base: int,
    window: int,
    count: bool,
    now: float,
) -> Bucket:
    config = {**DEFAULT_CONFIG, **store.get_setting(tx, "rate_limits", {})}
    limit = _limit(base, config)
    row = tx.execute(
        "SELECT window_start, used FROM rate_limits WHERE bucket = ?", (name,)
    ).fetchone()
    start, used = (now, 0) if row is None else (float(row["window_start"]), int(row["used"]))
    if now >= start + window:
        start, used = now, 0
    reset = int(start + window)
    if config["unlimited"]:
        return Bucket(limit, limit, reset, exceeded=False)
    if not count:
        return Bucket(limit, max(limit - used, 0), reset, exceeded=False)
    if used >= limit:
        return Bucket(limit, 0, reset, exceeded=True)
    used += 1
    tx.execute(
        "INSERT INTO rate_limits (bucket, window_start, used) VALUES (?, ?, ?)"
        " ON CONFLICT (bucket) DO UPDATE SET window_start = excluded.window_start,"
        " used = excluded.used",
        (name, start, used),
    )
    return Bucket(limit, limit - used, reset, exceeded=False)


def check(store: SandboxStore, endpoint: str, *, count: bool = True) -> dict[str, str]:
    """Count one request to endpoint; return the headers, or raise ApiError 429 when exhausted."""
    base, window = LIMITS[endpoint]
    now = time.time()
    with store.transaction(write=count) as tx:
        bucket = _bucket(store, tx, endpoint, base, window, count, now)
        headers = bucket.headers()
        if endpoint == "create_tweet" and not bucket.exceeded:
            day = _bucket(store, tx, APP_DAY_BUCKET, APP_DAY_LIMIT, WINDOW_24_H, count, now)
            headers.update(day.headers("x-app-limit-24hour"))
            if day.exceeded:
                bucket = day
    if bucket.exceeded:
        body = {
            "title": "Too Many Requests",
            "type": "about:blank",
            "status": 429,
            "detail": "Too Many Requests",
        }
        raise ApiError(429, body, headers)
    return headers


def usage(store: SandboxStore) -> dict[str, dict[str, int]]:
    """Return every bucket's limit, remaining and reset, for the sandbox page and tests."""
    now = time.time()
    result: dict[str, dict[str, int]] = {}
    with store.transaction() as tx:
        for name, (base, window) in LIMITS.items():
            bucket = _bucket(store, tx, name, base, window, False, now)
            result[name] = {
                "limit": bucket.limit,
                "remaining": bucket.remaining,
                "reset": bucket.reset,
            }
    return result
