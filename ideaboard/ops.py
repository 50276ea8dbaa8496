"""Health checks and Prometheus metrics for whoever runs the site.

- `GET /healthz`: the process answers (no database), `{"status": "ok"}`.
- `GET /readyz`: the database answers `SELECT 1`, its schema is at the migrations' head, and a
  worker beat within IDEABOARD_WORKER_STALE_SECONDS; 200 when all pass, else 503 with the
  checks that failed.
- `GET /metrics`: Prometheus text, only when IDEABOARD_METRICS=1 (404 otherwise), and then only
  for loopback clients that came straight in (no forwarding headers: a proxy on the same host
  would make everyone look local) or with `Authorization: Bearer <IDEABOARD_METRICS_TOKEN>`.

None of them is page-cached, rate-limited or CSRF-checked, and none touches the session, so no
cookie is set. Request latency is measured in the process (a histogram; with gunicorn set
PROMETHEUS_MULTIPROC_DIR, see docs/deploy.md); everything read from the database is read at
scrape time by a collector, so it is right whichever process answers.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, jsonify, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from .database import utcnow
from .extensions import csrf, db, limiter

logger = logging.getLogger(__name__)

bp = Blueprint("ops", __name__)

REQUEST_SECONDS = Histogram(
    "ideaboard_http_request_duration_seconds",
    "Time to answer an HTTP request, by endpoint, method and status.",
    ["endpoint", "method", "status"],
)
_FORWARDING_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


def init_ops(app: Flask) -> None:
    """Register the blueprint, and time every request when metrics are on."""
    app.register_blueprint(bp)
    if app.config.get("IDEABOARD_METRICS"):
        app.before_request(_start_timer)
        app.after_request(_observe)


# --- health ---------------------------------------------------------------------------------


@bp.get("/healthz")
def healthz() -> Response:
    """The process is alive and serving (nothing else is checked)."""
    return _no_store(jsonify(status="ok"))


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Database reachable, migrations at head, worker heartbeat fresh: 200, else 503."""
    checks: dict[str, dict[str, Any]] = {}
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            checks["database"] = {"ok": True}
            checks["migrations"] = _migrations_check(connection)
            with Session(bind=connection) as session:
                checks["worker"] = _worker_check(session)
    except Exception as error:  # any failure to reach the database makes us not ready
        logger.warning("readiness: database check failed: %s", type(error).__name__)
        checks.setdefault("database", {"ok": False, "error": type(error).__name__})
        checks.setdefault("migrations", {"ok": False, "error": "database unavailable"})
        checks.setdefault("worker", {"ok": False, "error": "database unavailable"})
    ready = all(check["ok"] for check in checks.values())
    failed = sorted(name for name, check in checks.items() if not check["ok"])
    body = {"status": "ok" if ready else "fail", "checks": checks, "failed": failed}
    return _no_store(jsonify(body)), 200 if ready else 503


