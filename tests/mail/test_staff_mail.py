"""Staff e-mails through a real SMTP server: the daily list of a team's overdue ideas, and the
alert to admins when outbox rows die (one per admin, at most hourly, never about itself)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import select

from ideaboard.accounts.models import User
from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.mail import enqueue
from ideaboard.mail.jobs import run_scheduled
from ideaboard.mail.staff import redact
from ideaboard.outbox.models import OutboxKind, OutboxMessage, OutboxState
from ideaboard.triage.models import Team, TeamMember
from tests.helpers import Clock, IdeaBuilder, UserBuilder
from tests.mail.helpers import Received, SmtpServer, deliver, email_rows

START = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def make_team(slug: str, name: str, *members: User) -> Team:
    """The team (the migrations make Product, Support, Billing, Network), with members."""
    team = db.session.scalar(select(Team).where(Team.slug == slug))
    if team is None:
        team = Team(slug=slug, name=name, position=100)
        db.session.add(team)
        db.session.flush()
    db.session.add_all(TeamMember(team_id=team.id, user_id=user.id) for user in members)
    db.session.commit()
    return team


def idea_for(make_idea: IdeaBuilder, team: Team | None, title: str) -> Idea:
    idea = make_idea(title=title)
    idea.team_id = team.id if team is not None else None
    db.session.commit()
    return idea


def by_recipient(messages: list[Received]) -> dict[str, Received]:
    found: dict[str, Received] = {}
    for received in messages:
        (to,) = received.rcpt_tos
        assert to not in found, f"{to} got two e-mails"
        found[to] = received
    return found


def run_job(name: str, clock: Clock) -> int:
    return run_scheduled(clock.now())[name]


# --- overdue ideas --------------------------------------------------------------------------


def test_team_members_get_their_teams_overdue_ideas_once_a_day(
    app: Flask,
    smtp_server: SmtpServer,
    make_user: UserBuilder,
    make_idea: IdeaBuilder,
    clock: Clock,
) -> None:
    clock.set(START)
    kim = make_user("staff", name="Kim", email="kim@example.com")
    lee = make_user("staff", name="Lee", email="lee@example.com", locale="ko")
    park = make_user("staff", name="Park", email="park@example.com")
    admin = make_user("admin", name="Admin", email="admin@example.com")
    unverified = make_user("staff", email="new-staff@example.com", verified=False)
    bounced = make_user("staff", email="bounced@example.com")
    bounced.email_undeliverable_at = utcnow()
    customer = make_user(email="customer@example.com")  # on a team by mistake: still no mail
    billing = make_team("billing", "Billing", kim, lee, unverified, bounced, customer)
    product = make_team("product", "Product", park)

    old = idea_for(make_idea, billing, "Old billing idea")
    answered = idea_for(make_idea, billing, "Answered billing idea")
    answered.first_response_at = utcnow()  # staff answered it
    hidden = idea_for(make_idea, billing, "Hidden spam idea")
    hidden.hidden_at = utcnow()
    done = idea_for(make_idea, product, "Answered product idea")
    done.first_response_at = utcnow()
    orphan = idea_for(make_idea, None, "Idea without a team")
    db.session.commit()
    clock.advance(hours=30)  # 2 December, 12:00: past the 24-hour target
    young = idea_for(make_idea, billing, "New billing idea")

    assert run_job("overdue_ideas", clock) == 3  # Kim, Lee (Billing) and the admin (no team)
    assert deliver().sent == 3
    mail = by_recipient(smtp_server.wait_for(3))
    assert set(mail) == {kim.email, lee.email, admin.email}

    kims = mail[kim.email]
    assert kims.message["Subject"] == "Billing: 1 idea waits past the first-answer target"
    assert kims.message["List-Unsubscribe"] is None  # part of the job, not a subscription
    text = kims.body("plain")
    assert f"#{old.id} Old billing idea" in text
    assert f"http://127.0.0.1:5000/staff/ideas/{old.id}" in text
    assert "(waiting 30 hours)" in text
    for other in (answered, hidden, young, orphan, done):
        assert other.title not in text
    assert f'href="http://127.0.0.1:5000/staff/ideas/{old.id}"' in kims.body("html")

    lees = mail[lee.email]  # in Korean, as Lee reads it
    assert lees.message["Subject"] == "요금: 첫 답변 목표 시간을 넘긴 아이디어 1개"
    assert "Old billing idea" in lees.body("plain")

    admins = mail[admin.email]
    assert admins.message["Subject"] == "1 idea without a team waits past the first-answer target"
    assert "Idea without a team" in admins.body("plain")
    assert "Old billing idea" not in admins.body("plain")

    # The same day again: nothing more, however often the worker runs.
    clock.advance(hours=5)
    assert run_job("overdue_ideas", clock) == 0
    assert run_job("overdue_ideas", clock) == 0
    # The next day: the ideas still waiting are listed again (the young one is not due yet).
    clock.set(datetime(2026, 12, 3, 0, 30, tzinfo=UTC))
    assert run_job("overdue_ideas", clock) == 3
    keys = {row.dedupe_key for row in email_rows()}
    assert f"email:overdue:{billing.id}:{kim.id}:2026-12-03" in keys
    assert f"email:overdue:none:{admin.id}:2026-12-03" in keys
    recipients = {int(key.split(":")[3]) for key in keys}
    assert recipients == {kim.id, lee.id, admin.id}  # never Park, whose team has none overdue


def test_nothing_overdue_means_no_email(
    app: Flask,
    smtp_server: SmtpServer,
    make_user: UserBuilder,
    make_idea: IdeaBuilder,
    clock: Clock,
) -> None:
    clock.set(START)
    kim = make_user("staff", email="kim@example.com")
    make_user("admin", email="admin@example.com")
    billing = make_team("billing", "Billing", kim)
    answered = idea_for(make_idea, billing, "Answered")
    answered.first_response_at = utcnow()
    db.session.commit()
    clock.advance(hours=20)
    idea_for(make_idea, billing, "Young")
    idea_for(make_idea, None, "Young and without a team")
    clock.advance(hours=3)  # the young ones are 3 hours old, the answered one 23
    assert run_job("overdue_ideas", clock) == 0
    assert email_rows() == []


def test_an_idea_answered_before_the_email_goes_is_left_out(
    app: Flask,
    smtp_server: SmtpServer,
    make_user: UserBuilder,
    make_idea: IdeaBuilder,
    clock: Clock,
) -> None:
    clock.set(START)
    kim = make_user("staff", email="kim@example.com")
    billing = make_team("billing", "Billing", kim)
    first = idea_for(make_idea, billing, "First waiting idea")
    second = idea_for(make_idea, billing, "Second waiting idea")
    clock.advance(days=2)
    assert run_job("overdue_ideas", clock) == 1
    first.first_response_at = utcnow()
    db.session.commit()
    deliver()
    (received,) = smtp_server.wait_for(1)
    assert received.message["Subject"] == "Billing: 1 idea waits past the first-answer target"
    assert second.title in received.body("plain")
    assert first.title not in received.body("plain")
    # Once every idea on the list is answered, the e-mail is not sent at all.
    clock.set(datetime(2026, 12, 4, 1, 0, tzinfo=UTC))
    assert run_job("overdue_ideas", clock) == 1
    second.first_response_at = utcnow()
    db.session.commit()
    assert deliver().skipped == 1
    assert len(smtp_server.messages()) == 1
    assert email_rows()[-1].state == OutboxState.CANCELLED.value


def test_a_team_nobody_can_be_emailed_about_goes_to_the_admins(
    app: Flask,
    smtp_server: SmtpServer,
    make_user: UserBuilder,
    make_idea: IdeaBuilder,
    clock: Clock,
) -> None:
    clock.set(START)
    admin = make_user("admin", email="admin@example.com")
    gone = make_user("staff", email="gone@example.com")
    gone.active = False
    support = make_team("support", "Support", gone)
    idea_for(make_idea, support, "Support idea nobody sees")
    clock.advance(days=2)
    assert run_job("overdue_ideas", clock) == 1
    deliver()
    (received,) = smtp_server.wait_for(1)
    assert received.rcpt_tos == [admin.email]
    assert received.message["Subject"] == "Support: 1 idea waits past the first-answer target"
    text = received.body("plain")
    assert "Nobody on the team Support can get this e-mail" in text
    assert "Support idea nobody sees" in text


# --- dead outbox rows -----------------------------------------------------------------------


def dead_row(
    kind: OutboxKind, key: str, error: str, *, at: datetime | None = None
) -> OutboxMessage:
    """An outbox row that gave up (as the delivery loop leaves it)."""
    now = at or utcnow()
    row = OutboxMessage(
        kind=kind.value,
        state=OutboxState.DEAD.value,
        dedupe_key=key,
        target="1861000000000000001",
        text="a reply",
        attempts=8,
        max_attempts=8,
        last_error=error,
        created_at=now,
        next_attempt_at=now,
        claimed_at=now,
    )
    db.session.add(row)
    db.session.commit()
    return row


def refused_email(smtp_server: SmtpServer, to: str, key: str) -> None:
    """An e-mail the server refuses for good (550 on RCPT): its row dies at once."""
    smtp_server.behaviour.refuse[to] = "550 5.1.1 no such user"
    assert enqueue.enqueue(letter="test", to=to, dedupe_key=key)
    db.session.commit()
    assert deliver().dead == 1


def alert_rows() -> list[OutboxMessage]:
    return [row for row in email_rows() if row.dedupe_key.startswith("email:dead_alert:")]


def test_admins_get_one_alert_each_with_the_count_and_the_errors(
    app: Flask, smtp_server: SmtpServer, make_user: UserBuilder, clock: Clock
) -> None:
    clock.set(START)
    first = make_user("admin", email="admin1@example.com")
    second = make_user("admin", email="admin2@example.com", locale="ko")
    make_user("staff", email="staff@example.com")  # staff are not alerted
    make_user("admin", email="unverified-admin@example.com", verified=False)
    refused_email(smtp_server, "gone@example.com", "email:test:gone")
    dead_row(
        OutboxKind.WEBHOOK,
        "webhook:test:1",
        "connection: HTTPSConnectionPool(host='hooks.example', port=443): Max retries "
        "exceeded with url: /services/T000/B000/SECRET (https://hooks.example/services/SECRET)",
    )
    clock.advance(minutes=1)

    assert run_job("dead_alert", clock) == 2
    assert run_job("dead_alert", clock) == 0  # the next round: nothing new to say
    assert deliver().sent == 2
    mail = by_recipient(smtp_server.wait_for(2))
    assert set(mail) == {first.email, second.email}
    english = mail[first.email]
    assert english.message["Subject"] == "IdeaBoard gave up on 2 outbox messages"
    text = english.body("plain")
    assert "- e-mail: 1" in text
    assert "- webhook: 1" in text
    assert "recipient refused: 550 5.1.1 no such user" in text
    assert "SECRET" not in text  # a webhook URL's path never goes out in an e-mail
    assert "https://hooks.example/…" in text
    assert "http://127.0.0.1:5000/staff/outbox?state=dead" in text
    assert mail[second.email].message["Subject"] == "IdeaBoard가 보내지 못하고 포기한 메시지 2개"


def test_at_most_one_alert_an_hour_later_rows_come_in_the_next(
    app: Flask, smtp_server: SmtpServer, make_user: UserBuilder, clock: Clock
) -> None:
    clock.set(START)
    make_user("admin", email="admin@example.com")
    dead_row(OutboxKind.X_REPLY, "x_reply:test:1", "X answered 403: forbidden")
    assert run_job("dead_alert", clock) == 1
    clock.advance(minutes=10)
    dead_row(OutboxKind.X_REPLY, "x_reply:test:2", "X answered 403: second")
    clock.advance(minutes=40)
    dead_row(OutboxKind.X_POST, "x_post:test:3", "X answered 403: third")
    assert run_job("dead_alert", clock) == 0  # within the hour
    clock.advance(minutes=11)
    assert run_job("dead_alert", clock) == 1
    deliver()
    messages = smtp_server.wait_for(2)
    assert [m.message["Subject"] for m in messages] == [
        "IdeaBoard gave up on 1 outbox message",
        "IdeaBoard gave up on 2 outbox messages",
    ]
    later = messages[1].body("plain")
    assert "- reply on X: 1" in later
    assert "- post on X: 1" in later
    assert "second" in later
    assert "third" in later
    assert "forbidden" not in later  # told in the first alert already


def test_a_row_that_dies_after_a_newer_one_was_reported_is_reported(
    app: Flask, smtp_server: SmtpServer, make_user: UserBuilder, clock: Clock
) -> None:
    clock.set(START)
    make_user("admin", email="admin@example.com")
    older = dead_row(OutboxKind.X_REPLY, "x_reply:test:older", "")
    older.state = OutboxState.FAILED.value  # still being retried
    db.session.commit()
    dead_row(OutboxKind.X_REPLY, "x_reply:test:newer", "final at once")
    assert run_job("dead_alert", clock) == 1
    clock.advance(hours=2)
    older.state = OutboxState.DEAD.value  # its last attempt, now
    older.claimed_at = utcnow()
    older.last_error = "gave up after 8 attempts"
    db.session.commit()
    assert run_job("dead_alert", clock) == 1
    deliver()
    latest = smtp_server.wait_for(2)[-1]
    assert "IdeaBoard gave up on 1 outbox message" == latest.message["Subject"]
    assert f"#{older.id} (reply on X): gave up after 8 attempts" in latest.body("plain")


def test_an_alert_that_dies_causes_no_alert(
    app: Flask, smtp_server: SmtpServer, make_user: UserBuilder, clock: Clock
) -> None:
    clock.set(START)
    make_user("admin", email="admin@example.com")
    dead_row(OutboxKind.X_REPLY, "x_reply:test:1", "X answered 403")
    assert run_job("dead_alert", clock) == 1
    smtp_server.behaviour.data_reply = "554 5.7.1 message rejected"  # the mail server says no
    assert deliver().dead == 1
    (alert,) = alert_rows()
    assert alert.state == OutboxState.DEAD.value
    smtp_server.behaviour.data_reply = None
    for _hour in range(3):
        clock.advance(hours=2)
        assert run_job("dead_alert", clock) == 0
    assert len(alert_rows()) == 1
    assert smtp_server.messages() == []


def test_dead_rows_wait_for_an_admin_who_can_be_emailed(
    app: Flask, smtp_server: SmtpServer, make_user: UserBuilder, clock: Clock
) -> None:
    clock.set(START)
    admin = make_user("admin", email="admin@example.com", verified=False)
    dead_row(OutboxKind.X_REPLY, "x_reply:test:1", "X answered 403")
    assert run_job("dead_alert", clock) == 0
    admin.email_verified_at = utcnow()
    db.session.commit()
    assert run_job("dead_alert", clock) == 1


def test_redact_keeps_the_host_and_drops_paths_and_queries() -> None:
    assert redact("POST https://h.example/hook/abc?token=1 failed") == (
        "POST https://h.example/… failed"
    )
    assert (
        redact("Max retries exceeded with url: /a/b/c (x)")
        == "Max retries exceeded with url: … (x)"
    )
    assert len(redact("x" * 1000)) == 240


# --- what staff see -------------------------------------------------------------------------


def test_the_outbox_page_shows_email_rows_and_undeliverable_addresses(
    app: Flask, smtp_server: SmtpServer, make_user: UserBuilder, clock: Clock
) -> None:
    from tests.helpers import PASSWORD, login

    staff = make_user("staff")
    gone = make_user(name="Gone Customer", email="gone@example.com")
    refused_email(smtp_server, gone.email, "email:test:gone")
    assert enqueue.enqueue(letter="test", to="later@example.com", dedupe_key="email:test:later")
    dead_row(OutboxKind.X_REPLY, "x_reply:test:1", "X answered 403: not allowed")
    client = app.test_client()
    login(client, staff, PASSWORD)

    page = client.get("/staff/outbox").get_data(as_text=True)
    assert "e-mail to gone@example.com" in page
    assert "IdeaBoard test e-mail" in page  # the subject, stored when it was sent
    assert "recipient refused: 550 5.1.1 no such user" in page
    assert "(subject written when it is sent)" in page  # the pending one
    assert "letter: test" in page
    assert "X answered 403: not allowed" in page
    # The undeliverable addresses: who, which, since when, why.
    section = page[page.index("undeliverable-heading") :]
    assert "Gone Customer" in section
    assert "gone@example.com" in section
    assert "recipient refused: 550 5.1.1 no such user" in section
    # Filtered by kind, and by kind and state.
    emails = client.get("/staff/outbox?kind=email").get_data(as_text=True)
    assert "e-mail to gone@example.com" in emails
    assert "X answered 403" not in emails
    replies = client.get("/staff/outbox?kind=x_reply&state=dead").get_data(as_text=True)
    assert "X answered 403: not allowed" in replies
    assert "e-mail to gone@example.com" not in replies
    assert client.get("/staff/outbox?kind=nonsense").status_code == 200
    # Not in mailbox mode: no link to a mailbox that does not exist.
    assert "/dev/mailbox" not in page
    user = db.session.scalar(select(User).where(User.email == gone.email))
    assert user is not None
    assert user.email_undeliverable_at is not None
