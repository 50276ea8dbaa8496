"""A real SMTP server on loopback for the e-mail tests (aiosmtpd), and what it received.

`SmtpServer` runs aiosmtpd in a thread on a free 127.0.0.1 port: plain, STARTTLS (with a
throwaway CA from trustme) or implicit TLS, optionally requiring AUTH. Tests make it answer
like real servers do: a 5xx or 4xx for one recipient, a 4xx for DATA, a slow DATA, or stop it
(connection refused) and start it again on the same port.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    """One message as the server took it."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    login: str | None = None
    tls: bool = False

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    def body(self, subtype: str = "plain") -> str:
        part = self.message.get_body(preferencelist=(subtype,))
        assert part is not None, f"no text/{subtype} part"
        content = part.get_content()
        assert isinstance(content, str)
        return content


@dataclass
class Behaviour:
    """How the server answers; tests change it while it runs."""

    refuse: dict[str, str] = field(default_factory=dict)  # address → "550 5.1.1 no such user"
    data_reply: str | None = None  # e.g. "451 4.3.0 try later" for every DATA
    data_delay: float = 0.0  # seconds to wait before taking the message (after DATA ends)
    # Seconds between taking the message and answering 250: a sender that dies then has
    # handed the message over without knowing it.
    reply_delay: float = 0.0
    # Keep one copy per Message-ID, as receiving servers that recognise a resend do; every
    # message offered is still counted in `offered`.
    dedupe_message_ids: bool = False


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self.server.behaviour.refuse.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        behaviour = self.server.behaviour
        if behaviour.data_delay:
            await asyncio.sleep(behaviour.data_delay)
        if behaviour.data_reply:
            return behaviour.data_reply
        login = session.auth_data
        data = bytes(envelope.original_content or envelope.content)
        self.server.offered += 1
        if behaviour.dedupe_message_ids and self.server.has_message_id(data):
            return "250 2.0.0 OK: already have it"
        self.server.record(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                data=data,
                login=login.decode() if isinstance(login, bytes) else login,
                # STARTTLS sets session.ssl; implicit TLS shows on the transport.
                tls=session.ssl is not None
                or server.transport.get_extra_info("ssl_object") is not None,
            )
        )
        if behaviour.reply_delay:
            await asyncio.sleep(behaviour.reply_delay)
        return "250 2.0.0 OK: queued"


class SmtpServer:
    """aiosmtpd on 127.0.0.1: security "plain", "starttls" or "tls"; auth=(user, password)."""

    def __init__(
        self,
        tmp_path: Path,
        *,
        security: str = "plain",
        auth: tuple[str, str] | None = None,
    ) -> None:
        self.security = security
        self.auth = auth
        self.port = free_port()
        self.behaviour = Behaviour()
        self.received: list[Received] = []
        self.offered = 0  # messages handed over (DATA completed), duplicates included
        self.lock = threading.Lock()
        self.ca_file: str | None = None
        self.ssl_context: ssl.SSLContext | None = None
        if security != "plain":
            ca = trustme.CA()
            cert = ca.issue_cert("127.0.0.1", "localhost")
            self.ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            cert.configure_cert(self.ssl_context)
            ca_path = tmp_path / f"smtp-ca-{self.port}.pem"
            ca.cert_pem.write_to_path(str(ca_path))
            self.ca_file = str(ca_path)
        self.controller: Controller | None = None

    # --- the server -----------------------------------------------------------------------

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if self.auth is None or not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = (data.login.decode(), data.password.decode()) == self.auth
        # handled=False: aiosmtpd answers the failure itself (535).
        return AuthResult(success=ok, handled=False, auth_data=data.login if ok else None)

    def start(self) -> SmtpServer:
        kwargs: dict[str, Any] = {}
        if self.security == "tls":
            kwargs["ssl_context"] = self.ssl_context
        elif self.security == "starttls":
            kwargs["tls_context"] = self.ssl_context
            kwargs["require_starttls"] = True
        if self.auth is not None:
            kwargs["authenticator"] = self._authenticate
            kwargs["auth_required"] = True
            # aiosmtpd counts only STARTTLS as TLS for this check; implicit TLS is TLS anyway.
            kwargs["auth_require_tls"] = self.security == "starttls"
        self.controller = Controller(
            _Handler(self),
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="mx.test",
            ready_timeout=10,
            **kwargs,
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    # --- what tests read ------------------------------------------------------------------

    def record(self, received: Received) -> None:
        with self.lock:
            self.received.append(received)

    def has_message_id(self, data: bytes) -> bool:
        wanted = email.message_from_bytes(data, policy=email.policy.default)["Message-ID"]
        with self.lock:
            return any(m.message_id == str(wanted) for m in self.received)

    def messages(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages()) >= count:
                return self.messages()
            time.sleep(0.02)
        raise AssertionError(f"expected {count} messages, got {len(self.messages())}")

    def url(self, *, user: str | None = None, password: str | None = None) -> str:
        scheme = {"plain": "smtp", "starttls": "smtp+starttls", "tls": "smtps"}[self.security]
        credentials = f"{user}:{password}@" if user else ""
        return f"{scheme}://{credentials}127.0.0.1:{self.port}"

    def config(self) -> dict[str, Any]:
        """The app settings that send to this server."""
        config: dict[str, Any] = {"IDEABOARD_SMTP_URL": self.url(), "IDEABOARD_MAILBOX": False}
        if self.auth is not None:
            config["IDEABOARD_SMTP_URL"] = self.url(user=self.auth[0], password=self.auth[1])
        if self.ca_file:
            config["IDEABOARD_SMTP_CA_FILE"] = self.ca_file
        return config


def deliver() -> Any:
    """Run one delivery pass of the outbox, as `flask ideaboard deliver` does."""
    from ideaboard.outbox.delivery import deliver_due

    return deliver_due(worker="test")


def email_rows() -> list[Any]:
    """Every e-mail outbox row, oldest first."""
    from sqlalchemy import select

    from ideaboard.extensions import db
    from ideaboard.outbox.models import OutboxKind, OutboxMessage

    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == OutboxKind.EMAIL.value)
            .order_by(OutboxMessage.id)
        )
    )
