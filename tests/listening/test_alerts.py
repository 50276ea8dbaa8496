"""Spike alerts wired (listening/alerts.py): synthetic traffic as rows in mention_log, judged by
the worker's check, recorded once, announced once (banner, admins' e-mail, mentions.spike
webhook), and drawn on the dashboard's chart. Run with -s to see what fired:

    PYTHONPATH=. .venv/bin/pytest -s tests/listening/test_alerts.py
"""

from __future__ import annotations

import random
import re
import statistics
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import count

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, insert, select

from ideaboard import create_app
from ideaboard.accounts.models import Role
from ideaboard.extensions import db
from ideaboard.listening import alerts
from ideaboard.listening.classify import Label
from ideaboard.listening.models import SpikeAlertRow
from ideaboard.mail import letters
from ideaboard.outbox.models import OutboxKind, OutboxMessage
from ideaboard.social.models import MentionLog, SocialAccount
from ideaboard.webhooks.models import Webhook
from ideaboard.worker import Worker
from tests.helpers import BASE_CONFIG, Clock, UserBuilder, login, post
from tests.listening.test_spikes import DAY, HOUR, SPIKE_HOUR, at, count_in, normal_traffic

Mentions = list[tuple[datetime, Label]]
FETCH_DELAY = timedelta(seconds=20)  # the worker polls every 15 s or so
_POSTS = count(1)


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Flask:
    """E-mail on (the development mailbox), so the admins' e-mail rows are written."""
    app = app_factory(IDEABOARD_MAILBOX=True)
    with app.app_context():
        yield app


def account() -> SocialAccount:
    found = db.session.scalar(select(SocialAccount).where(SocialAccount.username == "brand"))
    if found is None:
        # Inactive: the worker's round polls nothing, only the jobs run.
        found = SocialAccount(network="x", remote_user_id="900", username="brand", active=False)
        db.session.add(found)
        db.session.commit()
    return found


def log_mentions(mentions: Mentions, *, fetched_at: datetime | None = None) -> None:
    """Write mentions as the importer logs them: classified, skipped for having no idea tag."""
    account_id = account().id
    rows = [
        {
            "account_id": account_id,
            "post_id": str(next(_POSTS)),
            "author_handle": "customer",
            "text": "",
            "posted_at": moment,
            "fetched_at": fetched_at or moment + FETCH_DELAY,
            "outcome": "skipped",
            "reason": "no idea tag",
            "label": label,
            "inbox_state": "open",
        }
        for moment, label in mentions
    ]
    for start in range(0, len(rows), 2000):
        db.session.execute(insert(MentionLog), rows[start : start + 2000])
    db.session.commit()


def until(mentions: Mentions, moment: datetime) -> Mentions:
    return [(at_, label) for at_, label in mentions if at_ + FETCH_DELAY <= moment]


def spiked_traffic(seed: int = 1) -> tuple[Mentions, datetime, int]:
    """A normal week, with day 8's complaints at 21:00 Seoul brought to 5× their usual."""
    mentions = normal_traffic(seed)
    spike = at(7, SPIKE_HOUR)
    history = [count_in(mentions, "complaint", spike - n * DAY) for n in range(1, 8)]
    usual = int(statistics.median(history))
    extra = 5 * usual - count_in(mentions, "complaint", spike)
    rng = random.Random(99)  # noqa: S311 - reproducible test traffic, not security
    mentions += [(spike + rng.random() * HOUR * 0.9, "complaint") for _ in range(extra)]
    return mentions, spike, usual


def make_worker() -> Worker:
    return Worker(threading.Event(), interval=15.0, once=True, name="test-worker", backoff_cap=1.0)


def spike_check() -> list[str]:
    """The worker's spike check, as a round runs it (its own transaction, committed)."""
    return make_worker()._spike_check()


def alert_rows() -> list[SpikeAlertRow]:
    db.session.rollback()
    return list(db.session.scalars(select(SpikeAlertRow).order_by(SpikeAlertRow.id)))


def outbox(kind: OutboxKind) -> list[OutboxMessage]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind.value).order_by(OutboxMessage.id)
        )
    )


def add_webhook() -> Webhook:
    hook = Webhook(url="https://hooks.example.test/ib", secret="s" * 32, events=["mentions.spike"])
    db.session.add(hook)
    db.session.commit()
    return hook


# --- a normal week ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_a_normal_week_in_mention_log_fires_nothing_in_any_hour_of_day_8(
    app: Flask, clock: Clock, seed: int
) -> None:
    log_mentions(until(normal_traffic(seed), at(8, 0)))

    for hour_of_day in range(24):
        clock.set(at(7, hour_of_day) + timedelta(minutes=59, seconds=30))
        assert spike_check() == []

    assert alert_rows() == []
    assert outbox(OutboxKind.EMAIL) == []


