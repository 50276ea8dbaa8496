"""Korean in headers survives folding: long subjects and display names decode back exactly.

Python 3.11's own folding leaves the space where it splits a long subject between two
encoded-words, where RFC 2047 says it is ignored; message.build writes a subject's
encoded-words itself. Display names are read here with the RFC 2047 decoder mail programs
follow (email.header), since Python's newer address parser wrongly reads a space into a name
split across encoded-words.
"""

from __future__ import annotations

import email
import email.policy
import random
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.utils import getaddresses

from flask import Flask

from ideaboard.extensions import db
from ideaboard.mail import enqueue, message
from ideaboard.mail.letters import Rendered
from ideaboard.mail.settings import check_mail_from
from tests.helpers import UserBuilder
from tests.mail.helpers import SmtpServer, deliver

LONG_NAME = "김민지 고객 지원 담당 팀장 겸 데이터 이월 서비스 기획자 홍길동"
WORDS = [
    "요금:",
    "첫",
    "답변",
    "목표",
    "시간을",
    "넘긴",
    "아이디어",
    "1개",
    "IdeaBoard가",
    "🎉",
    "x" * 30,
]


def addresses(raw: str) -> list[tuple[str, str]]:
    """(name, address) pairs of a raw address header, decoded as RFC 2047 says."""
    return getaddresses([str(make_header(decode_header(raw)))])


def round_trip(subject: str, name: str) -> email.message.Message:
    rendered = Rendered(subject, "text", "<p>html</p>", notification=False, unsubscribe_url=None)
    built = message.build(
        rendered,
        sender=check_mail_from("아이디어보드 알림 센터 겸 고객 지원 데스크 <ideas@board.test>"),
        to=message.recipient("minji@example.com", name),
        dedupe_key="email:test:headers",
        now=datetime(2026, 12, 4, tzinfo=UTC),
    )
    raw = built.as_bytes(policy=email.policy.SMTP)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    parsed = email.message_from_bytes(raw, policy=email.policy.compat32)
    assert isinstance(parsed, email.message.Message)
    return parsed


def test_long_korean_subjects_and_names_decode_back_exactly() -> None:
    rng = random.Random(14)  # noqa: S311 - reproducible test data, not a secret
    for _ in range(300):
        subject = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 30)))
        subject = message.one_line(subject, message.SUBJECT_MAX)
        parsed = round_trip(subject, LONG_NAME)
        assert str(make_header(decode_header(parsed["Subject"]))) == subject
        assert addresses(parsed["To"]) == [(LONG_NAME, "minji@example.com")]
    sender = addresses(round_trip("ASCII subject", "Kim")["From"])
    assert sender == [("아이디어보드 알림 센터 겸 고객 지원 데스크", "ideas@board.test")]


def test_a_long_korean_name_reaches_the_server_intact(
    app: Flask, smtp_server: SmtpServer, make_user: UserBuilder
) -> None:
    user = make_user(name=LONG_NAME, locale="ko")
    assert enqueue.enqueue(letter="test", to=user.email, dedupe_key="email:test:1", user=user)
    db.session.commit()
    deliver()
    (received,) = smtp_server.wait_for(1)
    assert received.rcpt_tos == [user.email]
    raw = email.message_from_bytes(received.data, policy=email.policy.compat32)
    assert addresses(raw["To"]) == [(LONG_NAME, user.email)]
    assert received.message["Subject"] == "IdeaBoard 테스트 메일"
