"""`flask ideaboard mail-test ADDRESS`: send a test e-mail now and say what happened."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from tests.mail.helpers import SmtpServer


def test_mail_test_sends_one_email_and_says_so(app: Flask, smtp_server: SmtpServer) -> None:
    result = app.test_cli_runner().invoke(args=["ideaboard", "mail-test", "ops@example.com"])
    assert result.exit_code == 0, result.output
    assert "Sent a test e-mail to ops@example.com (Message-ID <" in result.output
    (received,) = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["ops@example.com"]
    assert received.message["Subject"] == "IdeaBoard test e-mail"


def test_mail_test_reports_a_server_that_cannot_be_reached(
    app: Flask, smtp_server: SmtpServer
) -> None:
    smtp_server.stop()
    result = app.test_cli_runner().invoke(args=["ideaboard", "mail-test", "ops@example.com"])
    assert result.exit_code == 1
    assert "The test e-mail was not sent (failed)" in result.output
    assert "unreachable" in result.output


def test_mail_test_says_when_email_is_off(app_factory: Callable[..., Flask]) -> None:
    off = app_factory()
    result = off.test_cli_runner().invoke(args=["ideaboard", "mail-test", "ops@example.com"])
    assert result.exit_code == 1
    assert "E-mail is off: set IDEABOARD_SMTP_URL" in result.output
