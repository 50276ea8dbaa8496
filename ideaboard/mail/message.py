"""Build the MIME message of one e-mail: multipart text + HTML, safe headers, stable Message-ID.

Header values never carry CR or LF (a display name or a title cannot inject a header): every
value is folded to one line first. Non-ASCII text (a Korean subject or display name) is sent
as RFC 2047 encoded-words written by `encoded_words`, not by the email package's own folding:
Python 3.11 folds a long value at a space and leaves that space between two encoded-words,
where RFC 2047 says it is ignored ("넘긴 아이디어" arrived as "넘긴아이디어"). Encoded-words
that carry their spaces inside the encoded text decode back exactly.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from .letters import Rendered

# Control characters (CR, LF, NUL, …) and Unicode line/paragraph separators.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]+")
SUBJECT_MAX = 200
NAME_MAX = 80


def one_line(value: str, limit: int) -> str:
    """Collapse value to one line of at most limit characters (… when cut)."""
    text = " ".join(_UNSAFE.sub(" ", value).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def encoded_words(value: str, header_name: str) -> str:
    """A one-line non-ASCII value as RFC 2047 encoded-words, folded (spaces kept inside)."""
    return Header(value, "utf-8", header_name=header_name).encode()


def _set_text(message: EmailMessage, name: str, value: str) -> None:
    """Set an unstructured header (Subject): ASCII as it is, else as encoded-words."""
    if value.isascii():
        message[name] = value
    else:  # stored as written: the email package keeps short lines as they are
        message.set_raw(name, encoded_words(value, name))


def _set_address(message: EmailMessage, name: str, address: Address) -> None:
    """Set an address header (From, To); a non-ASCII display name as encoded-words, and the
    address on a line of its own."""
    if address.display_name.isascii():
        message[name] = address
    else:
        phrase = encoded_words(address.display_name, name)
        message.set_raw(name, f"{phrase}\n <{address.addr_spec}>")


def message_id(dedupe_key: str, sender: Address) -> str:
    """The Message-ID of the row with this key: the same on every attempt."""
    digest = hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()[:40]
    return f"<{digest}.ideaboard@{sender.domain or 'localhost'}>"


def recipient(address: str, name: str = "") -> Address:
    """The To address; ValueError for an address that cannot be written in a header."""
    if _UNSAFE.search(address) or address.count("@") != 1:
        raise ValueError(f"not a single e-mail address: {address[:80]!r}")
    local, _, domain = address.rpartition("@")
    return Address(display_name=one_line(name, NAME_MAX), username=local, domain=domain)


def build(
    rendered: Rendered,
    *,
    sender: Address,
    to: Address,
    dedupe_key: str,
    now: datetime,
) -> EmailMessage:
    """Return the message to send."""
    message = EmailMessage()
    _set_address(message, "From", sender)
    _set_address(message, "To", to)
    _set_text(message, "Subject", one_line(rendered.subject, SUBJECT_MAX))
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(dedupe_key, sender)
    # Automatic mail: no out-of-office answers back (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    if rendered.unsubscribe_url:
        # RFC 8058 one-click unsubscribe (RFC 2369 List-Unsubscribe).
        message["List-Unsubscribe"] = f"<{rendered.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(rendered.text, subtype="plain", charset="utf-8")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return message