@lru_cache(maxsize=4)
def _script_heads(directory: str) -> frozenset[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def _migrations_check(connection: Any) -> dict[str, Any]:
    heads = _script_heads(str(current_app.extensions["migrate"].directory))
    try:
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except Exception as error:  # no alembic_version table: never migrated
        connection.rollback()
        return {"ok": False, "error": type(error).__name__, "head": sorted(heads)}
    current = frozenset(str(row[0]) for row in rows)
    return {"ok": current == heads, "database": sorted(current), "head": sorted(heads)}


def _worker_check(session: Session) -> dict[str, Any]:
    from .heartbeat import WorkerHeartbeat, stale_after

    limit = stale_after().total_seconds()
    beat_at = session.scalar(
        select(func.max(WorkerHeartbeat.beat_at)).where(WorkerHeartbeat.stopped_at.is_(None))
    )
    if beat_at is None:
        return {"ok": False, "error": "no worker is running", "limit_seconds": limit}
    age = max((utcnow() - _aware(beat_at)).total_seconds(), 0.0)
    return {"ok": age <= limit, "age_seconds": round(age, 1), "limit_seconds": limit}


def _aware(value: datetime) -> datetime:
    """func.max() returns the column's raw value on some drivers: make it aware UTC."""
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


# --- metrics --------------------------------------------------------------------------------


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus metrics: this process's request timings, and the database's state."""
    config = current_app.config
    if not config.get("IDEABOARD_METRICS"):
        abort(404)
    if not (_bearer_ok(config.get("IDEABOARD_METRICS_TOKEN")) or _direct_loopback()):
        abort(403)
    output = generate_latest(_process_registry())
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector())
    output += generate_latest(database)
    response = Response(output, mimetype=None, content_type=CONTENT_TYPE_LATEST)
    return _no_store(response)


def _bearer_ok(token: str | None) -> bool:
    if not token:
        return False
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        return False
    return hmac.compare_digest(given.strip().encode(), str(token).encode())


def _direct_loopback() -> bool:
    """The TCP peer is this machine and no proxy says it forwarded someone else."""
    address = request.environ.get("REMOTE_ADDR", "")
    try:
        loopback = ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
    return loopback and not any(request.headers.get(h) for h in _FORWARDING_HEADERS)


def _process_registry() -> CollectorRegistry:
    """This process's metrics, or every gunicorn worker's under PROMETHEUS_MULTIPROC_DIR."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus_client leaves its __init__ unannotated
        return registry
    return REGISTRY


def _start_timer() -> None:
    g._ib_request_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.get("_ib_request_started")
    if started is not None:
        REQUEST_SECONDS.labels(
            endpoint=request.endpoint or "unmatched",
            method=request.method,
            status=str(response.status_code),
        ).observe(time.perf_counter() - started)
    return response


class DatabaseCollector(Collector):
    """Metrics read from the database at scrape time (the same whichever process answers)."""

    def collect(self) -> Iterator[Any]:
        up = GaugeMetricFamily(
            "ideaboard_database_up", "1 when the metrics' database queries succeeded."
        )
        try:
            families = list(self._families())
        except Exception as error:  # a scrape must not fail because the database did
            db.session.rollback()
            logger.warning("metrics: database queries failed: %s", type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        finally:
            db.session.rollback()  # end the read transaction
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self) -> Iterator[Any]:
        now = utcnow()
        yield _outbox_rows()
        yield _outbox_oldest_due(now)
        yield _last_polls()
        yield _mention_outcomes()
        yield _worker_heartbeat_age(now)


def _outbox_rows() -> GaugeMetricFamily:
    from .outbox.models import OutboxKind, OutboxMessage, OutboxState

    rows = GaugeMetricFamily(
        "ideaboard_outbox_rows", "Outbox rows by state and kind.", labels=["state", "kind"]
    )
    counts = {
        (str(state), str(kind)): int(n)
        for state, kind, n in db.session.execute(
            select(OutboxMessage.state, OutboxMessage.kind, func.count()).group_by(
                OutboxMessage.state, OutboxMessage.kind
            )
        )
    }
    for each_state in OutboxState:
        for each_kind in OutboxKind:
            counts.setdefault((each_state.value, each_kind.value), 0)
    for (state_name, kind_name), n in sorted(counts.items()):
        rows.add_metric([state_name, kind_name], n)
    return rows


def _outbox_oldest_due(now: datetime) -> GaugeMetricFamily:
    from .outbox.models import OutboxMessage
    from .outbox.rules import DUE_STATES

    oldest = db.session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.state.in_(DUE_STATES), OutboxMessage.next_attempt_at <= now
        )
    )
    due = GaugeMetricFamily(
        "ideaboard_outbox_oldest_due_age_seconds",
        "How long the longest-waiting due outbox row has been due (0: none is due).",
    )
    due.add_metric([], max((now - _aware(oldest)).total_seconds(), 0.0) if oldest else 0.0)
    return due


def _last_polls() -> GaugeMetricFamily:
    from .social.models import SocialAccount

    polls = GaugeMetricFamily(
        "ideaboard_social_last_poll_timestamp_seconds",
        "When each account's mentions were last polled successfully (Unix time).",
        labels=["network", "account"],
    )
    for network, username, polled in db.session.execute(
        select(SocialAccount.network, SocialAccount.username, SocialAccount.last_polled_at)
        .where(SocialAccount.last_polled_at.is_not(None))
        .order_by(SocialAccount.id)
    ):
        if polled is not None:  # always so (the query's condition); this tells mypy
            polls.add_metric([network, username], _aware(polled).timestamp())
    return polls


def _mention_outcomes() -> CounterMetricFamily:
    from .social.models import MentionLog, SocialAccount

    imports = CounterMetricFamily(
        "ideaboard_mentions",
        "Fetched mentions by what the importer did with them (the mention log).",
        labels=["network", "account", "outcome"],
    )
    for network, username, outcome, n in db.session.execute(
        select(SocialAccount.network, SocialAccount.username, MentionLog.outcome, func.count())
        .join(SocialAccount, SocialAccount.id == MentionLog.account_id)
        .group_by(SocialAccount.network, SocialAccount.username, MentionLog.outcome)
    ):
        imports.add_metric([network, username, outcome], int(n))
    return imports


def _worker_heartbeat_age(now: datetime) -> GaugeMetricFamily:
    from .heartbeat import WorkerHeartbeat

    beat_at = db.session.scalar(
        select(func.max(WorkerHeartbeat.beat_at)).where(WorkerHeartbeat.stopped_at.is_(None))
    )
    worker = GaugeMetricFamily(
        "ideaboard_worker_heartbeat_age_seconds",
        "Seconds since a running worker last beat (absent: no worker is running).",
    )
    if beat_at is not None:
        worker.add_metric([], max((now - _aware(beat_at)).total_seconds(), 0.0))
    return worker


csrf.exempt(bp)
limiter.exempt(bp)