# --- a 5× hour ----------------------------------------------------------------------------------


def test_a_5x_hour_fires_one_alert_one_email_per_admin_and_one_webhook_even_checked_twice(
    app: Flask, clock: Clock, make_user: UserBuilder
) -> None:
    admin = make_user(Role.ADMIN, email="admin@example.com")
    make_user(Role.STAFF, email="staff@example.com")  # staff see the banner; admins get mail
    hook = add_webhook()
    mentions, spike, usual = spiked_traffic()
    now = clock.set(spike + HOUR + timedelta(minutes=5))
    log_mentions(until(mentions, now))

    fired = spike_check()
    again = spike_check()

    assert len(fired) == 1
    assert again == []
    print(f"\nspike alert fired through mention_log and the worker: {fired[0]}")
    (row,) = alert_rows()
    assert (row.label, row.hour, row.count, row.baseline) == ("complaint", spike, 5 * usual, usual)
    assert (row.factor, row.history_days, row.acknowledged_at) == (5.0, 7, None)
    (mail,) = outbox(OutboxKind.EMAIL)
    assert mail.target == admin.email
    assert mail.dedupe_key == f"email:spike:complaint:{spike:%Y%m%dT%H}:{admin.id}"
    (delivery,) = outbox(OutboxKind.WEBHOOK)
    assert delivery.webhook_id == hook.id
    assert delivery.text == "mentions.spike"
    assert delivery.payload["event"] == "mentions.spike"
    assert delivery.payload["data"] == alerts.as_alert(row).as_payload()
    assert delivery.payload["data"]["hour"] == spike.isoformat()


def test_two_workers_checking_at_once_fire_the_alert_once(
    app: Flask, clock: Clock, make_user: UserBuilder
) -> None:
    make_user(Role.ADMIN)
    add_webhook()
    mentions, spike, _usual = spiked_traffic(seed=3)
    now = clock.set(spike + HOUR + timedelta(minutes=1))
    log_mentions(until(mentions, now))
    db.session.remove()
    start = threading.Barrier(2)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                start.wait(timeout=10)
                results.append(spike_check())
                db.session.remove()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(len(r) for r in results) == [0, 1]
    assert len(alert_rows()) == 1
    assert len(outbox(OutboxKind.EMAIL)) == 1
    assert len(outbox(OutboxKind.WEBHOOK)) == 1


def test_a_worker_round_runs_the_check_and_says_what_fired(
    app: Flask, clock: Clock, make_user: UserBuilder
) -> None:
    make_user(Role.ADMIN)
    mentions, spike, _usual = spiked_traffic(seed=4)
    now = clock.set(spike + HOUR + timedelta(minutes=2))
    log_mentions(until(mentions, now))

    summary = make_worker().run_round()

    (line,) = summary["spikes"]
    assert line.startswith(f"complaint spike at {spike:%Y-%m-%d %H}:00 UTC")
    assert len(alert_rows()) == 1


def test_the_hour_in_progress_alerts_early_and_its_count_grows_without_a_second_alert(
    app: Flask, clock: Clock, make_user: UserBuilder
) -> None:
    make_user(Role.ADMIN)
    mentions, spike, usual = spiked_traffic(seed=5)
    early = clock.set(spike + timedelta(minutes=50))
    log_mentions(until(mentions, early))
    so_far = count_in(until(mentions, early), "complaint", spike)

    (line,) = spike_check()

    (row,) = alert_rows()
    assert row.count == so_far
    assert alerts.was_early(row)
    assert so_far >= 3 * usual
    print(f"\nfired early, {early:%H:%M} UTC: {line}")
    later = clock.set(spike + HOUR + timedelta(minutes=3))
    log_mentions([m for m in until(mentions, later) if m not in until(mentions, early)])

    assert spike_check() == []
    (row,) = alert_rows()
    assert row.count == 5 * usual  # the banner shows the hour as it ended
    assert len(outbox(OutboxKind.EMAIL)) == 1


def test_a_backlog_fetched_at_once_after_an_outage_is_counted_when_it_was_posted(
    app: Flask, clock: Clock
) -> None:
    """The worker was down for three hours and fetches them at once: no false spike."""
    mentions = normal_traffic(seed=6)
    now = clock.set(at(7, SPIKE_HOUR) + timedelta(minutes=10))
    outage = now - 3 * HOUR
    log_mentions([m for m in until(mentions, outage)])
    log_mentions([m for m in until(mentions, now) if m[0] + FETCH_DELAY > outage], fetched_at=now)

    assert spike_check() == []
    assert alert_rows() == []


