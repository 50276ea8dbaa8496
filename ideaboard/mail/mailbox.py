"""The development mailbox: every e-mail the MailboxSender kept, shown at /dev/mailbox.

Registered only in mailbox mode (IDEABOARD_MAILBOX=1 and no IDEABOARD_SMTP_URL, what `make
run` sets); otherwise the routes do not exist (404). Like the X sandbox it answers only
clients on this machine — the peer is loopback, no proxy header says it forwarded someone
else, and the Host names this machine or the public site (so a web page cannot reach it by
DNS rebinding) — or signed-in staff; everyone else gets 403. Reset and verification links are
in these e-mails, so its pages are never cached.

- `GET /dev/mailbox/`: the messages, newest first, a page at a time (ideaboard/paging.py);
- `GET /dev/mailbox/<key>`: one message — its headers (decoded), the plain text with its links
  clickable, and the HTML part in a sandboxed frame: `<iframe sandbox srcdoc=…>` without
  allow-scripts, with its own Content-Security-Policy that allows no script at all; its links
  open in a new tab (allow-popups), so the reset and verification flows can be tried;
- `POST /dev/mailbox/delete`: empty the mailbox (CSRF token required).

Keys in URLs must look like Maildir keys and name a message in the box: nothing else of the
file system can be reached.
"""

from __future__ import annotations

import email.errors
import email.header
import email.parser
import email.policy
import ipaddress
import mailbox
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from ..ideas.forms import ActionForm
from ..paging import page_number, paginate_list
from .sender import mailbox_path

bp = Blueprint("mailbox", __name__, url_prefix="/dev/mailbox")

PAGE = 50
# Python's Maildir names: "<seconds>.M<micro>P<pid>Q<n>.<host>" (host with \057 for "/").
KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\\-]{0,199}$")
_KEY_TIME = re.compile(r"^(\d+)\.M(\d+)")
_FORWARDING_HEADERS = ("X-Forwarded-For", "X-Forwarded-Host", "X-Real-IP", "Forwarded")
_LINK = re.compile(r"https?://[^\s<>\"']+")
# What the e-mail's HTML may do inside its frame: show inline styles and inline images.
FRAME_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
FRAME_SANDBOX = "allow-popups allow-popups-to-escape-sandbox"


