"""The worker's heartbeat: one row per worker process, written at start and after every round.

Staff pages, `/readyz` and `/metrics` read it to tell whether a worker is running: a worker
whose newest beat is older than IDEABOARD_WORKER_STALE_SECONDS has stopped or is stuck.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import JSON, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from .database import UTCDateTime, utcnow
from .extensions import Model, db

# Rows of workers that stopped (or died) this long ago are removed when a worker starts.
FORGET_AFTER = timedelta(days=7)


class WorkerHeartbeat(Model):
    """A worker process and its last sign of life."""

    __tablename__ = "worker_heartbeats"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    hostname: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rounds: Mapped[int] = mapped_column(default=0)
    # What the last round did: {"accounts": {...}, "outbox": {...}, "errors": n, ...}.
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)


def beat(
    name: str,
    *,
    summary: dict[str, Any] | None = None,
    rounds: int | None = None,
    started: bool = False,
    stopped: bool = False,
    now: datetime | None = None,
) -> WorkerHeartbeat:
    """Record a sign of life for worker `name` (flushes; the worker commits)."""
    now = now or utcnow()
    row = db.session.scalar(select(WorkerHeartbeat).where(WorkerHeartbeat.name == name))
    if row is None:
        row = WorkerHeartbeat(
            name=name, hostname=socket.gethostname(), pid=os.getpid(), started_at=now
        )
        db.session.add(row)
    if started:
        db.session.execute(
            delete(WorkerHeartbeat).where(
                WorkerHeartbeat.beat_at < now - FORGET_AFTER, WorkerHeartbeat.name != name
            )
        )
        row.started_at = now
        row.stopped_at = None
        row.rounds = 0
    row.beat_at = now
    if stopped:
        row.stopped_at = now
    if rounds is not None:
        row.rounds = rounds
    if summary is not None:
        row.summary = summary
    db.session.flush()
    return row


def stale_after() -> timedelta:
    """How old the newest heartbeat may be before the worker counts as stopped."""
    return timedelta(seconds=float(current_app.config["IDEABOARD_WORKER_STALE_SECONDS"]))


@dataclass
class WorkerStatus:
    """What staff pages and /readyz say about the workers."""

    latest: WorkerHeartbeat | None  # the running worker that beat most recently
    age: timedelta | None
    stale: bool  # no running worker, or its last beat is too old
    limit: timedelta

    @property
    def missing(self) -> bool:
        return self.latest is None


def worker_status(now: datetime | None = None) -> WorkerStatus:
    """Return the newest heartbeat of a worker that has not stopped, and whether it is stale."""
    now = now or utcnow()
    limit = stale_after()
    latest = db.session.scalar(
        select(WorkerHeartbeat)
        .where(WorkerHeartbeat.stopped_at.is_(None))
        .order_by(WorkerHeartbeat.beat_at.desc())
        .limit(1)
    )
    if latest is None:
        return WorkerStatus(latest=None, age=None, stale=True, limit=limit)
    age = max(now - latest.beat_at, timedelta())
    return WorkerStatus(latest=latest, age=age, stale=age > limit, limit=limit)
