"""Account e-mail: verification, password reset, address change, and notices to owners.

These are not notifications: they carry no List-Unsubscribe (a person cannot opt out of the
link that lets them back in), and they go to unverified addresses too (that is how an
address gets verified). Each letter mints its link when it is rendered (accounts/tokens.py),
so no secret is stored in the outbox, and it skips (returns the reason) when the account is
no longer active or no longer has the address the letter was meant for.

How often: the dedupe key of each row holds a time window, so at most one verification link
per address per VERIFY_WINDOW, one reset link per account per RESET_WINDOW and one "someone
tried your address" notice per account per hour go out, however often the forms are sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Flask, has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _

from ..accounts import tokens
from ..accounts.models import User
from ..accounts.services import find_user_by_email
from ..database import utcnow
from ..events import (
    AccountDeleted,
    AccountRegistered,
    EmailChanged,
    EmailChangeRequested,
    PasswordReset,
    PasswordResetRequested,
    RegistrationAttempted,
    VerificationRequested,
    subscribe,
)
from ..i18n import SUPPORTED_LOCALES
from ..urls import public_url_for
from .enqueue import enqueue
from .letters import Draft, letter

VERIFY_WINDOW = timedelta(minutes=10)
RESET_WINDOW = timedelta(minutes=20)  # at most 3 reset e-mails per account per hour
NOTICE_WINDOW = timedelta(hours=1)
CHANGE_WINDOW = timedelta(minutes=10)


# --- keys and helpers -------------------------------------------------------------------------


def _window(size: timedelta) -> int:
    """The number of the current time window of this size (the same for every process)."""
    return int(utcnow().timestamp() // size.total_seconds())


def _digest(text: str) -> str:
    """A short digest of an address for dedupe keys (keys are shown to staff; addresses not)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _lang(user: User) -> str | None:
    """The user's language; without a setting, the language of the page that asked (if any)."""
    if user.locale:
        return user.locale
    if has_request_context():
        locale = str(get_locale() or "")
        if locale in SUPPORTED_LOCALES:
            return locale
    return None


def mask_address(address: str) -> str:
    """ "n***@example.com": enough for the owner to recognise, not enough to read it off."""
    local, _sep, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}" if local else address


def _param(params: Mapping[str, Any], key: str) -> str:
    value = params.get(key)
    return value if isinstance(value, str) else ""


def _gone(user: User | None) -> str | None:
    """Why an account letter has no one to go to any more (None: it still has)."""
    if user is None:
        return "the account no longer exists"
    if not user.active:
        return "the account is not active"
    return None


# --- letters ----------------------------------------------------------------------------------


@letter("verify-email")
def verify_email_letter(params: Mapping[str, Any], user: User | None) -> Draft | str:
    """The link that verifies the address (after sign-up, or asked for again)."""
    if reason := _gone(user):
        return reason
    assert user is not None
    address = _param(params, "address")
    if address != user.email:
        return "the account's address has changed since"
    if user.email_verified_at is not None:
        return "the address is verified already"
    token = tokens.verify_token(user, address)
    return Draft(
        subject=_("Confirm your e-mail address for IdeaBoard"),
        context={
            "link": public_url_for("accounts.verify_email", token=token),
            "days": tokens.verify_days(),
            "address": address,
        },
    )


@letter("password-reset")
def password_reset_letter(params: Mapping[str, Any], user: User | None) -> Draft | str:
    """The link that sets a new password (time-limited, single use)."""
    if reason := _gone(user):
        return reason
    assert user is not None
    if _param(params, "address") != user.email:
        return "the account's address has changed since"
    return Draft(
        subject=_("Set a new password for IdeaBoard"),
        context={
            "link": public_url_for("accounts.reset_password", token=tokens.reset_token(user)),
            "minutes": tokens.reset_minutes(),
            "forgot_url": public_url_for("accounts.forgot_password"),
        },
    )


@letter("password-changed")
def password_changed_letter(params: Mapping[str, Any], user: User | None) -> Draft | str:
    """A password was set through a reset link: tell the owner (in case it was not them)."""
    if reason := _gone(user):
        return reason
    return Draft(
        subject=_("Your IdeaBoard password was changed"),
        context={"forgot_url": public_url_for("accounts.forgot_password")},
    )


@letter("address-in-use")
def address_in_use_letter(params: Mapping[str, Any], user: User | None) -> Draft | str:
    """Someone tried to sign up with, or move another account to, the owner's address."""
    if reason := _gone(user):
        return reason
    return Draft(
        subject=_("Someone tried to use your e-mail address on IdeaBoard"),
        context={
            "attempt": "change" if params.get("attempt") == "change" else "register",
            "login_url": public_url_for("accounts.login"),
            "forgot_url": public_url_for("accounts.forgot_password"),
        },
    )


@letter("confirm-email-change")
def confirm_email_change_letter(params: Mapping[str, Any], user: User | None) -> Draft | str:
    """Sent to the new address: the link that makes it the account's address."""
    if reason := _gone(user):
        return reason
    assert user is not None
    address = _param(params, "address")
    if _param(params, "from") != user.email:
        return "the account's address has changed since"
    owner = find_user_by_email(address)
    if owner is not None and owner.id != user.id:
        return "another account has this address now"
    token = tokens.change_token(user, address)
    return Draft(
        subject=_("Confirm your new e-mail address for IdeaBoard"),
        context={
            "link": public_url_for("accounts.confirm_email", token=token),
            "days": tokens.verify_days(),
            "address": address,
        },
    )


