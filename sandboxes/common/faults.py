"""The fault injection engine the sandboxes share: switches, seeded dice, 429 bursts, timeouts.

The switches are kept in the sandbox database (settings "faults" and "fault_counter"), so every
process sees them. Each request in scope takes one step of the counter; with a `seed`, step n
draws from `random.Random(f"{seed}:{n}")`, so the same sequence of requests meets the same
faults. Order of checks per request: `burst_429` (the next N requests, plus whatever extra 429
dice a sandbox adds), then `timeout_rate`, then `error_rate`; `latency_ms` is added to every
request in scope. A timeout sleeps `timeout_sleep_s` and then, with `timeout_then="complete"`
(the default), still performs the request, as a real server does after the client gave up;
with `timeout_then="drop"` it answers 503 without doing anything.

Each sandbox subclasses FaultSwitches (its endpoints, its bounds, the name of the switch that
says how far ahead an injected 429's reset lies) and turns a decision into its own errors.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar, TypeVar

from .store import SQLiteStore


@dataclass(frozen=True)
class FaultSwitches:
    """The fault switches every sandbox has; the defaults inject nothing."""

    error_rate: float = 0.0
    error_status: int | None = None  # 500, 502, 503 or 504; None picks 500 or 503 per failure
    latency_ms: int = 0
    timeout_rate: float = 0.0
    timeout_sleep_s: float = 5.0
    timeout_then: str = "complete"
    burst_429: int = 0
    endpoint: str | None = None  # one of ENDPOINTS, or None for every route in scope
    seed: int | None = None

    # What a sandbox sets on its subclass:
    ENDPOINTS: ClassVar[tuple[str, ...]] = ()
    RATES: ClassVar[tuple[str, ...]] = ("error_rate", "timeout_rate")
    RESET_SWITCH: ClassVar[str] = "burst_429_reset_s"  # seconds until an injected 429 resets
    DURATION_MAX: ClassVar[float | None] = None  # upper bound of latency/sleep/reset switches
    BURST_MAX: ClassVar[int | None] = None
    BURST_KIND: ClassVar[str] = "burst_429"  # FaultDecision.kind of an injected 429

    @classmethod
    def from_dict(cls: type[S], data: dict[str, Any]) -> S:
        """Validate a JSON mapping and build the config; raise ValueError on bad input."""
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown fault switches: {', '.join(unknown)}")
        config = cls(**data)
        config.validate()
        return config

    def validate(self) -> None:
        """Raise ValueError naming the first switch that is out of bounds."""
        for name in self.RATES:
            value = getattr(self, name)
            if not _is_number(value) or not 0 <= value <= 1:
                raise ValueError(f"{name} must be a number between 0 and 1")
        top = self.DURATION_MAX
        for name in ("latency_ms", "timeout_sleep_s", self.RESET_SWITCH):
            value = getattr(self, name)
            if not _is_number(value) or value < 0 or (top is not None and value > top):
                bound = ">= 0" if top is None else f"from 0 to {top:g}"
                raise ValueError(f"{name} must be a number {bound}")
        burst, burst_max = self.burst_429, self.BURST_MAX
        if not _is_integer(burst) or burst < 0 or (burst_max is not None and burst > burst_max):
            raise ValueError("burst_429 must be an integer >= 0")
        if self.error_status not in (None, 500, 502, 503, 504):
            raise ValueError("error_status must be 500, 502, 503, 504 or null")
        if self.timeout_then not in ("complete", "drop"):
            raise ValueError('timeout_then must be "complete" or "drop"')
        if self.endpoint is not None and self.endpoint not in self.ENDPOINTS:
            raise ValueError(f"endpoint must be one of {', '.join(self.ENDPOINTS)} or null")
        if self.seed is not None and not _is_integer(self.seed):
            raise ValueError("seed must be an integer or null")

    def is_active(self) -> bool:
        """Whether any switch is on."""
        return any(getattr(self, name) for name in (*self.RATES, "latency_ms", "burst_429"))

    def to_dict(self) -> dict[str, Any]:
        """The config as a JSON-ready mapping."""
        return asdict(self)

    @property
    def reset_after_s(self) -> float:
        """How far ahead an injected 429's reset lies."""
        return float(getattr(self, self.RESET_SWITCH))

    def extra_429(self, rng: random.Random) -> bool:
        """A sandbox's own 429 dice, cast after the burst; none by default (no draw taken)."""
        return False


