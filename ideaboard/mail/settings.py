"""Where e-mail goes: IDEABOARD_SMTP_URL, IDEABOARD_MAIL_FROM, and the development mailbox.

- `smtp://[user:password@]host:port`: plain SMTP (port 25 by default);
- `smtp+starttls://…`: SMTP upgraded with STARTTLS before anything else is said (587);
- `smtps://…`: SMTP over implicit TLS (465).

User name and password are percent-decoded (an `@` in a password is `%40`). TLS verifies
the server's certificate against the system's CAs, or IDEABOARD_SMTP_CA_FILE when set (a
private relay's CA). With no IDEABOARD_SMTP_URL, IDEABOARD_MAILBOX=1 (what `make run` sets)
keeps every e-mail in a local mailbox shown at /dev/mailbox; with neither, e-mail is off.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address
from enum import StrEnum
from typing import Any
from urllib.parse import unquote, urlsplit

DEFAULT_FROM = "ideas@localhost"


class Security(StrEnum):
    PLAIN = "plain"
    STARTTLS = "starttls"
    TLS = "tls"


SCHEMES = {
    "smtp": (Security.PLAIN, 25),
    "smtp+starttls": (Security.STARTTLS, 587),
    "smtps": (Security.TLS, 465),
}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: Security
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:  # never show the password (logs, tracebacks)
        user = f"{self.username}:***@" if self.username else ""
        return f"SmtpSettings({self.security.value}://{user}{self.host}:{self.port})"

    @property
    def display(self) -> str:
        """The server as shown to staff: no password."""
        return f"{self.security.value} {self.host}:{self.port}" + (
            f" as {self.username}" if self.username else ""
        )


def parse_smtp_url(url: str) -> SmtpSettings:
    """Read IDEABOARD_SMTP_URL; ValueError with a message that names the problem."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ValueError(
            "IDEABOARD_SMTP_URL must start with smtp://, smtp+starttls:// or smtps:// "
            f"(got {scheme or 'no scheme'}://)"
        )
    security, default_port = SCHEMES[scheme]
    if not parts.hostname:
        raise ValueError("IDEABOARD_SMTP_URL names no host (smtp://host:port)")
    try:
        port = parts.port or default_port
    except ValueError as error:
        raise ValueError(f"IDEABOARD_SMTP_URL has a bad port: {error}") from None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("IDEABOARD_SMTP_URL takes no path or query: smtp://[user:pass@]host:port")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if username and password is None:
        raise ValueError("IDEABOARD_SMTP_URL names a user but no password (user:password@)")
    return SmtpSettings(parts.hostname, port, security, username, password)


def check_mail_from(value: str) -> Address:
    """Read IDEABOARD_MAIL_FROM ("ideas@example.com" or "Ideas <ideas@example.com>")."""
    text = value.strip()
    if any(ch in text for ch in "\r\n"):
        raise ValueError("IDEABOARD_MAIL_FROM must be one line")
    name, _, rest = text.rpartition("<")
    address = rest.rstrip(">").strip() if rest != text else text
    name = name.strip().strip('"') if rest != text else ""
    try:
        # addr_spec is parsed by the email package (RFC 5322): "ideas@localhost" is fine.
        parsed = Address(display_name=name, addr_spec=address)
        if not parsed.username or not parsed.domain or " " in address:
            raise ValueError("incomplete address")
        return parsed
    except (HeaderParseError, ValueError, IndexError) as error:
        raise ValueError(f"IDEABOARD_MAIL_FROM is not an e-mail address: {value!r}") from error


def check_mail_settings(config: dict[str, Any] | Any) -> None:
    """Fail at start-up on a malformed IDEABOARD_SMTP_URL or IDEABOARD_MAIL_FROM."""
    url = config.get("IDEABOARD_SMTP_URL")
    if url:
        parse_smtp_url(str(url))
    check_mail_from(str(config.get("IDEABOARD_MAIL_FROM") or DEFAULT_FROM))


def helo_name(config: dict[str, Any] | Any) -> str:
    """The name IdeaBoard gives itself in EHLO: the public site's host."""
    host = urlsplit(str(config.get("IDEABOARD_PUBLIC_URL") or "")).hostname
    return host or "localhost"


def mode(config: dict[str, Any] | Any) -> str:
    """ "smtp" with IDEABOARD_SMTP_URL, "mailbox" with IDEABOARD_MAILBOX=1, else "off"."""
    if config.get("IDEABOARD_SMTP_URL"):
        return "smtp"
    if config.get("IDEABOARD_MAILBOX"):
        return "mailbox"
    return "off"