@letter("email-changed")
def email_changed_letter(params: Mapping[str, Any], user: User | None) -> Draft | str:
    """Sent to the old address once the change took effect, with a link that undoes it."""
    if reason := _gone(user):
        return reason
    assert user is not None
    old, new = _param(params, "old"), _param(params, "new")
    undo = None
    if new and user.email == new:  # no undo link once the address changed again or back
        undo = public_url_for("accounts.undo_email", token=tokens.undo_token(user, old, new))
    return Draft(
        subject=_("The e-mail address of your IdeaBoard account was changed"),
        context={
            "masked": mask_address(new),
            "undo_url": undo,
            "days": tokens.verify_days(),
        },
    )


# --- subscribers: account events → rows -------------------------------------------------------


def _queue_verification(user: User) -> None:
    if not user.active or user.email_verified_at is not None:
        return
    enqueue(
        letter="verify-email",
        to=user.email,
        user=user,
        lang=_lang(user),
        params={"address": user.email},
        dedupe_key=f"email:verify:{user.id}:{_digest(user.email)}:{_window(VERIFY_WINDOW)}",
    )


def on_account_registered(event: AccountRegistered) -> None:
    _queue_verification(event.user)


def on_verification_requested(event: VerificationRequested) -> None:
    _queue_verification(event.user)


def on_password_reset_requested(event: PasswordResetRequested) -> None:
    user = event.user
    if not user.active:
        return
    enqueue(
        letter="password-reset",
        to=user.email,
        user=user,
        lang=_lang(user),
        params={"address": user.email},
        dedupe_key=f"email:password-reset:{user.id}:{_window(RESET_WINDOW)}",
    )


def on_password_reset(event: PasswordReset) -> None:
    user = event.user
    enqueue(
        letter="password-changed",
        to=user.email,
        user=user,
        lang=_lang(user),
        # One notice per new password (the hash differs every time, even for the same words).
        dedupe_key=f"email:password-changed:{user.id}:{tokens.fingerprint(user.password_hash)}",
    )


def on_registration_attempted(event: RegistrationAttempted) -> None:
    user = event.user
    if not user.active:
        return
    enqueue(
        letter="address-in-use",
        to=user.email,
        user=user,
        lang=_lang(user),
        params={"attempt": event.attempt},
        dedupe_key=f"email:address-in-use:{user.id}:{_window(NOTICE_WINDOW)}",
    )


def on_email_change_requested(event: EmailChangeRequested) -> None:
    user, address = event.user, event.new_address
    enqueue(
        letter="confirm-email-change",
        to=address,
        user=user,
        lang=_lang(user),
        params={"address": address, "from": user.email},
        dedupe_key=(
            f"email:confirm-email-change:{user.id}:{_digest(address)}:{_window(CHANGE_WINDOW)}"
        ),
    )


def on_email_changed(event: EmailChanged) -> None:
    user, old = event.user, event.old_address
    enqueue(
        letter="email-changed",
        to=old,
        user=user,
        lang=_lang(user),
        params={"old": old, "new": user.email},
        dedupe_key=(
            f"email:email-changed:{user.id}:{_digest(old)}:{_digest(user.email)}"
            f":{int(utcnow().timestamp())}"
        ),
    )


def on_account_deleted(event: AccountDeleted) -> None:
    """The person deleted their account: the e-mails still queued for them are cancelled, and
    their address is forgotten on every e-mail row (sent ones stay, for the outbox's history)."""
    from sqlalchemy import or_, update

    from ..extensions import db
    from ..outbox.models import OutboxKind, OutboxMessage, OutboxState

    theirs = (
        OutboxMessage.kind == OutboxKind.EMAIL.value,
        or_(
            OutboxMessage.target == event.email,
            OutboxMessage.payload["user_id"].as_integer() == event.user_id,
        ),
    )
    not_sent = OutboxMessage.state.not_in(
        (OutboxState.SENT.value, OutboxState.SENDING.value, OutboxState.CANCELLED.value)
    )
    db.session.execute(
        update(OutboxMessage)
        .where(*theirs, not_sent)
        .values(state=OutboxState.CANCELLED.value, last_error="the account was deleted")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(OutboxMessage)
        .where(*theirs, OutboxMessage.state != OutboxState.SENDING.value)
        .values(target=None)
        .execution_options(synchronize_session=False)
    )


def register(app: Flask) -> None:
    """Subscribe the account letters to the account events."""
    subscribe(app, AccountRegistered, on_account_registered)
    subscribe(app, VerificationRequested, on_verification_requested)
    subscribe(app, PasswordResetRequested, on_password_reset_requested)
    subscribe(app, PasswordReset, on_password_reset)
    subscribe(app, RegistrationAttempted, on_registration_attempted)
    subscribe(app, EmailChangeRequested, on_email_change_requested)
    subscribe(app, EmailChanged, on_email_changed)
    subscribe(app, AccountDeleted, on_account_deleted)
