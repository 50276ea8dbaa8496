"""Rate limits in fixed windows, with Bluesky's ratelimit-* headers, kept in the database.

The numbers are Bluesky's published ones for a PDS: 3000 requests per 5 minutes overall,
30 logins per 5 minutes per account, and 5000 write points an hour (a created record costs
3 points, so 1666 posts). `scale` multiplies them (tests use a small scale to reach a limit
quickly) and `unlimited` keeps the headers but never answers 429.
"""

from __future__ import annotations

import math
import time
from typing import Any

from .errors import XrpcError
from .store import SandboxStore

# bucket -> (requests per window, window seconds)
LIMITS: dict[str, tuple[int, int]] = {
    "global": (3000, 300),
    "createSession": (30, 300),
    "write": (1666, 3600),
}
DEFAULT_CONFIG: dict[str, Any] = {"scale": 1.0, "unlimited": False}


def get_config(store: SandboxStore | str) -> dict[str, Any]:
    """The configuration: {"scale": float, "unlimited": bool}."""
    store = SandboxStore.of(store)
    with store.transaction() as tx:
        return {**DEFAULT_CONFIG, **store.get_setting(tx, "rate_limits", {})}


def set_config(store: SandboxStore | str, *, scale: float = 1.0, unlimited: bool = False) -> None:
    """Set the multiplier or switch limits off; every window starts afresh."""
    if not (
        isinstance(scale, int | float)
        and not isinstance(scale, bool)
        and math.isfinite(scale)
        and 0 < scale <= 1000
    ):
        raise ValueError("scale must be a number above 0 and at most 1000")
    if not isinstance(unlimited, bool):
        raise ValueError("unlimited must be true or false")
    store = SandboxStore.of(store)
    with store.transaction(write=True) as tx:
        store.put_setting(tx, "rate_limits", {"scale": float(scale), "unlimited": unlimited})
        tx.execute("DELETE FROM rate_limits")


def rate_limit_error(headers: dict[str, str]) -> XrpcError:
    """The 429 a PDS answers."""
    return XrpcError(429, "RateLimitExceeded", "Rate Limit Exceeded", headers)


def check(store: SandboxStore, bucket: str) -> dict[str, str]:
    """Count one request in bucket; return its headers or raise the 429 when it is spent."""
    base, window = LIMITS[bucket]
    now = time.time()
    with store.transaction(write=True) as tx:
        config = {**DEFAULT_CONFIG, **store.get_setting(tx, "rate_limits", {})}
        limit = max(1, int(base * float(config["scale"])))
        row = tx.execute(
            "SELECT window_start, used FROM rate_limits WHERE bucket = ?", (bucket,)
        ).fetchone()
        start, used = (now, 0) if row is None else (float(row["window_start"]), int(row["used"]))
        if now >= start + window:
            start, used = now, 0
        exceeded = not config["unlimited"] and used >= limit
        if not exceeded:
            used += 1
            tx.execute(
                "INSERT INTO rate_limits (bucket, window_start, used) VALUES (?, ?, ?)"
                " ON CONFLICT (bucket) DO UPDATE SET window_start = excluded.window_start,"
                " used = excluded.used",
                (bucket, start, used),
            )
    headers = {
        "ratelimit-limit": str(limit),
        "ratelimit-remaining": str(limit if config["unlimited"] else max(limit - used, 0)),
        "ratelimit-reset": str(math.ceil(start + window)),
        "ratelimit-policy": f"{limit};w={window}",
    }
    if exceeded:
        raise rate_limit_error(headers)
    return headers