def test_the_minimum_count_keeps_a_quiet_class_silent_and_the_setting_changes_it(
    app_factory: Callable[..., Flask], clock: Clock
) -> None:
    quiet = [(at(day, 3) + timedelta(minutes=5), "suggestion") for day in range(7)]  # 1 a day
    burst: Mentions = [(at(7, 3) + timedelta(minutes=n), "suggestion") for n in range(9)]
    clock.set(at(7, 4) + timedelta(minutes=1))
    app = app_factory()
    with app.app_context():
        log_mentions(quiet + burst)
        assert spike_check() == []  # 9×, but under IDEABOARD_SPIKE_MIN_COUNT (10)
        db.session.remove()
    lower = app_factory(IDEABOARD_SPIKE_MIN_COUNT=9)
    with lower.app_context():
        (line,) = spike_check()
        assert line.startswith("suggestion spike at")
        assert "9 mentions" in line
        db.session.remove()


def test_without_e_mail_the_alert_and_webhook_still_fire_and_no_e_mail_is_queued(
    app_factory: Callable[..., Flask], clock: Clock, make_user: UserBuilder
) -> None:
    app = app_factory()  # no SMTP server, no mailbox: e-mail is off
    with app.app_context():
        make_user(Role.ADMIN)
        add_webhook()
        mentions, spike, _usual = spiked_traffic(seed=7)
        log_mentions(until(mentions, clock.set(spike + HOUR + timedelta(minutes=1))))

        assert len(spike_check()) == 1
        assert outbox(OutboxKind.EMAIL) == []
        assert len(outbox(OutboxKind.WEBHOOK)) == 1
        db.session.remove()


def test_flask_ideaboard_check_spikes_prints_what_fired(app: Flask, clock: Clock) -> None:
    mentions, spike, _usual = spiked_traffic(seed=8)
    log_mentions(until(mentions, clock.set(spike + HOUR + timedelta(minutes=1))))
    runner = app.test_cli_runner()

    first = runner.invoke(args=["ideaboard", "check-spikes"])
    second = runner.invoke(args=["ideaboard", "check-spikes"])

    assert first.exit_code == 0, first.output
    assert first.output.startswith(f"complaint spike at {spike:%Y-%m-%d %H}:00 UTC")
    assert second.exit_code == 0
    assert second.output.startswith("No new spike alerts")


# --- the admins' e-mail -------------------------------------------------------------------------


def test_the_e_mail_is_written_in_the_admins_language_and_time_zone(
    app: Flask, clock: Clock, make_user: UserBuilder
) -> None:
    korean = make_user(Role.ADMIN, locale="ko")
    english = make_user(Role.ADMIN, locale="en")
    mentions, spike, usual = spiked_traffic(seed=9)
    log_mentions(until(mentions, clock.set(spike + HOUR + timedelta(minutes=1))))
    spike_check()
    rows = {row.target: row for row in outbox(OutboxKind.EMAIL)}

    def render(user_email: str, lang: str) -> letters.Rendered:
        row = rows[user_email]
        user = korean if lang == "ko" else english
        rendered = letters.render("mention_spike", row.payload["params"], user, lang)
        assert isinstance(rendered, letters.Rendered)
        return rendered

    ko = render(korean.email, "ko")
    en = render(english.email, "en")

    assert "불만" in ko.subject
    assert "21:00–22:00 KST" in ko.subject
    assert f"{5 * usual}" in ko.text
    assert "/staff/dashboard#mention-chart" in ko.text
    assert en.subject.startswith("Spike of complaints")
    assert "12:00–13:00 UTC" in en.subject
    assert "5.0× the usual" in en.text


# --- the banner ---------------------------------------------------------------------------------


def fire_one(clock: Clock) -> SpikeAlertRow:
    mentions, spike, _usual = spiked_traffic(seed=10)
    log_mentions(until(mentions, clock.set(spike + HOUR + timedelta(minutes=1))))
    spike_check()
    (row,) = alert_rows()
    return row


def test_staff_see_the_banner_on_every_staff_page_and_customers_never(
    app: Flask, client: FlaskClient, clock: Clock, make_user: UserBuilder
) -> None:
    fire_one(clock)
    customer = make_user()
    login(client, customer)
    assert "Spike of mentions" not in client.get("/").get_data(as_text=True)
    assert client.get("/staff/dashboard").status_code == 403
    client = app.test_client()
    staff = make_user(Role.STAFF)
    login(client, staff)

    for path in ("/staff/dashboard", "/staff/inbox", "/staff/outbox"):
        page = client.get(path).get_data(as_text=True)
        assert "Spike of mentions" in page, path
        assert "Spike of complaints" in page
        assert "/staff/dashboard#mention-chart" in page
    assert "Spike of mentions" not in client.get("/").get_data(as_text=True)


