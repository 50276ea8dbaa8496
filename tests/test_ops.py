"""/healthz, /readyz and /metrics (ideaboard/ops.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.heartbeat import beat
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social.models import MentionLog, SocialAccount

OUTSIDER = {"REMOTE_ADDR": "203.0.113.9"}


def fresh_heartbeat(**kwargs: Any) -> None:
    beat("host:1", **kwargs)
    db.session.commit()


def test_healthz_answers_without_database_or_session(app_factory: Callable[..., Flask]) -> None:
    app = app_factory(
        IDEABOARD_PAGE_CACHE_SECONDS=5, SQLALCHEMY_DATABASE_URI="sqlite:////nonexistent/x.db"
    )
    client = app.test_client()
    for _ in range(2):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.get_json() == {"status": "ok"}
        assert "Set-Cookie" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_ok_with_database_migrations_and_a_fresh_heartbeat(
    app: Flask, client: Any
) -> None:
    fresh_heartbeat()
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["failed"] == []
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["migrations"]["ok"] is True
    assert body["checks"]["migrations"]["database"] == body["checks"]["migrations"]["head"]
    assert body["checks"]["worker"]["age_seconds"] < 5
    assert body["checks"]["worker"]["limit_seconds"] == 120
    assert "Set-Cookie" not in response.headers


def test_readyz_fails_when_the_database_is_down(
    app_factory: Callable[..., Flask], request: pytest.FixtureRequest
) -> None:
    if request.config.getoption("--db") == "postgresql":
        bad = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
    else:
        bad = "sqlite:////nonexistent-directory/ideaboard.sqlite"
    app = app_factory(SQLALCHEMY_DATABASE_URI=bad)
    response = app.test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 503
    assert body["status"] == "fail"
    assert body["failed"] == ["database", "migrations", "worker"]
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert "nowhere" not in response.get_data(as_text=True)  # no connection details


def test_readyz_fails_when_the_migrations_are_behind(app: Flask, client: Any) -> None:
    fresh_heartbeat()
    head = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    db.session.execute(text("UPDATE alembic_version SET version_num = '8bd7a6c0dec3'"))
    db.session.commit()
    try:
        response = client.get("/readyz")
    finally:  # PostgreSQL tests share this table across tests
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
        db.session.commit()
    body = response.get_json()
    assert response.status_code == 503
    assert body["failed"] == ["migrations"]
    assert body["checks"]["migrations"] == {
        "ok": False,
        "database": ["8bd7a6c0dec3"],
        "head": [head],
    }


def test_readyz_fails_when_the_heartbeat_is_stale_or_missing(
    app_factory: Callable[..., Flask],
) -> None:
    app = app_factory(IDEABOARD_WORKER_STALE_SECONDS=60)
    client = app.test_client()
    with app.app_context():
        missing = client.get("/readyz")
        assert missing.status_code == 503
        assert missing.get_json()["checks"]["worker"]["error"] == "no worker is running"

        fresh_heartbeat(now=utcnow() - timedelta(seconds=90))  # the worker went quiet
        stale = client.get("/readyz")
        assert stale.status_code == 503
        body = stale.get_json()
        assert body["failed"] == ["worker"]
        assert body["checks"]["worker"]["ok"] is False
        assert body["checks"]["worker"]["age_seconds"] >= 90
        assert body["checks"]["worker"]["limit_seconds"] == 60

        fresh_heartbeat()
        assert client.get("/readyz").status_code == 200
        fresh_heartbeat(stopped=True)  # stopped cleanly: no worker is running any more
        assert client.get("/readyz").status_code == 503


def test_metrics_are_off_by_default(client: Any) -> None:
    assert client.get("/metrics").status_code == 404


def _families(body: str) -> dict[str, Any]:
    return {family.name: family for family in text_string_to_metric_families(body)}


def _value(families: dict[str, Any], name: str, **labels: str) -> float:
    for family in families.values():
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    raise AssertionError(f"no sample {name} {labels}")


def _seed() -> None:
    now = utcnow()
    account = SocialAccount(
        network="x",
        remote_user_id="1",
        username="hanbit",
        last_polled_at=now - timedelta(minutes=3),
    )
    db.session.add(account)
    db.session.flush()
    rows = [
        ("x_reply", "pending", now - timedelta(seconds=90)),
        ("x_reply", "pending", now + timedelta(hours=1)),  # not due yet
        ("x_reply", "sent", now),
        ("webhook", "failed", now - timedelta(seconds=30)),
        ("webhook", "dead", now),
    ]
    for n, (kind, state, due) in enumerate(rows):
        db.session.add(
            OutboxMessage(
                kind=kind,
                state=state,
                dedupe_key=f"k{n}",
                next_attempt_at=due,
                account_id=account.id,
            )
        )
    for n, outcome in enumerate(["imported", "imported", "voted", "skipped"]):
        db.session.add(MentionLog(account_id=account.id, post_id=str(n), outcome=outcome))
    db.session.commit()
    fresh_heartbeat(now=now - timedelta(seconds=20))


def test_metrics_from_loopback_carry_the_named_families_with_the_database_values(
    app_factory: Callable[..., Flask],
) -> None:
    app = app_factory(IDEABOARD_METRICS=True)
    client = app.test_client()
    with app.app_context():
        _seed()
        assert client.get("/healthz").status_code == 200
        response = client.get("/metrics")  # the test client comes from 127.0.0.1
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "Set-Cookie" not in response.headers
    families = _families(response.get_data(as_text=True))
    assert {
        "ideaboard_http_request_duration_seconds",
        "ideaboard_outbox_rows",
        "ideaboard_outbox_oldest_due_age_seconds",
        "ideaboard_social_last_poll_timestamp_seconds",
        "ideaboard_mentions",
        "ideaboard_worker_heartbeat_age_seconds",
        "ideaboard_database_up",
    } <= set(families)
    assert _value(families, "ideaboard_database_up") == 1
    rows = "ideaboard_outbox_rows"
    assert _value(families, rows, state="pending", kind="x_reply") == 2
    assert _value(families, rows, state="sent", kind="x_reply") == 1
    assert _value(families, rows, state="failed", kind="webhook") == 1
    assert _value(families, rows, state="dead", kind="webhook") == 1
    assert _value(families, rows, state="sending", kind="email") == 0
    assert 90 <= _value(families, "ideaboard_outbox_oldest_due_age_seconds") < 120
    polled = _value(
        families, "ideaboard_social_last_poll_timestamp_seconds", network="x", account="hanbit"
    )
    assert abs(polled - (utcnow() - timedelta(minutes=3)).timestamp()) < 10
    mentions = "ideaboard_mentions_total"
    assert _value(families, mentions, account="hanbit", outcome="imported") == 2
    assert _value(families, mentions, account="hanbit", outcome="voted") == 1
    assert _value(families, mentions, account="hanbit", outcome="skipped") == 1
    assert 20 <= _value(families, "ideaboard_worker_heartbeat_age_seconds") < 40
    assert (
        _value(
            families,
            "ideaboard_http_request_duration_seconds_count",
            endpoint="ops.healthz",
            method="GET",
            status="200",
        )
        >= 1
    )


def test_metrics_refuse_other_addresses_unless_they_bring_the_token(
    app_factory: Callable[..., Flask],
) -> None:
    app = app_factory(IDEABOARD_METRICS=True, IDEABOARD_METRICS_TOKEN="s3cret-metrics-token")
    client = app.test_client()
    assert client.get("/metrics", environ_base=OUTSIDER).status_code == 403
    wrong = {"Authorization": "Bearer not-the-token"}
    assert client.get("/metrics", environ_base=OUTSIDER, headers=wrong).status_code == 403
    right = {"Authorization": "Bearer s3cret-metrics-token"}
    allowed = client.get("/metrics", environ_base=OUTSIDER, headers=right)
    assert allowed.status_code == 200
    assert "ideaboard_outbox_rows" in allowed.get_data(as_text=True)
    # A proxy on the same host connects from 127.0.0.1 on behalf of someone else.
    proxied = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 403
    assert client.get("/metrics").status_code == 200


def test_metrics_without_a_token_configured_refuse_every_remote_client(
    app_factory: Callable[..., Flask],
) -> None:
    app = app_factory(IDEABOARD_METRICS=True)
    client = app.test_client()
    response = client.get("/metrics", environ_base=OUTSIDER, headers={"Authorization": "Bearer "})
    assert response.status_code == 403


@pytest.fixture
def forget_global_limits() -> Iterator[None]:
    """flask-limiter's Limiter is one object for every app of the process and keeps the
    application and default limits of the first app that set them: drop them afterwards, so
    later tests' apps are not limited by this test's settings."""
    from ideaboard.extensions import limiter

    yield
    limiter.limit_manager.set_application_limits([])
    limiter.limit_manager.set_default_limits([])


@pytest.mark.usefixtures("forget_global_limits")
def test_health_checks_are_not_rate_limited(app_factory: Callable[..., Flask]) -> None:
    app = app_factory(
        RATELIMIT_ENABLED=True,
        RATELIMIT_DEFAULT="1 per minute",
        RATELIMIT_APPLICATION="2 per minute",
        IDEABOARD_METRICS=True,
    )
    client = app.test_client()
    statuses = [client.get(path).status_code for path in ("/healthz", "/readyz", "/metrics") * 3]
    assert 429 not in statuses
    assert [client.get("/stats").status_code for _ in range(3)][-1] == 429  # the limit is on
