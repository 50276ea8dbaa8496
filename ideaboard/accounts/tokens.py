"""Signed links in account e-mails: password reset, address verification, address change.

A token is a small JSON payload signed with SECRET_KEY (itsdangerous, a salt per purpose, so a
token of one kind is never accepted as another) and stamped with the time it was made. Tokens
are never stored: a letter mints its link when the e-mail is rendered (mail/account.py), and a
link stays good only while what it was made for still holds, because each payload carries a
fingerprint of that state:

- password reset: the account's current password hash and address. Setting a password through
  the link changes the hash, so that link and every other reset link of the account die with
  it (single use); so does any other password or address change. Valid
  IDEABOARD_RESET_LINK_MINUTES (60). An inactive account (deactivated, or a shadow author
  imported from X) never has a working link.
- verification: the account and the address the link was sent to; stale once the address
  changes. Valid IDEABOARD_VERIFY_LINK_DAYS (7).
- address change: the account, the new address, and the current address and password hash,
  so a password reset or another change cancels a pending change. Valid
  IDEABOARD_VERIFY_LINK_DAYS.
- undo of an address change (sent to the old address): the account, the old and the new
  address; good while the account still has the new address.

Fingerprints are HMACs with SECRET_KEY, so a payload (readable by whoever holds the link)
tells nothing about the password hash. Times come from `database.utcnow`, the app's one clock.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from ..database import utcnow
from ..extensions import db
from .models import User

RESET_SALT = "ideaboard.accounts.password-reset"
VERIFY_SALT = "ideaboard.accounts.verify-email"
CHANGE_SALT = "ideaboard.accounts.change-email"
UNDO_SALT = "ideaboard.accounts.undo-email-change"
TOKEN_MAX = 600  # characters; a longer "token" in a URL is not one of ours


class LinkError(Exception):
    """A link that does not work: reason "invalid" (forged, mangled, not ours), "expired"
    (too old) or "used" (used already, or what it was made for has changed since)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _ClockSigner(TimestampSigner):
    """itsdangerous' timestamp signer, on the app's clock (tests move it)."""

    def get_timestamp(self) -> int:
        return int(utcnow().timestamp())


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        str(current_app.config["SECRET_KEY"]), salt=salt, signer=_ClockSigner
    )


def fingerprint(*parts: str) -> str:
    """A short keyed digest of parts (HMAC-SHA256 with SECRET_KEY, 128 bits in hex)."""
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    message = "\x00".join(parts).encode("utf-8", "surrogatepass")
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def _load(token: str, salt: str, max_age: int) -> dict[str, Any]:
    if not token or len(token) > TOKEN_MAX:
        raise LinkError("invalid")
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired as error:
        # A token stamped in the future (a clock moved back) is no good either.
        raise LinkError("expired") from error
    except BadSignature as error:
        raise LinkError("invalid") from error
    if not isinstance(data, dict):
        raise LinkError("invalid")
    return data


def _user(data: dict[str, Any]) -> User:
    user_id = data.get("u")
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise LinkError("invalid")
    user = db.session.get(User, user_id)
    if user is None:
        raise LinkError("invalid")
    if not user.active:
        raise LinkError("used")
    return user


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value or len(value) > 254:
        raise LinkError("invalid")
    return value


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def reset_minutes() -> int:
    return int(current_app.config["IDEABOARD_RESET_LINK_MINUTES"])


def verify_days() -> int:
    return int(current_app.config["IDEABOARD_VERIFY_LINK_DAYS"])


# --- password reset ---------------------------------------------------------------------------


def _reset_state(user: User) -> str:
    return fingerprint("reset", str(user.id), user.password_hash, user.email)


def reset_token(user: User) -> str:
    """Return the token of a password-reset link for user (as the account is now)."""
    return _serializer(RESET_SALT).dumps({"u": user.id, "f": _reset_state(user)})


def check_reset_token(token: str) -> User:
    """Return the account a working reset link names; LinkError otherwise."""
    data = _load(token, RESET_SALT, reset_minutes() * 60)
    user = _user(data)
    if not _same(_reset_state(user), _text(data, "f")):
        raise LinkError("used")
    return user


# --- verification -----------------------------------------------------------------------------


def verify_token(user: User, address: str) -> str:
    """Return the token of a link that verifies address for user."""
    return _serializer(VERIFY_SALT).dumps(
        {"u": user.id, "a": fingerprint("verify", str(user.id), address)}
    )


def check_verify_token(token: str) -> User:
    """Return the account whose current address a working verification link names."""
    data = _load(token, VERIFY_SALT, verify_days() * 86400)
    user = _user(data)
    if not _same(fingerprint("verify", str(user.id), user.email), _text(data, "a")):
        raise LinkError("used")  # the account's address has changed since
    return user


# --- address change ---------------------------------------------------------------------------


def _change_state(user: User, new_address: str) -> str:
    return fingerprint("change", str(user.id), user.email, user.password_hash, new_address)


def change_token(user: User, new_address: str) -> str:
    """Return the token of the link (sent to new_address) that makes it user's address."""
    return _serializer(CHANGE_SALT).dumps(
        {"u": user.id, "n": new_address, "f": _change_state(user, new_address)}
    )


@dataclass(frozen=True)
class EmailChange:
    user: User
    new_address: str


def check_change_token(token: str) -> EmailChange:
    """Return the account and the new address a working address-change link names."""
    data = _load(token, CHANGE_SALT, verify_days() * 86400)
    user = _user(data)
    new_address = _text(data, "n")
    if not _same(_change_state(user, new_address), _text(data, "f")):
        raise LinkError("used")
    return EmailChange(user, new_address)


# --- undo an address change (the link sent to the old address) --------------------------------


def undo_token(user: User, old_address: str, new_address: str) -> str:
    """Return the token of the link that puts old_address back while user has new_address."""
    return _serializer(UNDO_SALT).dumps(
        {"u": user.id, "o": old_address, "n": fingerprint("undo", str(user.id), new_address)}
    )


@dataclass(frozen=True)
class EmailUndo:
    user: User
    old_address: str


def check_undo_token(token: str) -> EmailUndo:
    """Return the account and the address to put back, for a working undo link."""
    data = _load(token, UNDO_SALT, verify_days() * 86400)
    user = _user(data)
    old_address = _text(data, "o")
    if not _same(fingerprint("undo", str(user.id), user.email), _text(data, "n")):
        raise LinkError("used")  # undone already, or changed again since
    return EmailUndo(user, old_address)
