"""The scheduled e-mail jobs the worker runs every round (digests, staff reminders, alerts).

Each job is a function `job(now) -> int` (how many e-mails it queued) registered with
`@scheduled`. A job decides itself whether it is due (e.g. once a day per person), and must
be idempotent: rounds run every few seconds, and several workers may run at once — dedupe
keys on the rows (one per person per day, say) make a second run queue nothing.
Jobs flush and never commit: `run_scheduled` commits after each job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from ..database import utcnow
from ..extensions import db
from . import enqueue
from .models import JobMark

logger = logging.getLogger(__name__)

Job = Callable[[datetime], int]
JOBS: dict[str, Job] = {}


def scheduled(name: str) -> Callable[[Job], Job]:
    """Register job under name (run by the worker each round, when e-mail is on)."""

    def register(function: Job) -> Job:
        JOBS[name] = function
        return function

    return register


def run_scheduled(now: datetime) -> dict[str, int]:
    """Run every scheduled job once; return {name: e-mails queued}. A job that fails is logged
    and rolled back; the others still run."""
    queued: dict[str, int] = {}
    if not enqueue.enabled():
        return queued
    for name, job in JOBS.items():
        try:
            queued[name] = job(now)
            db.session.commit()
        except OperationalError:
            db.session.rollback()
            raise  # the database is away: the worker's round waits and retries
        except Exception:
            db.session.rollback()
            logger.exception("scheduled e-mail job %s failed", name)
            queued[name] = 0
    return queued


def job_mark(name: str) -> JobMark:
    """Return the mark called name, made empty if it is new, locked for this transaction.

    Two workers running the same job at once wait for each other here on PostgreSQL (FOR
    UPDATE); on SQLite the worker's transactions write-lock the database from the start.
    """
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    db.session.execute(
        dialect_insert(JobMark)
        .values(name=name, value="", updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["name"])
    )
    query = select(JobMark).where(JobMark.name == name)
    if dialect == "postgresql":
        query = query.with_for_update()
    mark = db.session.scalars(query.execution_options(populate_existing=True)).one()
    return mark
