"""The outbox sender for e-mail rows: SMTP (IDEABOARD_SMTP_URL) or the development mailbox.

prepare() (inside the delivery loop's transaction) renders the row's letter for its recipient
and builds the message; send() (no transaction open) talks to the SMTP server over one
connection per delivery run. What the server answers decides the outcome:

- 2xx: sent (the row keeps the Message-ID as its remote id);
- 4xx, connection refused, time-outs, a dropped connection: failed, retried with back-off
  (a drop after the message was handed over is "ambiguous": the resend has the same
  Message-ID, so a receiving server that has it already can tell);
- 5xx: final; a 5xx for the recipient (RCPT) marks the address undeliverable (settle()), and
  no later e-mail is tried to it until its owner changes it.

Once the server cannot be reached, the rest of the run's rows fail at once (and wait their
back-off) rather than each waiting for its own time-out.
"""

from __future__ import annotations

import mailbox
import smtplib
import socket
import ssl
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select, update

from ..accounts.models import User
from ..database import utcnow
from ..extensions import db
from ..outbox.models import OutboxKind, OutboxMessage
from ..outbox.senders import Failed, Outcome, Sent, Skipped, register_sender
from . import letters, message, settings

RECIPIENT_REFUSED = "recipient_refused"


@dataclass(frozen=True)
class MailSnapshot:
    """What one send needs, read and rendered while the transaction was open."""

    sender: str
    to: str
    message: EmailMessage
    message_id: str


def _code_text(code: int, response: bytes | str) -> str:
    text = response.decode("utf-8", "replace") if isinstance(response, bytes) else str(response)
    return f"{code} {' '.join(text.split())}"[:300]


class MailSender(ABC):
    """What every e-mail sender shares: rendering the row, and marking bounced addresses.

    Subclasses say where the message goes (send): an SMTP server, or the dev mailbox.
    """

    def __init__(self) -> None:
        config = current_app.config
        self.sender = settings.check_mail_from(str(config.get("IDEABOARD_MAIL_FROM") or ""))

    def prepare(self, row: OutboxMessage, now: datetime) -> MailSnapshot | Outcome:
        address = row.target or ""
        bounced = db.session.scalar(
            select(User.email_undeliverable_reason).where(
                User.email == address, User.email_undeliverable_at.is_not(None)
            )
        )
        if bounced is not None:
            return Skipped(f"the address {address} is undeliverable ({bounced})")
        payload = row.payload or {}
        user_id = payload.get("user_id")
        user = db.session.get(User, user_id) if isinstance(user_id, int) else None
        if user_id is not None and user is None:
            return Skipped("the account no longer exists")
        rendered = letters.render(
            str(payload.get("letter", "")), payload.get("params") or {}, user, row.lang
        )
        if isinstance(rendered, str):
            return Skipped(rendered)
        try:
            to = message.recipient(address, user.name if user is not None else "")
        except ValueError as error:
            return Failed(str(error), final=True)
        built = message.build(
            rendered, sender=self.sender, to=to, dedupe_key=row.dedupe_key, now=now
        )
        row.text = message.one_line(rendered.subject, message.SUBJECT_MAX)  # staff see it
        db.session.flush()
        return MailSnapshot(
            sender=self.sender.addr_spec,
            to=to.addr_spec,
            message=built,
            message_id=str(built["Message-ID"]),
        )

    @abstractmethod
    def send(self, snapshot: MailSnapshot) -> Outcome:
        """Hand the message over (no database access here)."""

    def settle(self, row: OutboxMessage, outcome: Outcome) -> None:
        """A permanent refusal of the recipient marks the address undeliverable."""
        if isinstance(outcome, Failed) and outcome.code == RECIPIENT_REFUSED and row.target:
            db.session.execute(
                update(User)
                .where(User.email == row.target, User.email_undeliverable_at.is_(None))
                .values(email_undeliverable_at=utcnow(), email_undeliverable_reason=outcome.message)
            )

    def close(self) -> None:  # noqa: B027 - a default: only the SMTP sender holds a connection
        """Nothing held."""