# --- who may look ---------------------------------------------------------------------------


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_name(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return (host.partition(":")[0] if host.count(":") == 1 else host).rstrip(".")


def is_local_request(environ: dict[str, Any]) -> bool:
    """Whether the request comes straight from this machine, to a name of this machine."""
    original = environ.get("werkzeug.proxy_fix.orig") or {}
    address = original.get("REMOTE_ADDR") or environ.get("REMOTE_ADDR") or ""
    if not _is_loopback(str(address)):
        return False
    if any(f"HTTP_{name.upper().replace('-', '_')}" in environ for name in _FORWARDING_HEADERS):
        return False
    host = _host_name(str(environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or ""))
    public = urlsplit(str(current_app.config.get("IDEABOARD_PUBLIC_URL") or "")).hostname
    return _is_loopback(host) or host == "localhost" or (bool(public) and host == public)


@bp.before_request
def _only_this_machine_or_staff() -> None:
    if is_local_request(request.environ):
        return
    if current_user.is_authenticated and current_user.is_staff:
        return
    abort(403)


@bp.after_request
def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# --- reading the Maildir -------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    key: str
    to: str
    subject: str
    date: datetime | None


def _box() -> mailbox.Maildir | None:
    try:
        return mailbox.Maildir(mailbox_path(), factory=None, create=False)
    except (mailbox.NoSuchMailboxError, OSError):
        return None


def _arrival(key: str) -> tuple[int, int, str]:
    """Sort key: when the Maildir took the message (its name says so), then the name."""
    match = _KEY_TIME.match(key)
    return (int(match.group(1)), int(match.group(2)), key) if match else (0, 0, key)


def _parse(data: bytes, *, headers_only: bool = False) -> EmailMessage:
    parser = email.parser.BytesParser(policy=email.policy.default)
    message = parser.parsebytes(data, headersonly=headers_only)
    assert isinstance(message, EmailMessage)
    return message


def _header(message: EmailMessage, name: str) -> str:
    """A header as text, decoded (RFC 2047); a malformed one as it came."""
    try:
        value = message.get(name)
    except (ValueError, TypeError, IndexError):
        raw = message.get_all(name, failobj=[None])
        value = raw[0] if raw else None
    return "" if value is None else " ".join(str(value).split())


def _header_value(raw: Any) -> str:
    """A raw header value decoded for reading (RFC 2047 encoded-words to text)."""
    try:
        text = str(email.header.make_header(email.header.decode_header(" ".join(str(raw).split()))))
    except (ValueError, LookupError, email.errors.HeaderParseError):
        text = str(raw)
    return " ".join(text.split())


def _date(message: EmailMessage) -> datetime | None:
    try:
        moment = parsedate_to_datetime(_header(message, "Date"))
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _read(box: mailbox.Maildir, key: str) -> bytes:
    if not KEY.match(key):
        abort(404)
    try:
        return box.get_bytes(key)
    except (KeyError, OSError):
        abort(404)


def _linkify(text: str) -> Markup:
    """Plain text, escaped, with its http(s) links made clickable (opening a new tab)."""
    parts: list[str] = []
    position = 0
    for match in _LINK.finditer(text):
        url = match.group(0).rstrip(".,;:)")
        end = match.start() + len(url)
        parts.append(str(escape(text[position : match.start()])))
        parts.append(
            f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer">{escape(url)}</a>'
        )
        position = end
    parts.append(str(escape(text[position:])))
    return Markup("".join(parts))  # noqa: S704 - every piece above is escaped


_HEAD = re.compile(r"<head(\s[^>]*)?>", re.IGNORECASE)


def framed_html(html: str) -> str:
    """The e-mail's HTML as its sandboxed frame gets it: no scripts, links in a new tab."""
    guard = (
        f'<meta http-equiv="Content-Security-Policy" content="{FRAME_POLICY}">'
        '<base target="_blank">'
    )
    match = _HEAD.search(html)
    if match is None:
        return guard + html
    return html[: match.end()] + guard + html[match.end() :]


def _part(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):
        return ""
    return content if isinstance(content, str) else ""


# --- the pages ----------------------------------------------------------------------------


@bp.get("/")
def index() -> str:
    """The messages, newest first."""
    box = _box()
    keys = sorted(box.keys(), key=_arrival, reverse=True) if box is not None else []
    page = paginate_list(keys, page_number(request.args.get("page")), PAGE)
    shown = []
    for key in page.items:
        try:
            message = _parse(box.get_bytes(key), headers_only=True) if box is not None else None
        except (KeyError, OSError):
            continue  # deleted meanwhile
        if message is None:
            continue
        shown.append(
            Summary(key, _header(message, "To"), _header(message, "Subject"), _date(message))
        )
    return render_template(
        "mail/mailbox.html",
        messages=shown,
        total=len(keys),
        page=page,
        path=mailbox_path(),
        form=ActionForm(),
    )


@bp.get("/<key>")
def show(key: str) -> str:
    """One message: its headers, its plain text, its HTML in a sandboxed frame."""
    box = _box()
    if box is None:
        abort(404)
    message = _parse(_read(box, key))
    headers = [(name, _header_value(value)) for name, value in message.raw_items()]
    return render_template(
        "mail/mailbox_message.html",
        key=key,
        subject=_header(message, "Subject"),
        headers=headers,
        text=_linkify(_part(message, "plain")),
        html=framed_html(_part(message, "html")),
        sandbox=FRAME_SANDBOX,
        form=ActionForm(),
    )


@bp.post("/delete")
def delete_all() -> Response:
    """Empty the mailbox."""
    if not ActionForm().validate_on_submit():
        abort(400)
    box = _box()
    removed = 0
    if box is not None:
        for key in list(box.keys()):
            try:
                box.discard(key)
                removed += 1
            except OSError:
                pass
    flash(
        ngettext(
            "The mailbox is empty now (%(num)d e-mail deleted).",
            "The mailbox is empty now (%(num)d e-mails deleted).",
            removed,
        ),
        "success",
    )
    return redirect(url_for("mailbox.index"))
