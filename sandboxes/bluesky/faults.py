"""Fault injection for the /xrpc routes, stored in the sandbox database so every process sees it.

Each /xrpc request in scope takes one step of a counter kept in the database; with a `seed`,
step n draws from `random.Random(f"{seed}:{n}")`, so the same sequence of requests meets the
same faults. Order of checks per request: `burst_429` (the next N requests), then
`timeout_rate`, then `error_rate`; `latency_ms` is added to every request in scope. `endpoint`
limits the faults to one method (an NSID such as com.atproto.repo.createRecord).

A timeout sleeps `timeout_sleep_s` and then, with `timeout_then="complete"` (the default),
still performs the request, as a real server does after the client gave up: a timed-out
createRecord may well have made the post. With `timeout_then="drop"` it answers 503 instead.
The engine is sandboxes/common/faults.py; this module adds the XRPC methods and errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..common import faults as engine
from ..common.faults import FaultDecision as FaultDecision
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
class FaultConfig(engine.FaultSwitches):
    """The fault switches; the defaults inject nothing. `endpoint` is one of ENDPOINTS."""

    burst_429_reset_s: float = 3.0

    ENDPOINTS = ENDPOINTS
    DURATION_MAX = 600_000
    BURST_MAX = 1_000_000


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


def _rate_limited(reset_at: float) -> Exception:
    return rate_limit_error(
        {
            "ratelimit-limit": "3000",
            "ratelimit-remaining": "0",
            "ratelimit-reset": str(math.ceil(reset_at)),
            "ratelimit-policy": "3000;w=300",
        }
    )


def apply(decision: FaultDecision) -> None:
    """Sleep for latency and timeouts; raise the injected 429 or server error."""
    engine.apply(decision, rate_limited=_rate_limited, server_error=server_error)