class SmtpSender(MailSender):
    """Sends over one SMTP connection per delivery run (plain, STARTTLS or implicit TLS)."""

    def __init__(self) -> None:
        super().__init__()
        config = current_app.config
        self.server = settings.parse_smtp_url(str(config["IDEABOARD_SMTP_URL"]))
        self.timeout = float(config["IDEABOARD_SMTP_TIMEOUT_SECONDS"])
        self.ca_file = config.get("IDEABOARD_SMTP_CA_FILE") or None
        self.local_hostname = settings.helo_name(config)
        self.connection: smtplib.SMTP | None = None
        self.down: str | None = None  # why the server could not be reached in this run

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

    def _connect(self) -> smtplib.SMTP:
        server = self.server
        connection: smtplib.SMTP
        if server.security is settings.Security.TLS:
            connection = smtplib.SMTP_SSL(
                server.host,
                server.port,
                local_hostname=self.local_hostname,
                timeout=self.timeout,
                context=self._tls_context(),
            )
        else:
            connection = smtplib.SMTP(
                server.host, server.port, local_hostname=self.local_hostname, timeout=self.timeout
            )
        try:
            connection.ehlo()
            if server.security is settings.Security.STARTTLS:
                if not connection.has_extn("starttls"):
                    raise smtplib.SMTPNotSupportedError(
                        "the server does not offer STARTTLS (smtp+starttls:// asks for it)"
                    )
                connection.starttls(context=self._tls_context())
                connection.ehlo()
            if server.username:
                connection.login(server.username, server.password or "")
        except BaseException:
            connection.close()
            raise
        return connection

    def _drop(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None

    def send(self, snapshot: MailSnapshot) -> Outcome:
        if self.down is not None:
            return Failed(self.down)
        if self.connection is None:
            try:
                self.connection = self._connect()
            except smtplib.SMTPAuthenticationError as error:
                self.down = "SMTP login refused: " + _code_text(error.smtp_code, error.smtp_error)
                return Failed(self.down)
            except smtplib.SMTPResponseException as error:
                self.down = "SMTP server refused the session: " + _code_text(
                    error.smtp_code, error.smtp_error
                )
                return Failed(self.down)
            except (OSError, smtplib.SMTPException) as error:
                self.down = f"SMTP server {self.server.display} unreachable: {error}"[:300]
                return Failed(self.down)
        try:
            self.connection.send_message(
                snapshot.message, from_addr=snapshot.sender, to_addrs=[snapshot.to]
            )
        except smtplib.SMTPRecipientsRefused as error:
            code, response = error.recipients.get(snapshot.to, (550, b"refused"))
            why = "recipient refused: " + _code_text(code, response)
            if 500 <= code < 600:
                return Failed(why, final=True, code=RECIPIENT_REFUSED)
            return Failed(why)
        except smtplib.SMTPServerDisconnected as error:
            self._drop()  # it may have taken the message before the line dropped
            return Failed(f"SMTP connection lost: {error}"[:300], ambiguous=True)
        except smtplib.SMTPResponseException as error:
            why = _code_text(error.smtp_code, error.smtp_error)
            if error.smtp_code == 421:  # the server is closing the connection
                self._drop()
            return Failed(f"SMTP server answered {why}", final=500 <= error.smtp_code < 600)
        except smtplib.SMTPNotSupportedError as error:
            return Failed(f"SMTP server cannot take this message: {error}"[:300], final=True)
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            ambiguous = isinstance(error, socket.timeout | TimeoutError)
            return Failed(f"SMTP error: {error}"[:300], ambiguous=ambiguous)
        return Sent(snapshot.message_id)

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._drop()


class MailboxSender(MailSender):
    """Development only: keeps every message in a local Maildir shown at /dev/mailbox."""

    def __init__(self) -> None:
        super().__init__()
        self.path = Path(mailbox_path())

    def send(self, snapshot: MailSnapshot) -> Outcome:
        try:
            box = mailbox.Maildir(self.path, create=True)
            for existing in box:  # the same Message-ID again: kept once
                if existing["Message-ID"] == snapshot.message_id:
                    return Sent(snapshot.message_id, remote_url=None)
            box.add(snapshot.message)
        except OSError as error:
            return Failed(f"mailbox not writable: {error}"[:300])
        return Sent(snapshot.message_id)


def mailbox_path() -> str:
    """Where the development mailbox keeps its messages (a Maildir)."""
    configured = current_app.config.get("IDEABOARD_MAILBOX_DIR")
    return str(configured or Path(current_app.instance_path) / "mailbox")


def register_senders(app: Flask) -> None:
    """Register the e-mail sender the settings ask for (none when e-mail is off)."""
    chosen = settings.mode(app.config)
    if chosen == "smtp":
        register_sender(app, OutboxKind.EMAIL.value, SmtpSender)
    elif chosen == "mailbox":
        register_sender(app, OutboxKind.EMAIL.value, MailboxSender)