def test_dismissing_the_banner_takes_it_off_for_every_staff_member_and_needs_csrf(
    app: Flask, client: FlaskClient, clock: Clock, make_user: UserBuilder
) -> None:
    row = fire_one(clock)
    staff = make_user(Role.STAFF)
    login(client, staff)

    refused = client.post(f"/staff/spikes/{row.id}/dismiss", data={"next": "/staff/inbox"})
    assert refused.status_code in (302, 400)
    assert alert_rows()[0].acknowledged_at is None

    done = post(client, f"/staff/spikes/{row.id}/dismiss", {"next": "/staff/inbox"})
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/staff/inbox")
    (after,) = alert_rows()
    assert after.acknowledged_by_id == staff.id
    assert after.acknowledged_at is not None
    assert "Spike of mentions" not in client.get("/staff/inbox").get_data(as_text=True)

    evil = post(client, f"/staff/spikes/{row.id}/dismiss", {"next": "https://evil.example/"})
    assert evil.headers["Location"].endswith("/staff/dashboard")
    assert post(client, "/staff/spikes/999999/dismiss").status_code == 404


def test_customers_cannot_dismiss(
    app: Flask, client: FlaskClient, clock: Clock, make_user: UserBuilder
) -> None:
    row = fire_one(clock)
    login(client, make_user())

    assert post(client, f"/staff/spikes/{row.id}/dismiss").status_code == 403
    assert alert_rows()[0].acknowledged_at is None


# --- the chart ----------------------------------------------------------------------------------


def test_the_dashboard_chart_shows_the_counts_per_hour_in_the_viewers_zone_with_spikes_marked(
    app: Flask, client: FlaskClient, clock: Clock, make_user: UserBuilder
) -> None:
    row = fire_one(clock)
    staff = make_user(Role.STAFF)
    staff.timezone = "Asia/Seoul"
    db.session.commit()
    login(client, staff)

    page = client.get("/staff/dashboard").get_data(as_text=True)

    assert 'id="mention-chart"' in page
    assert "<svg" in page
    spike_bar = re.search(r"<title>([^<]*spike alert[^<]*)</title>", page)
    assert spike_bar is not None
    assert "21:00–22:00 KST" in spike_bar.group(1)  # 12:00 UTC, shown in Seoul time
    assert f"complaints {row.count}" in spike_bar.group(1)
    total_48h = db.session.scalar(
        select(func.count(MentionLog.id)).where(
            MentionLog.posted_at >= alerts.utc_hour(clock.now()) - 47 * HOUR
        )
    )
    assert f"{total_48h:,} mentions in the last 48 hours" in page
    assert "1 spike alert." in page
    week = client.get("/staff/dashboard?range=7d").get_data(as_text=True)
    assert "in the last 7 days" in week
    odd = client.get("/staff/dashboard?range=forever")
    assert odd.status_code == 200
    assert "in the last 48 hours" in odd.get_data(as_text=True)


# --- settings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("IDEABOARD_SPIKE_FACTOR", "lots", "must be a number"),
        ("IDEABOARD_SPIKE_FACTOR", "0.5", "from 1 to 100"),
        ("IDEABOARD_SPIKE_FACTOR", "101", "from 1 to 100"),
        ("IDEABOARD_SPIKE_FACTOR", "nan", "number"),
        ("IDEABOARD_SPIKE_MIN_COUNT", "0", "from 1 to 1000000"),
        ("IDEABOARD_SPIKE_MIN_COUNT", "2.5", "whole number"),
        ("IDEABOARD_SPIKE_MIN_COUNT", "-3", "0 or more"),
    ],
)
def test_bad_spike_settings_stop_the_app_at_start_with_the_settings_name(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, said: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(RuntimeError, match=said) as error:
        create_app(BASE_CONFIG)

    assert name in str(error.value) or "spike" in str(error.value)


def test_spike_settings_from_the_environment_are_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDEABOARD_SPIKE_FACTOR", "4.5")
    monkeypatch.setenv("IDEABOARD_SPIKE_MIN_COUNT", "25")
    app = create_app(BASE_CONFIG)

    with app.app_context():
        settings = alerts.spike_settings()

    assert (settings.factor, settings.min_count) == (4.5, 25)


def test_korean_staff_read_the_banner_and_chart_in_korean_and_seoul_time(
    app: Flask, client: FlaskClient, clock: Clock, make_user: UserBuilder
) -> None:
    row = fire_one(clock)
    login(client, make_user(Role.STAFF, locale="ko"))

    page = client.get("/staff/dashboard").get_data(as_text=True)

    banner = page[page.index('class="spike-banner"') : page.index("</section>")]
    assert "멘션 급증" in banner
    line = f"불만 급증, 2026-11-09 21:00–22:00 KST: 한 시간에 멘션 {row.count}건"
    assert line in banner
    words = " ".join(re.sub(r"<[^>]+>", " ", banner).split())
    print(f"\nthe banner in Korean: {words}")
    assert "알림 닫기" in banner
    assert "시간별 멘션" in page
    assert "급증 알림 1건." in page