S = TypeVar("S", bound=FaultSwitches)


@dataclass(frozen=True)
class FaultDecision:
    """What to do to one request."""

    latency_s: float = 0.0
    kind: str | None = None  # None, the config's BURST_KIND, "timeout" or "error"
    status: int = 0
    sleep_s: float = 0.0
    reset_s: float = 0.0
    then: str = "complete"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def set_faults(store: SQLiteStore, config_class: type[S], switches: dict[str, Any]) -> S:
    """Replace the fault switches (unnamed ones go back to their defaults); restart the count."""
    config = config_class.from_dict(switches)
    with store.transaction(write=True) as tx:
        store.put_setting(tx, "faults", config.to_dict())
        store.put_setting(tx, "fault_counter", 0)
    return config


def get_faults(store: SQLiteStore, config_class: type[S]) -> S:
    """The current fault switches."""
    return config_class(**store.setting("faults", {}))


def draw(store: SQLiteStore, config_class: type[FaultSwitches], endpoint: str) -> FaultDecision:
    """Take one step for a request to endpoint and decide which fault, if any, it meets."""
    config = get_faults(store, config_class)
    if not config.is_active() or config.endpoint not in (None, endpoint):
        return FaultDecision()
    with store.transaction(write=True) as tx:
        current = config_class(**store.get_setting(tx, "faults", {}))
        step = int(store.get_setting(tx, "fault_counter", 0)) + 1
        store.put_setting(tx, "fault_counter", step)
        if current.burst_429 > 0:
            store.put_setting(
                tx, "faults", {**current.to_dict(), "burst_429": current.burst_429 - 1}
            )
    # Fault dice, not security: a seeded Random makes a run reproducible.
    rng = random.Random(f"{current.seed}:{step}" if current.seed is not None else None)  # noqa: S311
    latency = current.latency_ms / 1000
    if current.burst_429 > 0 or current.extra_429(rng):
        return FaultDecision(latency, current.BURST_KIND, 429, reset_s=current.reset_after_s)
    if rng.random() < current.timeout_rate:
        return FaultDecision(
            latency, "timeout", sleep_s=current.timeout_sleep_s, then=current.timeout_then
        )
    if rng.random() < current.error_rate:
        return FaultDecision(latency, "error", current.error_status or rng.choice((500, 503)))
    return FaultDecision(latency)


def sleep_for(decision: FaultDecision) -> None:
    """Sleep for the decision's latency and, for a timeout, its sleep."""
    if decision.latency_s:
        time.sleep(decision.latency_s)
    if decision.kind == "timeout":
        time.sleep(decision.sleep_s)


def apply(
    decision: FaultDecision,
    *,
    rate_limited: Callable[[float], BaseException],
    server_error: Callable[[int], BaseException],
    dropped: Callable[[], BaseException] | None = None,
) -> None:
    """Sleep for latency and timeouts, then raise the sandbox's error for the injected fault.

    rate_limited gets the epoch time the injected 429 resets at; server_error the status of an
    injected error; dropped (server_error(503) if not given) answers a dropped timeout.
    """
    sleep_for(decision)
    if decision.kind == "timeout" and decision.then == "drop":
        raise dropped() if dropped is not None else server_error(503)
    if decision.kind == "error":
        raise server_error(decision.status)
    if decision.status == 429:
        raise rate_limited(time.time() + decision.reset_s)
