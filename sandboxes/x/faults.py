"""Fault injection for the /2 routes, stored in the sandbox database so every process sees it.

Each /2 request in scope takes one step of a counter kept in the database; with a `seed`, step n
draws from `random.Random(f"{seed}:{n}")`, so the same sequence of requests meets the same faults.
Order of checks per request: `burst_429` (the next N requests), then `timeout_rate`, then
`error_rate`; `latency_ms` is added to every request in scope.

A timeout sleeps `timeout_sleep_s` and then, with `timeout_then="complete"` (the default), still
performs the request, as a real server does after the client gave up: a timed-out POST /2/tweets
may well have created the post. With `timeout_then="drop"` it answers 503 without doing anything.
The engine is sandboxes/common/faults.py; this module adds X's endpoints and errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..common import faults as engine
from ..common.faults import FaultDecision as FaultDecision
from .limits import LIMITS
from .problems import ApiError, problem
from .store import SandboxStore

ENDPOINTS = tuple(LIMITS)


@dataclass(frozen=True)
class FaultConfig(engine.FaultSwitches):
    """The fault switches; the defaults inject nothing. `endpoint` is one of ENDPOINTS."""

    burst_429_reset_s: float = 3.0

    ENDPOINTS = ENDPOINTS


def set_faults(store: SandboxStore | str, **switches: Any) -> FaultConfig:
    """Replace the fault switches (unnamed ones go back to their defaults) and restart the count."""
    return engine.set_faults(SandboxStore.of(store), FaultConfig, switches)


def clear_faults(store: SandboxStore | str) -> None:
    """Switch every fault off."""
    set_faults(store)


def get_faults(store: SandboxStore | str) -> FaultConfig:
    """Return the current fault switches."""
    return engine.get_faults(SandboxStore.of(store), FaultConfig)


def draw(store: SandboxStore, endpoint: str) -> FaultDecision:
    """Take one step for a request to endpoint and decide which fault, if any, it meets."""
    return engine.draw(store, FaultConfig, endpoint)


def apply(decision: FaultDecision, endpoint: str) -> None:
    """Sleep for latency/timeouts; raise ApiError for injected 429s and server errors."""

    def rate_limited(reset_at: float) -> ApiError:
        headers = {
            "x-rate-limit-limit": str(LIMITS[endpoint][0]),
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(math.ceil(reset_at)),
        }
        return ApiError(429, problem(429, "Too Many Requests").body, headers)

    engine.apply(decision, rate_limited=rate_limited, server_error=problem)
