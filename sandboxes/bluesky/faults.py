"""Fault injection for the /xrpc routes, stored in the sandbox database so every process sees it.

Each /xrpc request in scope takes one step of a counter kept in the database; with a `seed`,
step n draws from `random.Random(f"{seed}:{n}")`, so the same sequence of requests meets the
same faults. Order of checks per request: `burst_429` (the next N requests), then
`timeout_rate`, then `error_rate`; `latency_ms` is added to every request in scope. `endpoint`
limits the faults to one method (an NSID such as com.atproto.repo.createRecord).

A timeout sleeps `timeout_sleep_s` and then, with `timeout_then="complete"` (the default),
still performs the request, as a real server does after the client gave up: a timed-out
createRecord may well have made the post. With `timeout_then="drop"` it answers 503 instead.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import asdict, dataclass, fields
from typing import Any

from .errors import server_error
from .limits import rate_limit_error
from .store import SandboxStore

# The methods the sandbox serves (fault scopes).
ENDPOINTS = (
    "com.atproto.server.createSession",
    "com.atproto.server.refreshSession",
    "com.atproto.server.getSession",
    "com.atproto.identity.resolveHandle",
    "com.atproto.repo.createRecord",
    "com.atproto.repo.deleteRecord",
    "app.bsky.actor.getProfile",
    "app.bsky.notification.listNotifications",
    "app.bsky.feed.getPosts",
    "app.bsky.feed.getPostThread",
)


@dataclass(frozen=True)
class FaultConfig:
    """The fault switches; the defaults inject nothing."""

    error_rate: float = 0.0
    error_status: int | None = None  # 500, 502, 503 or 504; None picks 500 or 503 per failure
    latency_ms: int = 0
    timeout_rate: float = 0.0
    timeout_sleep_s: float = 5.0
    timeout_then: str = "complete"
    burst_429: int = 0
    burst_429_reset_s: float = 3.0
    endpoint: str | None = None
    seed: int | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultConfig:
        """Validate a JSON mapping and build the config; raise ValueError on bad input."""
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown fault switches: {', '.join(unknown)}")
        config = cls(**data)
        for name in ("error_rate", "timeout_rate"):
            value = getattr(config, name)
            if not _is_number(value) or not 0 <= value <= 1:
                raise ValueError(f"{name} must be a number between 0 and 1")
        for name in ("latency_ms", "timeout_sleep_s", "burst_429_reset_s"):
            value = getattr(config, name)
            if not _is_number(value) or not 0 <= value <= 600_000:
                raise ValueError(f"{name} must be a number between 0 and 600000")
        if not isinstance(config.burst_429, int) or not 0 <= config.burst_429 <= 1_000_000:
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
        return bool(self.error_rate or self.latency_ms or self.timeout_rate or self.burst_429)

    def to_dict(self) -> dict[str, Any]:
        """The config as a JSON-ready mapping."""
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
    rng = random.Random(f"{current.seed}:{step}" if current.seed is not None else None)  # noqa: S311
    latency = current.latency_ms / 1000
    if current.burst_429 > 0:
        return FaultDecision(latency, "burst_429", 429, reset_s=current.burst_429_reset_s)
    if rng.random() < current.timeout_rate:
        return FaultDecision(
            latency, "timeout", sleep_s=current.timeout_sleep_s, then=current.timeout_then
        )
    if rng.random() < current.error_rate:
        return FaultDecision(latency, "error", current.error_status or rng.choice((500, 503)))
    return FaultDecision(latency)


def apply(decision: FaultDecision) -> None:
    """Sleep for latency and timeouts; raise the injected 429 or server error."""
    if decision.latency_s:
        time.sleep(decision.latency_s)
    if decision.kind == "burst_429":
        reset = math.ceil(time.time() + decision.reset_s)
        raise rate_limit_error(
            {
                "ratelimit-limit": "3000",
                "ratelimit-remaining": "0",
                "ratelimit-reset": str(reset),
                "ratelimit-policy": "3000;w=300",
            }
        )
    if decision.kind == "timeout":
        time.sleep(decision.sleep_s)
        if decision.then == "drop":
            raise server_error(503)
    if decision.kind == "error":
        raise server_error(decision.status)
