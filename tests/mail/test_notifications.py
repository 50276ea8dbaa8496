"""Follower e-mails against a real SMTP server: stage changes, official answers, merges.

Who gets one (authors, voters, commenters and followers who want each update, not whoever
made the change), what it says (the note, the stage, who answered, the link) in the
recipient's language, and what never gets through (internal stages, unverified, bounced or
"none"/"daily" accounts, a title that tries to add a header, markup in a note).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from ideaboard.accounts.models import EmailChoice, User
from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.ideas import services as ideas
from ideaboard.ideas.models import Idea
from ideaboard.outbox.models import OutboxState
from ideaboard.triage import services as triage
from ideaboard.triage.models import Stage
from tests.helpers import IdeaBuilder, UserBuilder
from tests.mail.helpers import Received, SmtpServer, deliver, email_rows

NOTE = (
    "We will build **dark mode** in the spring release.\n\n"
    "- the app first\n- then [the website](/ideas)\n\n"
    "Thanks for asking! <script>alert('x')</script>"
)


@pytest.fixture
def staff(make_user: UserBuilder) -> User:
    return make_user("staff", name="Kim Gayoung", initials="KG")


def sent_to(server: SmtpServer, count: int) -> dict[str, Received]:
    """Deliver the outbox and return the messages the server got, by recipient."""
    deliver()
    received = server.wait_for(count)
    assert len(received) == count, [r.rcpt_tos for r in received]
    by_address: dict[str, Received] = {}
    for message in received:
        (address,) = message.rcpt_tos
        assert address not in by_address, f"two e-mails to {address}"
        by_address[address] = message
    return by_address


def plain(message: Received) -> str:
    """The text part, with the line breaks as written (SMTP carries them as CRLF)."""
    return message.body("plain").replace("\r\n", "\n")


def move(idea: Idea, slug: str, by: User, note: str = NOTE, **kwargs: Any) -> Any:
    change = triage.change_stage(idea, triage.find_stage(slug), note, by, **kwargs)
    db.session.commit()
    return change


def test_followers_hear_of_a_stage_change_with_the_note(
    app: Flask,
    smtp_server: SmtpServer,
    make_user: UserBuilder,
    make_idea: IdeaBuilder,
    staff: User,
) -> None:
    author, voter, commenter, follower = (make_user() for _ in range(4))
    idea = make_idea(author, title="Dark mode for the app")
    ideas.cast_vote(voter, idea, 1)
    ideas.add_comment(commenter, idea, "Yes please")
    ideas.follow_idea(follower, idea)
    ideas.follow_idea(staff, idea)  # the one who answers does not hear of it
    make_user()  # someone who follows nothing
    db.session.commit()

    change = move(idea, "planned", staff)

    received = sent_to(smtp_server, 4)
    assert set(received) == {author.email, voter.email, commenter.email, follower.email}
    message = received[voter.email]
    assert message.message["Subject"] == "[Planned] Dark mode for the app"
    assert message.message["To"] == f"{voter.name} <{voter.email}>"
    text = plain(message)
    assert "New status: Planned" in text
    assert "Kim Gayoung (KG) wrote:" in text
    # The note in full, as plain text: no Markdown marks, links spelled out on the site.
    assert "We will build dark mode in the spring release." in text
    assert "- the app first\n- then the website (http://127.0.0.1:5000/ideas)" in text
    assert "**" not in text
    assert f"http://127.0.0.1:5000/ideas/{idea.id}#status-{change.id}" in text
    html = message.body("html")
    assert "&lt;script&gt;alert(" in html
    assert "<script>" not in html
    assert f'href="http://127.0.0.1:5000/ideas/{idea.id}#status-{change.id}"' in html
    assert "Kim Gayoung (KG)" in html
    # A notification: one-click unsubscribe (RFC 8058).
    assert message.message["List-Unsubscribe"].startswith(
        "<http://127.0.0.1:5000/mail/unsubscribe/"
    )
    assert message.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    rows = email_rows()
    assert {row.dedupe_key for row in rows} == {
        f"email:stage:{change.id}:user:{user.id}" for user in (author, voter, commenter, follower)
    }
    assert all(row.state == OutboxState.SENT.value for row in rows)
    assert all(row.status_change_id == change.id and row.idea_id == idea.id for row in rows)


def test_a_korean_follower_reads_it_in_korean(
    app: Flask,
    smtp_server: SmtpServer,
    make_user: UserBuilder,
    make_idea: IdeaBuilder,
    staff: User,
) -> None:
    korean = make_user(locale="ko", name="김민지")
    idea = make_idea(korean, title="지하철 5G 개선")

    move(idea, "under-review", staff, note="담당 팀이 **검토**하고 있습니다.")

    message = sent_to(smtp_server, 1)[korean.email]
    raw_headers = message.data.split(b"\r\n\r\n", 1)[0]
    assert raw_headers.isascii()  # the Korean subject travels as RFC 2047 encoded-words
    assert message.message["Subject"] == "[검토 중] 지하철 5G 개선"
    assert message.message["To"].addresses[0].display_name == "김민지"
    text = plain(message)
    assert "팔로우한 아이디어의 단계가 바뀌었습니다." in text
    assert "새 단계: 검토 중" in text
    assert "담당 팀이 검토하고 있습니다." in text
    assert "Kim Gayoung (KG) 님의 답변:" in text
    assert '<html lang="ko">' in message.body("html")


def test_who_does_not_get_the_per_update_email(
    app: Flask,
    smtp_server: SmtpServer,
    make_user: UserBuilder,
    make_idea: IdeaBuilder,
    staff: User,
) -> None:
    wants_each = make_user()
    unverified = make_user(verified=False)
    bounced = make_user()
    bounced.email_undeliverable_at = utcnow()
    bounced.email_undeliverable_reason = "550 5.1.1 no such user"
    said_none, said_daily = make_user(), make_user()
    said_none.email_notifications = EmailChoice.NONE.value
    said_daily.email_notifications = EmailChoice.DAILY.value
    closed = make_user()
    closed.active = False
    idea = make_idea(wants_each)
    for user in (unverified, bounced, said_none, said_daily, closed):
        ideas.follow_idea(user, idea)
    db.session.commit()

    move(idea, "planned", staff)

    assert set(sent_to(smtp_server, 1)) == {wants_each.email}
    assert [row.target for row in email_rows()] == [wants_each.email]  # no row for the others


def test_an_internal_stage_emails_nobody(
    app: Flask,
    smtp_server: SmtpServer,
    make_user: UserBuilder,
    make_idea: IdeaBuilder,
    staff: User,
) -> None:
    db.session.add(Stage(slug="costing", name="Costing", position=25, is_public=False))
    db.session.commit()
    idea = make_idea(make_user())

    move(idea, "costing", staff, note="Internal: ask finance first", check_workflow=False)

    assert email_rows() == []
    assert deliver().claimed == 0
    assert smtp_server.messages() == []


def test_a_change_hidden_or_unwanted_before_it_is_sent_is_not_sent(
    app: Flask,
    smtp_server: SmtpServer,
    make_user: UserBuilder,
    make_idea: IdeaBuilder,
    staff: User,
) -> None:
    """The letter is written at send time: it checks the recipient and the idea again."""
    changed_mind, stays = make_user(), make_user()
    idea = make_idea(changed_mind)
    ideas.follow_idea(stays, idea)
    db.session.commit()
    move(idea, "planned", staff)
    changed_mind.email_notifications = EmailChoice.NONE.value
    db.session.commit()

    assert set(sent_to(smtp_server, 1)) == {stays.email}
    states = {row.target: row.state for row in email_rows()}
    assert states == {changed_mind.email: "cancelled", stays.email: "sent"}

    triage.hide_idea(idea, staff, "spam")
    db.session.commit()
    move(idea, "declined", staff)  # a hidden idea's followers are not e-mailed
    assert len(email_rows()) == 2
    assert deliver().claimed == 0


def test_the_followers_of_a_merged_duplicate_get_one_email_for_the_merge(
    app: Flask,
    smtp_server: SmtpServer,
    make_user: UserBuilder,
    make_idea: IdeaBuilder,
    staff: User,
) -> None:
    dup_author, target_author = make_user(), make_user(locale="ko")
    only_duplicate, both, only_target = make_user(), make_user(), make_user()
    duplicate = make_idea(dup_author, title="Night theme")
    target = make_idea(target_author, title="Dark mode")
    ideas.cast_vote(only_duplicate, duplicate, 1)
    ideas.cast_vote(both, duplicate, 1)
    ideas.cast_vote(both, target, 1)
    ideas.cast_vote(only_target, target, 1)
    db.session.commit()

    change = triage.merge_ideas(duplicate, target, staff)
    db.session.commit()

    received = sent_to(smtp_server, 3)
    # One e-mail each for the duplicate's followers (the merge also published a stage
    # change for the duplicate); the target's own followers hear nothing.
    assert set(received) == {dup_author.email, only_duplicate.email, both.email}
    message = received[only_duplicate.email]
    assert message.message["Subject"] == "[Duplicate] Night theme"
    text = plain(message)
    assert "was merged into another idea" in text
    assert f"Dark mode\nhttp://127.0.0.1:5000/ideas/{target.id}" in text
    assert "Merged into Dark mode (http://127.0.0.1:5000/ideas/" in text  # the note, plain
    assert {row.dedupe_key for row in email_rows()} == {
        f"email:stage:{change.id}:user:{user.id}" for user in (dup_author, only_duplicate, both)
    }

    # The next answer on the target reaches everyone who follows it now, once each.
    ideas.follow_idea(only_target, duplicate)  # and someone who follows only the duplicate
    db.session.commit()
    ideas.unfollow_idea(only_target, target)
    db.session.commit()
    move(target, "planned", staff, note="Planned for May")
    smtp_server.received.clear()
    received = sent_to(smtp_server, 5)
    assert set(received) == {
        dup_author.email,
        target_author.email,
        only_duplicate.email,
        both.email,
        only_target.email,
    }
    assert received[target_author.email].message["Subject"] == "[계획됨] Dark mode"


def test_an_official_answer_reaches_the_followers_but_a_customer_comment_does_not(
    app: Flask,
    smtp_server: SmtpServer,
    make_user: UserBuilder,
    make_idea: IdeaBuilder,
    staff: User,
) -> None:
    author, follower = make_user(), make_user()
    idea = make_idea(author, title="Family plan")
    ideas.follow_idea(follower, idea)
    db.session.commit()

    ideas.add_comment(follower, idea, "Me too!")  # a customer comment: no e-mail
    db.session.commit()
    assert email_rows() == []

    comment = ideas.add_comment(staff, idea, "We are talking to **billing** about it.")
    db.session.commit()

    received = sent_to(smtp_server, 2)
    assert set(received) == {author.email, follower.email}  # not staff, who wrote it
    message = received[author.email]
    assert message.message["Subject"] == "Official answer: Family plan"
    text = plain(message)
    assert "We are talking to billing about it." in text
    assert "Kim Gayoung (KG) wrote:" in text
    assert f"http://127.0.0.1:5000/ideas/{idea.id}#comment-{comment.id}" in text
    assert message.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert {row.dedupe_key for row in email_rows()} == {
        f"email:answer:{comment.id}:user:{author.id}",
        f"email:answer:{comment.id}:user:{follower.id}",
    }


def test_a_title_with_line_breaks_cannot_add_a_header(
    app: Flask,
    smtp_server: SmtpServer,
    make_user: UserBuilder,
    make_idea: IdeaBuilder,
    staff: User,
) -> None:
    author = make_user()
    idea = make_idea(author)
    # The idea form folds line breaks; a title written some other way must be safe too.
    idea.title = "Hi\r\nBcc: victim@example.com\r\n\r\n<script>x()</script>\u2028Subject: no"
    db.session.commit()

    move(idea, "planned", staff, note="Looking at it <b>now</b>")

    message = sent_to(smtp_server, 1)[author.email]
    assert message.rcpt_tos == [author.email]
    assert message.message["Bcc"] is None
    assert message.message.get_all("Subject") == [
        "[Planned] Hi Bcc: victim@example.com <script>x()</script> Subject: no"
    ]
    html = message.body("html")
    assert "<script>" not in html
    assert "&lt;script&gt;x()&lt;/script&gt;" in html
    assert "&lt;b&gt;now&lt;/b&gt;" in html


def test_a_huge_note_is_sent_whole(
    app: Flask,
    smtp_server: SmtpServer,
    make_user: UserBuilder,
    make_idea: IdeaBuilder,
    staff: User,
) -> None:
    author = make_user(locale="ko")
    idea = make_idea(author)
    note = ("가나다라마바사 " * 625).strip()  # 4,999 characters, one line
    assert len(note) == triage.NOTE_MAX - 1

    move(idea, "planned", staff, note=note)

    message = sent_to(smtp_server, 1)[author.email]
    assert note in plain(message)
    assert note in message.body("html")
    assert max(len(line) for line in message.data.split(b"\r\n")) <= 998  # RFC 5322


def test_one_query_finds_the_recipients_however_many_follow(
    app: Flask, make_user: UserBuilder, make_idea: IdeaBuilder, staff: User
) -> None:
    from sqlalchemy import event

    idea = make_idea(make_user())
    for _ in range(30):
        ideas.follow_idea(make_user(), idea)
    db.session.commit()
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        move(idea, "planned", staff)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    outbox_inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO OUTBOX")]
    user_selects = [s for s in statements if "FROM users" in s and "follows" in s]
    assert len(user_selects) == 1, user_selects
    assert outbox_inserts
    assert all("ON CONFLICT" in s.upper() for s in outbox_inserts)
    assert len(email_rows()) == 31
