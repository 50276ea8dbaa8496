"""The SMTP sender against a real server on loopback: security modes, AUTH, answers, encoding."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from ideaboard.extensions import db
from ideaboard.mail import enqueue
from ideaboard.mail.settings import parse_smtp_url
from ideaboard.outbox.models import OutboxState
from tests.helpers import Clock, UserBuilder
from tests.mail.helpers import SmtpServer, deliver, email_rows


def queue_test(to: str, key: str = "email:test:1", **kwargs: object) -> None:
    assert enqueue.enqueue(letter="test", to=to, dedupe_key=key, **kwargs)  # type: ignore[arg-type]
    db.session.commit()


def test_a_queued_email_reaches_the_server_once_with_both_parts(
    app: Flask, smtp_server: SmtpServer
) -> None:
    queue_test("someone@example.com")
    assert not enqueue.enqueue(letter="test", to="someone@example.com", dedupe_key="email:test:1")

    result = deliver()
    assert result.sent == 1
    (received,) = smtp_server.wait_for(1)
    message = received.message
    assert received.rcpt_tos == ["someone@example.com"]
    assert received.mail_from == "ideas@board.test"
    assert message["From"] == "IdeaBoard <ideas@board.test>"
    assert message["Subject"] == "IdeaBoard test e-mail"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    assert "the SMTP settings work" in received.body("plain")
    assert "<p>" in received.body("html")
    (row,) = email_rows()
    assert row.state == OutboxState.SENT.value
    assert row.remote_id == message["Message-ID"]
    assert row.text == "IdeaBoard test e-mail"  # staff see the subject
    assert deliver().claimed == 0  # nothing left to send


def test_korean_subject_and_body_are_encoded_and_decode_back(
    app: Flask, smtp_server: SmtpServer, make_user: UserBuilder
) -> None:
    user = make_user(name="김철수\r\nBcc: victim@example.com", locale="ko")
    queue_test(user.email, user=user)
    deliver()
    (received,) = smtp_server.wait_for(1)
    raw_headers = received.data.split(b"\r\n\r\n", 1)[0]
    assert raw_headers.isascii()  # RFC 2047 encoded-words, not raw UTF-8
    assert b"=?utf-8?" in raw_headers.lower()
    message = received.message
    assert message["Subject"] == "IdeaBoard 테스트 메일"
    assert "SMTP 설정이 작동합니다" in received.body("plain")
    # The CR/LF in the name cannot start a header of its own.
    assert message["Bcc"] is None
    assert received.rcpt_tos == [user.email]
    assert "김철수 Bcc: victim@example.com" in str(message["To"])


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_and_auth(security: str, tmp_path: Path, app_factory: Callable[..., Flask]) -> None:
    server = SmtpServer(tmp_path, security=security, auth=("mailer", "p@ss:word/1")).start()
    try:
        config = server.config()
        # Special characters in the password are percent-encoded in the URL.
        config["IDEABOARD_SMTP_URL"] = server.url(user="mailer", password="p%40ss%3Aword%2F1")
        app = app_factory(**config)
        with app.app_context():
            queue_test("someone@example.com")
            assert deliver().sent == 1, email_rows()[0].last_error
            (received,) = server.wait_for(1)
            assert received.tls
            assert received.login == "mailer"
    finally:
        server.stop()


def test_a_wrong_password_fails_and_is_retried_not_lost(
    tmp_path: Path, app_factory: Callable[..., Flask]
) -> None:
    server = SmtpServer(tmp_path, security="starttls", auth=("mailer", "right")).start()
    try:
        config = server.config()
        config["IDEABOARD_SMTP_URL"] = server.url(user="mailer", password="wrong")
        app = app_factory(**config)
        with app.app_context():
            queue_test("someone@example.com")
            assert deliver().failed == 1
            (row,) = email_rows()
            assert row.state == OutboxState.FAILED.value
            assert "SMTP login refused: 535" in (row.last_error or "")
            assert "wrong" not in (row.last_error or "")  # the password is never shown
            assert server.messages() == []
    finally:
        server.stop()


def test_an_untrusted_certificate_is_refused(
    tmp_path: Path, app_factory: Callable[..., Flask]
) -> None:
    server = SmtpServer(tmp_path, security="tls").start()
    try:
        config = server.config()
        config.pop("IDEABOARD_SMTP_CA_FILE")  # the system CAs do not know the test CA
        app = app_factory(**config)
        with app.app_context():
            queue_test("someone@example.com")
            assert deliver().failed == 1
            assert "CERTIFICATE_VERIFY_FAILED" in (email_rows()[0].last_error or "")
            assert server.messages() == []
    finally:
        server.stop()


def test_a_permanent_refusal_marks_the_address_undeliverable(
    app: Flask, smtp_server: SmtpServer, make_user: UserBuilder
) -> None:
    gone = make_user(email="gone@example.com")
    fine = make_user(email="fine@example.com")
    smtp_server.behaviour.refuse["gone@example.com"] = "550 5.1.1 <gone@example.com>: no such user"
    queue_test(gone.email, "email:test:gone", user=gone)
    queue_test(fine.email, "email:test:fine", user=fine)
    result = deliver()
    assert (result.sent, result.dead) == (1, 1)
    dead, sent = email_rows()
    assert dead.state == OutboxState.DEAD.value
    assert "recipient refused: 550 5.1.1" in (dead.last_error or "")
    assert sent.state == OutboxState.SENT.value  # the connection carried on after the 550
    db.session.refresh(gone)
    assert gone.email_undeliverable_at is not None
    assert "550 5.1.1" in (gone.email_undeliverable_reason or "")
    # Later e-mails to that address are not tried at all.
    queue_test(gone.email, "email:test:gone-again", user=gone)
    assert deliver().skipped == 1
    assert email_rows()[-1].state == OutboxState.CANCELLED.value
    assert "undeliverable" in (email_rows()[-1].last_error or "")
    assert [m.rcpt_tos for m in smtp_server.messages()] == [["fine@example.com"]]


def test_a_temporary_refusal_is_retried_with_backoff(
    app: Flask, smtp_server: SmtpServer, clock: Clock
) -> None:
    smtp_server.behaviour.refuse["busy@example.com"] = "450 4.2.1 mailbox busy"
    queue_test("busy@example.com")
    assert deliver().failed == 1
    (row,) = email_rows()
    assert row.state == OutboxState.FAILED.value
    assert row.next_attempt_at > clock.now() + timedelta(seconds=29)
    assert deliver().claimed == 0  # not due yet
    smtp_server.behaviour.refuse.clear()
    clock.advance(minutes=2)
    assert deliver().sent == 1
    assert len(smtp_server.wait_for(1)) == 1


def test_a_5xx_for_the_message_is_final_and_a_4xx_is_not(
    app: Flask, smtp_server: SmtpServer
) -> None:
    smtp_server.behaviour.data_reply = "554 5.6.0 message refused"
    queue_test("a@example.com", "email:test:a")
    assert deliver().dead == 1
    smtp_server.behaviour.data_reply = "451 4.3.0 try again later"
    queue_test("b@example.com", "email:test:b")
    assert deliver().failed == 1
    first, second = email_rows()
    assert first.state == OutboxState.DEAD.value
    assert "554" in (first.last_error or "")
    assert second.state == OutboxState.FAILED.value
    assert "451" in (second.last_error or "")


def test_server_down_then_up_loses_nothing_and_sends_nothing_twice(
    app: Flask, smtp_server: SmtpServer, clock: Clock
) -> None:
    for n in range(5):
        queue_test(f"p{n}@example.com", f"email:test:{n}")
    smtp_server.stop()
    result = deliver()
    assert (result.claimed, result.failed, result.sent) == (5, 5, 0)
    assert all("unreachable" in (row.last_error or "") for row in email_rows())
    smtp_server.start()
    clock.advance(minutes=2)
    assert deliver().sent == 5
    received = smtp_server.wait_for(5)
    ids = [m.message_id for m in received]
    assert len(set(ids)) == len(ids) == 5
    assert deliver().claimed == 0


def test_the_message_id_is_stable_for_a_row(app: Flask, smtp_server: SmtpServer) -> None:
    from ideaboard.mail.message import message_id
    from ideaboard.mail.settings import check_mail_from

    sender = check_mail_from("ideas@board.test")
    assert message_id("email:x:1", sender) == message_id("email:x:1", sender)
    assert message_id("email:x:1", sender) != message_id("email:x:2", sender)
    assert message_id("email:x:1", sender).endswith("@board.test>")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://mail.example.com", "must start with smtp://"),
        ("smtp://", "names no host"),
        ("smtp://host:99999", "bad port"),
        ("smtp://user@host:25", "no password"),
        ("smtp://host:25/path", "no path"),
    ],
)
def test_a_malformed_smtp_url_is_refused_at_start(
    url: str, problem: str, app_factory: Callable[..., Flask]
) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_smtp_url(url)
    with pytest.raises(ValueError, match=problem):
        app_factory(IDEABOARD_SMTP_URL=url)


def test_the_password_never_shows_in_the_settings_repr() -> None:
    settings = parse_smtp_url("smtps://mailer:secret@mail.example.com")
    assert "secret" not in repr(settings)
    assert "secret" not in settings.display
    assert (settings.host, settings.port, settings.password) == ("mail.example.com", 465, "secret")


def test_a_malformed_from_address_is_refused_at_start(app_factory: Callable[..., Flask]) -> None:
    with pytest.raises(ValueError, match="IDEABOARD_MAIL_FROM"):
        app_factory(IDEABOARD_MAIL_FROM="not an address")
    with pytest.raises(ValueError, match="IDEABOARD_MAIL_FROM"):
        app_factory(IDEABOARD_MAIL_FROM="ideas@example.com\r\nBcc: x@example.com")


def test_no_email_is_queued_when_email_is_off(app_factory: Callable[..., Flask]) -> None:
    with app_factory().app_context():
        assert not enqueue.enqueue(letter="test", to="a@example.com", dedupe_key="email:test:off")
        assert email_rows() == []


def test_an_internationalised_address_is_sent_with_smtputf8(
    app: Flask, smtp_server: SmtpServer
) -> None:
    queue_test("홍길동@example.com")
    assert deliver().sent == 1, email_rows()[0].last_error
    (received,) = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["홍길동@example.com"]
    assert "홍길동@example.com" in str(received.message["To"])


@pytest.mark.parametrize(
    "address",
    ["two@at@example.com", "someone@example.com\r\nBcc: victim@example.com", "no-at-sign"],
)
def test_a_malformed_address_fails_clearly_and_sends_nothing(
    address: str, app: Flask, smtp_server: SmtpServer
) -> None:
    queue_test(address)
    assert deliver().dead == 1
    (row,) = email_rows()
    assert row.state == OutboxState.DEAD.value
    assert "not a single e-mail address" in (row.last_error or "")
    assert smtp_server.messages() == []
