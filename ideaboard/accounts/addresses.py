"""E-mail addresses of accounts: verifying them, and changing them.

- Verification: sign-up sends a link (AccountRegistered); opening it marks the address
  verified. Until then the account can do everything on the site but gets no notification
  e-mails (User.can_receive_notifications). The owner can ask for the link again.
- Change: the user gives the new address and the current password. The address changes only
  when the link sent to the new address is opened (so a typo cannot move the account's sign-in
  to an address nobody reads, and the new address is verified when it takes effect). Asking
  for an address that another account has answers exactly the same (the account's owner
  cannot learn who has an account); the owner of that address is told instead. When the
  change takes effect the old address is told, with a link that puts it back, signs every
  device out and asks for a new password (whoever changed it knew the password).

Services flush, never commit.
"""

from __future__ import annotations

import secrets

from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from ..database import utcnow
from ..errors import EmailTaken, ValidationFailed
from ..events import (
    EmailChanged,
    EmailChangeRequested,
    RegistrationAttempted,
    VerificationRequested,
    publish,
)
from ..extensions import db
from . import sessions, throttle, tokens
from .models import User
from .services import PASSWORD_METHOD, _checked_email, find_user_by_email


def verify_email(token: str) -> tuple[User, bool]:
    """Mark the address a verification link names verified; return (account, newly).

    Opening the link again is fine (newly is False). LinkError for a link that does not work.
    """
    user = tokens.check_verify_token(token)
    if user.email_verified_at is not None:
        return user, False
    user.email_verified_at = utcnow()
    db.session.flush()
    return user, True


def request_verification(user: User) -> bool:
    """Send the verification link again; False when there is nothing to verify."""
    if user.email_verified_at is not None or not user.active:
        return False
    publish(VerificationRequested(user))
    return True


def _taken(address: str, user: User) -> User | None:
    owner = find_user_by_email(address)
    return owner if owner is not None and owner.id != user.id else None


def request_email_change(user: User, new_email: str, password: str) -> str:
    """Ask to move user's account to new_email; return the address (normalised).

    ValidationFailed for a malformed address (field "email"), for the account's own address,
    and for a wrong current password (field "password", counted as a failed sign-in: the
    caller commits). A taken address is not an error: its owner is told, and the caller
    answers as if the link had been sent.
    """
    address = _checked_email(new_email)
    if address == user.email:
        raise ValidationFailed(_("This is already your address."), field="email")
    throttle.check(user.email)
    if not check_password_hash(user.password_hash, password):
        throttle.record_failure(user.email)
        raise ValidationFailed(_("The current password is wrong."), field="password")
    owner = _taken(address, user)
    if owner is not None:
        if owner.active:
            publish(RegistrationAttempted(owner, attempt="change"))
        return address
    publish(EmailChangeRequested(user, address))
    return address


def confirm_email_change(token: str) -> tuple[User, str]:
    """Make the address an address-change link names the account's; return (account, old).

    The new address is verified by this (the link was sent there), and no longer marked
    undeliverable. LinkError for a link that does not work; EmailTaken if another account has
    taken the address since the link was sent.
    """
    change = tokens.check_change_token(token)
    user, address = change.user, change.new_address
    if _taken(address, user) is not None:
        raise EmailTaken(_("Another account uses this address now."), field="email")
    old = user.email
    user.email = address
    user.email_verified_at = utcnow()
    user.email_undeliverable_at = None
    user.email_undeliverable_reason = None
    db.session.flush()
    publish(EmailChanged(user, old))
    return user, old


def undo_email_change(token: str) -> User:
    """Put back the address an undo link (sent to the old address) names; return the account.

    Whoever changed the address knew the password, so the password is replaced by a random
    one nobody knows and every device is signed out: the owner sets a new password next
    (the caller sends them to a reset link). No e-mail goes to the address being removed.
    LinkError for a link that does not work; EmailTaken if another account has the old
    address by now.
    """
    undo = tokens.check_undo_token(token)
    user, address = undo.user, undo.old_address
    if _taken(address, user) is not None:
        raise EmailTaken(_("Another account uses this address now."), field="email")
    user.email = address
    user.email_verified_at = utcnow()
    user.email_undeliverable_at = None
    user.email_undeliverable_reason = None
    user.password_hash = generate_password_hash(secrets.token_urlsafe(32), method=PASSWORD_METHOD)
    db.session.flush()
    sessions.revoke_all(user)
    throttle.record_success(address)
    return user
