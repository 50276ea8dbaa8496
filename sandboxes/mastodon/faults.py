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
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any

from .store import SandboxStore

ENDPOINTS = ("verify_credentials", "notifications", "statuses.create", "statuses.read")
DEFAULT_RATE_LIMIT = {"limit": 300, "window_s": 300}


@dataclass(frozen=True)
class FaultConfig:
    """The fault switches; the defaults inject nothing."""

    error_rate: float = 0.0
    error_status: int | None = None  # 500, 502, 503 or 504; None picks 500 or 503
    latency_ms: int = 0
    timeout_rate: float = 0.0
    timeout_sleep_s: float = 5.0
    timeout_then: str = "complete"
    rate_429: float = 0.0
    burst_429: int = 0
    reset_s: float = 3.0  # how far ahead an injected 429's X-RateLimit-Reset lies
    endpoint: str | None = None  # one of ENDPOINTS, or None for every /api/v1 route
    seed: int | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultConfig:
        """Validate a JSON mapping and build the config; raise ValueError on bad input."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault switches: {', '.join(unknown)}")
        config = cls(**data)
        for name in ("error_rate", "timeout_rate", "rate_429"):
            value = getattr(config, name)
            if not _is_number(value) or not 0 <= value <= 1:
                raise ValueError(f"{name} must be a number between 0 and 1")
        for name in ("latency_ms", "timeout_sleep_s", "reset_s"):
            value = getattr(config, name)
            if not _is_number(value) or not 0 <= value <= 3600:
                raise ValueError(f"{name} must be a number from 0 to 3600")
        if not isinstance(config.burst_429, int) or isinstance(config.burst_429, bool):
            raise ValueError("burst_429 must be an integer >= 0")
        if not 0 <= config.burst_429 <= 1_000_000:
            raise ValueError("burst_429 must be an integer >= 0")
        if config.error_status not in (None, 500, 502, 503, 504):
            raise ValueError("error_status must be 500, 502, 503, 504 or null")
        if config.timeout_then not in ("complete", "drop"):
            raise ValueError('timeout_then must be "complete" or "drop"')
        if config.endpoint is not None and config.endpoint not in ENDPOINTS:
            raise ValueError(f"endpoint must be one of {', '.join(ENDPOINTS)} or null")
        if config.seed is not None and (
            not isinstance(config.seed, int) or isinstance(config.seed, bool)
        ):
            raise ValueError("seed must be an integer or null")
        return config

    def is_active(self) -> bool:
        """Whether any switch is on."""
        return bool(
            self.error_rate
            or self.latency_ms
            or self.timeout_rate
            or self.burst_429
            or self.rate_429
        )

    def to_dict(self) -> dict[str, Any]:
        """The config as a JSON-ready mapping."""
        return asdict(self)


@dataclass(frozen=True)
class FaultDecision:
    """What to do to one request."""

    latency_s: float = 0.0
    kind: str | None = None  # None, "429", "timeout" or "error"
    status: int = 0
    sleep_s: float = 0.0
    reset_s: float = 0.0
    then: str = "complete"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def set_faults(store: SandboxStore | str, **switches: Any) -> FaultConfig:
    """Replace the fault switches (unnamed ones go back to their defaults); restart the count."""
    config = FaultConfig.from_dict(switches)
    store = SandboxStore.of(store)
    with store.transaction(write=True) as tx:
        store.put_setting(tx, "faults", config.to_dict())
        store.put_setting(tx, "fault_counter", 0)
    return config


def clear_faults(store: SandboxStore | str) -> None:
    """Switch every fault off."""
    set_faults(store)


def get_faults(store: SandboxStore | str) -> FaultConfig:
    """The current fault switches."""
    return FaultConfig(**SandboxStore.of(store).setting("faults", {}))


def draw(store: SandboxStore, endpoint: str) -> FaultDecision:
    """Take one step for a request to endpoint and decide which fault, if any, it meets."""
    config = get_faults(store)
    if not config.is_active() or config.endpoint not in (None, endpoint):
        return FaultDecision()
    with store.transaction(write=True) as tx:
        current = FaultConfig(**store.get_setting(tx, "faults", {}))
        step = int(store.get_setting(tx, "fault_counter", 0)) + 1
        store.put_setting(tx, "fault_counter", step)
        if current.burst_429 > 0:
            store.put_setting(
                tx, "faults", {**current.to_dict(), "burst_429": current.burst_429 - 1}
            )
    # Fault dice, not security: a seeded Random makes a run reproducible.
    rng = random.Random(f"{current.seed}:{step}" if current.seed is not None else None)  # noqa: S311
    latency = current.latency_ms / 1000
    if current.burst_429 > 0 or rng.random() < current.rate_429:
        return FaultDecision(latency, "429", 429, reset_s=current.reset_s)
    if rng.random() < current.timeout_rate:
        return FaultDecision(
            latency, "timeout", sleep_s=current.timeout_sleep_s, then=current.timeout_then
        )
    if rng.random() < current.error_rate:
        return FaultDecision(latency, "error", current.error_status or rng.choice((500, 503)))
    return FaultDecision(latency)


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


def apply_sleep(decision: FaultDecision) -> None:
    """Sleep for the decision's latency and, for a timeout, its sleep."""
    if decision.latency_s:
        time.sleep(decision.latency_s)
    if decision.kind == "timeout":
        time.sleep(decision.sleep_s)
