"""When a mention counts for listening (`mention_log.counted_at`), and the spike check's
windowed read giving the same counts as reading every hour."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import insert, select

from ideaboard.extensions import db
from ideaboard.listening import alerts
from ideaboard.listening.classify import LABELS
from ideaboard.social.models import OWN_POST_REASON, MentionLog, SocialAccount

NOW = datetime(2026, 11, 9, 12, 40, tzinfo=UTC)


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Flask:
    app = app_factory()
    with app.app_context():
        yield app


def _account() -> int:
    account = SocialAccount(network="x", remote_user_id="900", username="brand", active=False)
    db.session.add(account)
    db.session.commit()
    return account.id


def test_a_mention_counts_when_it_was_posted_never_after_its_fetch_and_own_posts_never(
    app: Flask,
) -> None:
    account = _account()
    posted = NOW - timedelta(hours=3)
    rows = [
        ("late", posted, NOW, "no idea tag"),  # fetched three hours late: the posted hour
        ("no-time", None, NOW, "no idea tag"),  # the network gave no time: the fetch
        ("clock-skew", NOW + timedelta(minutes=5), NOW, "no idea tag"),  # never after fetch
        ("own", posted, NOW, OWN_POST_REASON),  # the brand's own post: not counted
    ]
    db.session.add_all(
        MentionLog(
            account_id=account,
            post_id=post_id,
            posted_at=posted_at,
            fetched_at=fetched_at,
            outcome="skipped",
            reason=reason,
            label="complaint",
        )
        for post_id, posted_at, fetched_at, reason in rows
    )
    db.session.commit()
    counted = dict(db.session.execute(select(MentionLog.post_id, MentionLog.counted_at)).all())
    assert counted == {"late": posted, "no-time": NOW, "clock-skew": NOW, "own": None}


def test_the_windowed_read_gives_the_judged_hours_the_same_counts_as_reading_every_hour(
    app: Flask,
) -> None:
    account = _account()
    rng = random.Random(19)  # noqa: S311 - test traffic, not a secret
    since = NOW - timedelta(days=8)
    rows = []
    for number in range(3000):
        posted = since + timedelta(seconds=rng.random() * 8 * 86400)
        rows.append(
            {
                "account_id": account,
                "post_id": str(number),
                "posted_at": posted,
                "fetched_at": posted + timedelta(seconds=rng.choice([20, 20, 20, 4000])),
                "outcome": "skipped",
                "reason": OWN_POST_REASON if number % 50 == 0 else "no idea tag",
                "label": rng.choice(LABELS),
            }
        )
    db.session.execute(insert(MentionLog), rows)
    db.session.commit()

    hours = alerts.judged_hours(NOW)
    start = hours[0] - timedelta(days=7)
    every = alerts.mention_counts(start, hours[1] + alerts.HOUR)
    windowed = alerts.mention_counts(start, hours[1] + alerts.HOUR, hours)
    wanted = {
        (hour - timedelta(days=day), label)
        for hour in hours
        for day in range(8)
        for label in LABELS
    }
    assert {key: every.get(key, 0) for key in wanted} == {
        key: windowed.get(key, 0) for key in wanted
    }
    assert sum(windowed.values()) > 0
    assert set(windowed) <= wanted  # nothing read outside the compared hours
    own = sum(1 for row in rows if row["reason"] == OWN_POST_REASON)
    assert sum(every.values()) <= len(rows) - own
