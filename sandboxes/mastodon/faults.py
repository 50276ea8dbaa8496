"""Fault injection, the rate-limit window and the access token, kept in the sandbox database.

Faults apply to /api/v1 requests (not the instance documents). Each request in scope takes one
step of a counter; with a `seed`, step n draws from random.Random(f"{seed}:{n}"), so the same
requests meet the same faults. Order per request: `burst_429` (the next N requests), then
`rate_429`, `timeout_rate`, `error_rate`; `latency_ms` is added to every request in scope.
A timeout sleeps `timeout_sleep_s` and then, with `timeout_then="complete"`, still performs the
request (a real server does not know the client gave up: a timed-out POST may well have made
the status); with "drop" it answers 503 without doing anything.

The rate limit is Mastodon's: one window (5 minutes by default) per account for all API
calls; every answer says X-RateLimit-Limit, -Remaining and -Reset (an ISO 8601 time).
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..common import faults as engine
from ..common.faults import FaultDecision as FaultDecision
from .store import SandboxStore

ENDPOINTS = ("verify_credentials", "notifications", "statuses.create", "statuses.read")
DEFAULT_RATE_LIMIT = {"limit": 300, "window_s": 300}


@dataclass(frozen=True)
class FaultConfig(engine.FaultSwitches):
    """The fault switches; the defaults inject nothing. `endpoint` is one of ENDPOINTS, or None
    for every /api/v1 route; `rate_429` is the chance of a 429 per request after the burst."""

    rate_429: float = 0.0
    reset_s: float = 3.0  # how far ahead an injected 429's X-RateLimit-Reset lies

    ENDPOINTS = ENDPOINTS
    RATES = ("error_rate", "timeout_rate", "rate_429")
    RESET_SWITCH = "reset_s"
    DURATION_MAX = 3600
    BURST_MAX = 1_000_000
    BURST_KIND = "429"

    def extra_429(self, rng: random.Random) -> bool:
        """Roll the `rate_429` dice."""
        return rng.random() < self.rate_429


def set_faults(store: SandboxStore | str, **switches: Any) -> FaultConfig:
    """Replace the fault switches (unnamed ones go back to their defaults); restart the count."""
    return engine.set_faults(SandboxStore.of(store), FaultConfig, switches)


def clear_faults(store: SandboxStore | str) -> None:
    """Switch every fault off."""
    set_faults(store)


def get_faults(store: SandboxStore | str) -> FaultConfig:
    """The current fault switches."""
    return engine.get_faults(SandboxStore.of(store), FaultConfig)


def draw(store: SandboxStore, endpoint: str) -> FaultDecision:
    """Take one step for a request to endpoint and decide which fault, if any, it meets."""
    return engine.draw(store, FaultConfig, endpoint)


# rate limit --------------------------------------------------------------------------------------
def set_rate_limit(
    store: SandboxStore | str, *, limit: int = 300, window_s: int = 300
) -> dict[str, int]:
    """Set the requests allowed per window (per account, all API calls) and start a new window."""
    for name, value in (("limit", limit), ("window_s", window_s)):
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1_000_000:
            raise ValueError(f"{name} must be an integer from 1 to 1000000")
    config = {"limit": limit, "window_s": window_s}
    store = SandboxStore.of(store)
    with store.transaction(write=True) as tx:
        store.put_setting(tx, "rate_limit", config)
        tx.execute("DELETE FROM settings WHERE key = 'rate_window'")
    return config


def count_request(store: SandboxStore) -> tuple[int, int, float, bool]:
    """Count one API call: (limit, remaining, reset epoch, allowed)."""
    now = time.time()
    with store.transaction(write=True) as tx:
        config = store.get_setting(tx, "rate_limit", DEFAULT_RATE_LIMIT)
        window = store.get_setting(tx, "rate_window")
        if window is None or window["reset"] <= now:
            window = {"reset": math.ceil(now + config["window_s"]), "count": 0}
        window["count"] += 1
        store.put_setting(tx, "rate_window", window)
    limit = int(config["limit"])
    return limit, max(0, limit - window["count"]), float(window["reset"]), window["count"] <= limit


def iso_time(epoch: float) -> str:
    """An epoch time as Mastodon writes X-RateLimit-Reset: ISO 8601, UTC."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}Z"


# the access token ------------------------------------------------------------------------------
def revoke_token(store: SandboxStore | str) -> None:
    """Revoke the brand's access token (as "Revoke" under Preferences → Authorized apps does)."""
    _token_state(store, revoked=True)


def restore_token(store: SandboxStore | str) -> None:
    """Make the brand's access token valid again."""
    _token_state(store, revoked=False)


def _token_state(store: SandboxStore | str, *, revoked: bool) -> None:
    store = SandboxStore.of(store)
    with store.transaction(write=True) as tx:
        token = store.get_setting(tx, "token") or {}
        store.put_setting(tx, "token", {**token, "revoked": revoked})


apply_sleep = engine.sleep_for
