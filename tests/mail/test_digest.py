"""The daily digest against a real SMTP server, with the clock moved by the test.

One digest per UTC day for the people who chose it and have news, with everything since the
last one, newest first; nothing on a day without news; a second run the same day queues
nothing and costs one read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from ideaboard.accounts import preferences
from ideaboard.accounts.models import EmailChoice, User
from ideaboard.extensions import db
from ideaboard.ideas import services as ideas
from ideaboard.ideas.models import Idea
from ideaboard.mail import digest
from ideaboard.mail.jobs import run_scheduled
from ideaboard.triage import services as triage
from tests.helpers import Clock, IdeaBuilder, UserBuilder
from tests.mail.helpers import Received, SmtpServer, deliver, email_rows

DAY_1 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
DAY_2 = datetime(2026, 12, 8, 0, 5, tzinfo=UTC)


@pytest.fixture
def staff(make_user: UserBuilder) -> User:
    return make_user("staff", name="Kim Gayoung", initials="KG")


def plain(message: Received) -> str:
    return message.body("plain").replace("\r\n", "\n")


def daily_user(make_user: UserBuilder, **kwargs: Any) -> User:
    user = make_user(**kwargs)
    preferences.set_email_notifications(user, EmailChoice.DAILY.value)
    db.session.commit()
    return user


def move(idea: Idea, slug: str, by: User, note: str) -> None:
    triage.change_stage(idea, triage.find_stage(slug), note, by)
    db.session.commit()


def run_digest(clock: Clock) -> int:
    return run_scheduled(clock.now())["digest"]


def test_a_days_news_come_in_one_digest_the_next_morning(
    app: Flask,
    smtp_server: SmtpServer,
    make_user: UserBuilder,
    make_idea: IdeaBuilder,
    staff: User,
    clock: Clock,
) -> None:
    clock.set(DAY_1)
    reader = daily_user(make_user, locale="ko")
    other = make_user()  # wants each update: e-mailed at once, never in a digest
    idea = make_idea(reader, title="지하철 5G 개선")
    ideas.follow_idea(other, idea)
    db.session.commit()
    clock.advance(hours=1)
    move(idea, "under-review", staff, "담당 팀이 **검토**하고 있습니다.")
    clock.advance(hours=2)
    ideas.add_comment(staff, idea, "통신사와 협의 중입니다.")
    db.session.commit()
    clock.advance(hours=3)
    move(idea, "planned", staff, "내년 상반기에 적용합니다.")

    assert run_digest(clock) == 0  # the day is not over
    assert {row.target for row in email_rows()} == {other.email}

    clock.set(DAY_2)
    assert run_digest(clock) == 1
    deliver()
    received = smtp_server.wait_for(4)  # three updates for `other`, one digest for `reader`
    (message,) = [r for r in received if r.rcpt_tos == [reader.email]]
    assert message.message["Subject"] == "팔로우한 아이디어 소식 3건"
    assert message.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = plain(message)
    # Newest first: Planned, the official answer, Under Review.
    planned = text.index("새 단계: 계획됨")
    answer = text.index("공식 답변")
    review = text.index("새 단계: 검토 중")
    assert planned < answer < review
    assert "내년 상반기에 적용합니다." in text
    assert "담당 팀이 검토하고 있습니다." in text  # the note as plain text
    assert "통신사와 협의 중입니다." in text
    assert "Kim Gayoung (KG)" in text
    assert f"http://127.0.0.1:5000/ideas/{idea.id}#status-" in text
    assert "지하철 5G 개선" in message.body("html")
    (row,) = [r for r in email_rows() if r.target == reader.email]
    assert row.dedupe_key == f"email:digest:{reader.id}:2026-12-08"
    db.session.refresh(reader)
    assert reader.digest_sent_at == datetime(2026, 12, 8, tzinfo=UTC)

    # Later the same day: nothing more, even with news (they wait for tomorrow).
    clock.advance(hours=6)
    move(idea, "in-progress", staff, "개발을 시작했습니다.")
    assert run_digest(clock) == 0
    assert len([r for r in email_rows() if r.target == reader.email]) == 1

    # The next morning: only what happened since the last digest.
    clock.set(datetime(2026, 12, 9, 0, 1, tzinfo=UTC))
    assert run_digest(clock) == 1
    deliver()
    received = smtp_server.wait_for(6)
    latest = [r for r in received if r.rcpt_tos == [reader.email]][-1]
    assert latest.message["Subject"] == "팔로우한 아이디어 소식 1건"
    assert "개발을 시작했습니다." in plain(latest)
    assert "내년 상반기" not in plain(latest)


def test_no_news_no_digest_and_only_for_those_who_can_receive_it(
    app: Flask,
    smtp_server: SmtpServer,
    make_user: UserBuilder,
    make_idea: IdeaBuilder,
    staff: User,
    clock: Clock,
) -> None:
    clock.set(DAY_1)
    quiet = daily_user(make_user)  # follows an idea nothing happens to
    make_idea(quiet)
    unverified = daily_user(make_user, verified=False)
    unsubscribed = daily_user(make_user)
    busy = daily_user(make_user)
    idea = make_idea(busy)
    for user in (unverified, unsubscribed):
        ideas.follow_idea(user, idea)
    db.session.commit()
    clock.advance(hours=1)
    move(idea, "planned", staff, "Planned")
    unsubscribed.email_notifications = EmailChoice.NONE.value
    db.session.commit()

    clock.set(DAY_2)
    assert run_digest(clock) == 1
    assert [row.target for row in email_rows()] == [busy.email]
    deliver()
    (message,) = smtp_server.wait_for(1)
    assert message.rcpt_tos == [busy.email]
    assert message.message["Subject"] == "1 update on the ideas you follow"


def test_choosing_the_digest_starts_it_from_then(
    app: Flask,
    make_user: UserBuilder,
    make_idea: IdeaBuilder,
    staff: User,
    clock: Clock,
) -> None:
    """What was e-mailed one by one before the switch is not sent again in the digest."""
    clock.set(DAY_1)
    reader = make_user()
    idea = make_idea(reader)
    move(idea, "under-review", staff, "Seen")  # e-mailed at once: reader wants each update
    clock.advance(hours=1)
    preferences.set_email_notifications(reader, EmailChoice.DAILY.value)
    db.session.commit()
    preferences.set_email_notifications(reader, EmailChoice.DAILY.value)  # again: no change
    db.session.commit()
    assert reader.digest_sent_at == DAY_1.replace(hour=10)

    clock.set(DAY_2)
    assert run_digest(clock) == 0  # nothing since the switch


def test_a_long_digest_shows_fifty_and_links_the_rest(
    app: Flask,
    smtp_server: SmtpServer,
    make_user: UserBuilder,
    make_idea: IdeaBuilder,
    staff: User,
    clock: Clock,
) -> None:
    clock.set(DAY_1)
    reader = daily_user(make_user)
    idea = make_idea(reader, title="Busy idea")
    clock.advance(minutes=1)
    for number in range(1, digest.ITEMS_MAX + 3):
        ideas.add_comment(staff, idea, f"Answer number {number}.")
        clock.advance(minutes=1)
    db.session.commit()

    clock.set(DAY_2)
    assert run_digest(clock) == 1
    deliver()
    (message,) = smtp_server.wait_for(1)
    assert message.message["Subject"] == "52 updates on the ideas you follow"
    text = plain(message)
    assert text.count("Official answer · Kim Gayoung (KG)") == digest.ITEMS_MAX
    assert "Answer number 52." in text
    assert "Answer number 3." in text
    assert "Answer number 2." not in text  # the oldest two are left for the site
    assert "… and 2 more: http://127.0.0.1:5000/notifications" in text
    assert 'href="http://127.0.0.1:5000/notifications"' in message.body("html")


def test_once_the_days_digests_are_queued_a_round_costs_one_read(
    app: Flask, make_user: UserBuilder, make_idea: IdeaBuilder, staff: User, clock: Clock
) -> None:
    clock.set(DAY_1)
    for _ in range(3):
        reader = daily_user(make_user)
        move(make_idea(reader), "planned", staff, "Planned")
    clock.set(DAY_2)
    assert run_digest(clock) == 3

    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        clock.advance(minutes=5)
        assert digest.queue_digests(clock.now()) == 0
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    queries = [s for s in statements if s.strip().upper() != "BEGIN"]  # SQLite's own BEGIN
    assert len(queries) == 1, queries
    assert "FROM job_marks" in queries[0]
    assert len(email_rows()) == 3


def test_digests_go_out_in_batches_over_rounds(
    app: Flask,
    make_user: UserBuilder,
    make_idea: IdeaBuilder,
    staff: User,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(digest, "DIGEST_BATCH", 2)
    clock.set(DAY_1)
    readers = [daily_user(make_user) for _ in range(5)]
    idea = make_idea()
    for reader in readers:
        ideas.follow_idea(reader, idea)
    db.session.commit()
    move(idea, "planned", staff, "Planned")

    clock.set(DAY_2)
    assert [run_digest(clock) for _ in range(4)] == [2, 2, 1, 0]
    keys = sorted(row.dedupe_key for row in email_rows() if row.payload["letter"] == "digest")
    assert keys == sorted(f"email:digest:{r.id}:2026-12-08" for r in readers)
