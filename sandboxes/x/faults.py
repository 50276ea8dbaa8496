"""Fault injection for the /2 routes, stored in the sandbox database so every process sees it.

Each /2 request in scope takes one step of a counter kept in the database; with a `seed`, step n
draws from `random.Random(f"{seed}:{n}")`, so the same sequence of requests meets the same faults.
Order of checks per request: `burst_429` (the next N requests), then `timeout_rate`, then
`error_rate`; `latency_ms` is added to every request in scope.

A timeout sleeps `timeout_sleep_s` and then, with `timeout_then="complete"` (the default), still
performs the request, as a real server does after the client gave up: a timed-out POST /2/tweets
may well have created the post. With `timeout_then="drop"` it answers 503 without doing anything.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import asdict, dataclass, fields
from typing import Any

from .limits import LIMITS
from .problems import ApiError, problem
from .store import SandboxStore

ENDPOINTS = tuple(LIMITS)


@dataclass(frozen=True)
class FaultConfig:
    """The fault switches; the defaults inject nothing."""

    error_rate: float = 0.0
    error_status: int | None = None  # 500 or 503; None picks one of them per failure
    latency_ms: int = 0
    timeout_rate: float = 0.0
    timeout_sleep_s: float = 5.0
    timeout_then: str = "complete"
    burst_429: int = 0
    burst_429_reset_s: float = 3.0
    endpoint: str | None = None  # one of ENDPOINTS, or None for every /2 route
    seed: int | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultConfig:
        """Validate a JSON mapping and build the config; raise ValueError on bad input."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault switches: {', '.join(unknown)}")
        config = cls(**data)
        for name in ("error_rate", "timeout_rate"):
            value = getattr(config, name)
            if not _is_number(value) or not 0 <= value <= 1:
                raise ValueError(f"{name} must be a number between 0 and 1")
        for name in ("latency_ms", "timeout_sleep_s", "burst_429_reset_s"):
            if not _is_number(getattr(config, name)) or getattr(config, name) < 0:
                raise ValueError(f"{name} must be a number >= 0")
        if not isinstance(config.burst_429, int) or config.burst_429 < 0:
            raise ValueError("burst_429 must be an integer >= 0")
        if config.error_status not in (None, 500, 502, 503, 504):
            raise ValueError("error_status must be 500, 502, 503, 504 or null")
        if config.timeout_then not in ("complete", "drop"):
            raise ValueError('timeout_then must be "complete" or "drop"')
        if config.endpoint is not None and config.endpoint not in ENDPOINTS:
            raise ValueError(f"endpoint must be one of {', '.join(ENDPOINTS)} or null")
        if config.seed is not None and not isinstance(config.seed, int):
            raise ValueError("seed must be an integer or null")
        return config

    def is_active(self) -> bool:
        """Tell whether any switch is on."""
        return bool(self.error_rate or self.latency_ms or self.timeout_rate or self.burst_429)

    def to_dict(self) -> dict[str, Any]:
        """Return the config as a JSON-ready mapping."""
        return asdict(self)


@dataclass(frozen=True)
class FaultDecision:
    """What to do to one request."""

    latency_s: float = 0.0
    kind: str | None = None  # None, "burst_429", "timeout" or "error"
    status: int = 0
    sleep_s: float = 0.0
    reset_s: float = 0.0
    then: str = "complete"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def set_faults(store: SandboxStore | str, **switches: Any) -> FaultConfig:
    """Replace the fault switches (unnamed ones go back to their defaults) and restart the count."""
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
    """Return the current fault switches."""
    store = SandboxStore.of(store)
    with store.transaction() as tx:
        return FaultConfig(**store.get_setting(tx, "faults", {}))


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
    seed = f"{current.seed}:{step}" if current.seed is not None else None
    rng = random.Random(seed)  # noqa: S311
    latency = current.latency_ms / 1000
    if current.burst_429 > 0:
        return FaultDecision(latency, "burst_429", 429, reset_s=current.burst_429_reset_s)
    if rng.random() < current.timeout_rate:
        return FaultDecision(
            latency, "timeout", sleep_s=current.timeout_sleep_s, then=current.timeout_then
        )
    if rng.random() < current.error_rate:
        status = current.error_status or rng.choice((500, 503))
        return FaultDecision(latency, "error", status)
    return FaultDecision(latency)


def apply(decision: FaultDecision, endpoint: str) -> None:
    """Sleep for latency/timeouts; raise ApiError for injected 429s and server errors."""
    if decision.latency_s:
        time.sleep(decision.latency_s)
    if decision.kind == "burst_429":
        reset = math.ceil(time.time() + decision.reset_s)
        limit = LIMITS[endpoint][0]
        headers = {
            "x-rate-limit-limit": str(limit),
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(reset),
        }
        error = problem(429, "Too Many Requests")
        raise ApiError(429, error.body, headers)
    if decision.kind == "timeout":
        time.sleep(decision.sleep_s)
        if decision.then == "drop":
            raise problem(503)
    if decision.kind == "error":
        raise problem(decision.status)
