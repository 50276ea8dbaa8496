"""Forgotten passwords: ask for a reset link by e-mail, then set a new password with it.

Asking answers the same for every well-formed address (nothing tells whether it has an
account): the only extra work for a known, active account is the event, whose mail
subscriber writes one outbox row (at most a few per address per hour; mail/account.py). The
link (accounts/tokens.py) is time-limited and single-use. Setting a password with it ends
every sign-in of the account, marks the address verified (the link proved its owner reads
it), lifts a sign-in lock, and tells the owner by e-mail. Services flush, never commit.
"""

from __future__ import annotations

from sqlalchemy import update
from werkzeug.security import generate_password_hash

from ..database import rows_matched, utcnow
from ..events import PasswordReset, PasswordResetRequested, publish
from ..extensions import db
from . import sessions, throttle, tokens
from .models import User
from .services import PASSWORD_METHOD, _checked_email, _checked_password, find_user_by_email


def request_password_reset(email: str) -> None:
    """Ask for a reset link for the address (ValidationFailed if it is malformed).

    If an active account uses the address, PasswordResetRequested is published (the mail
    package queues the link); otherwise nothing happens. The caller answers the same.
    """
    address = _checked_email(email)
    user = find_user_by_email(address)
    if user is not None and user.active:
        publish(PasswordResetRequested(user))


def reset_password(token: str, password: str) -> User:
    """Set the password of the account the reset link names; return the account.

    LinkError for a link that does not work (expired, used, forged), ValidationFailed (field
    "password") for a password the rules refuse; in both cases nothing is written.
    """
    user = tokens.check_reset_token(token)
    new = _checked_password(password, field="password")
    new_hash = generate_password_hash(new, method=PASSWORD_METHOD)
    # Conditional on the hash the link was made for: of two requests racing with one link
    # (or two links), exactly one sets the password.
    result = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            User.password_hash == user.password_hash,
            User.active.is_(True),
        )
        .values(password_hash=new_hash)
    )
    if rows_matched(result) != 1:
        raise tokens.LinkError("used")
    user.password_hash = new_hash
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    db.session.flush()
    sessions.revoke_all(user)
    throttle.record_success(user.email)
    publish(PasswordReset(user))
    return user
