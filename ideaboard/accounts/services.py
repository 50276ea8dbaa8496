"""Account rules: registration, authentication, staff creation. Services flush, never commit."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import cache

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..database import utcnow
from ..errors import EmailTaken, ValidationFailed
from ..events import AccountRegistered, RegistrationAttempted, publish
from ..extensions import db
from ..i18n import SUPPORTED_LOCALES
from ..text import check_length, clean_text
from ..timezones import is_zone
from . import sessions, throttle
from .models import Role, User, UserSession

PASSWORD_MIN = 10
PASSWORD_MAX = 200
# werkzeug's default: scrypt (n=2**15, r=8, p=1) with a random salt.
PASSWORD_METHOD = "scrypt"  # noqa: S105 - a hashing method name, not a password
# Checked against when the e-mail is unknown, so a login takes as long either way.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method=PASSWORD_METHOD)


def normalise_email(raw: str) -> str:
    """Return the address as stored and compared: NFC, trimmed, case-folded."""
    return unicodedata.normalize("NFC", raw or "").strip().casefold()


def _checked_email(raw: str) -> str:
    email = normalise_email(raw)
    if not email:
        raise ValidationFailed(_("E-mail is required."), field="email")
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed(_("This is not a valid e-mail address."), field="email") from exc
    return email


@cache
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords, as bundled with the zxcvbn package (loaded once)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def is_common_password(password: str) -> bool:
    """Tell whether the password (in any letter case) is on the common-password list."""
    return password.casefold() in _common_passwords() or password in _common_passwords()


def _checked_password(password: str, field: str = "password") -> str:
    if "\x00" in password:
        raise ValidationFailed(_("Password contains characters that are not allowed."), field)
    if len(password) < PASSWORD_MIN:
        raise ValidationFailed(
            _("Password must be at least %(n)d characters long.", n=PASSWORD_MIN), field=field
        )
    if len(password) > PASSWORD_MAX:
        raise ValidationFailed(
            _("Password must be at most %(n)d characters long.", n=PASSWORD_MAX), field=field
        )
    if is_common_password(password):
        raise ValidationFailed(
            _("This password is one of the most common ones; choose another."), field=field
        )
    return password


def find_user_by_email(email: str) -> User | None:
    """Return the user with this e-mail address, whatever its case."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def register_user(
    email: str,
    name: str,
    password: str,
    *,
    role: Role = Role.CUSTOMER,
    initials: str = "",
    locale: str | None = None,
    verified: bool = False,
) -> User:
    """Create an account; raise EmailTaken if the address is in use, ValidationFailed if bad.

    verified: the address counts as verified from the start (an operator creating the account
    vouches for it); otherwise its owner proves it with the link sent after sign-up.
    """
    email = _checked_email(email)
    name = clean_text(name, field="name", label=_("Display name"))
    check_length(name, field="name", label=_("Display name"), minimum=1, maximum=80, stored_max=320)
    password = _checked_password(password)
    initials = clean_text(initials, field="initials", label=_("Initials"))
    check_length(
        initials, field="initials", label=_("Initials"), minimum=0, maximum=8, stored_max=32
    )
    # Hashed before the address is looked up, so a taken address answers no faster.
    password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
    if find_user_by_email(email) is not None:
        raise EmailTaken(_("An account with this e-mail address already exists."), field="email")
    user = User(
        email=email,
        name=name,
        initials=initials,
        password_hash=password_hash,
        role=Role(role).value,
        locale=locale,
        email_verified_at=utcnow() if verified else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def sign_up(email: str, name: str, password: str) -> User | None:
    """Register a customer from the sign-up form; return the new account, or None if taken.

    A new account is announced (AccountRegistered: its address gets a verification link). A
    taken address raises nothing: its owner is told instead (RegistrationAttempted), so the
    caller answers the same either way. The work done is the same too (the password is
    hashed in both cases, and each writes one row). ValidationFailed for bad input.
    """
    try:
        user = register_user(email, name, password)
    except EmailTaken:
        owner = find_user_by_email(email)
        if owner is not None and owner.active:
            publish(RegistrationAttempted(owner))
        return None
    publish(AccountRegistered(user))
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the active user whose e-mail and password match, else None."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        # Deactivated and shadow users (social authors, whose hash is not a hash) cannot log
        # in; the dummy check keeps the timing the same as for a wrong password.
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    return user


def sign_in(email: str, password: str) -> User | None:
    """authenticate(), throttled per account: TooManyAttempts while the address is locked.

    A failure is counted (flushed): the caller commits it even though the sign-in failed.
    """
    throttle.check(email)
    user = authenticate(email, password)
    if user is None:
        throttle.record_failure(email)
    else:
        throttle.record_success(email)
    return user


def change_password(user: User, current: str, new: str, *, keep: UserSession | None = None) -> None:
    """Set a new password after checking the current one; end every other sign-in.

    A wrong current password counts as a failed sign-in for the account (the caller commits).
    """
    throttle.check(user.email)
    if not check_password_hash(user.password_hash, current):
        throttle.record_failure(user.email)
        raise ValidationFailed(_("The current password is wrong."), field="current_password")
    new = _checked_password(new, field="new_password")
    user.password_hash = generate_password_hash(new, method=PASSWORD_METHOD)
    db.session.flush()
    sessions.revoke_all(user, keep=keep)


def set_locale(
    user: User, locale: str | None, available: Sequence[str] = SUPPORTED_LOCALES
) -> None:
    """Store the user's language; None (or "") means: follow the browser."""
    if locale and locale not in available:
        raise ValidationFailed(_("Choose one of the listed languages."), field="locale")
    user.locale = locale or None
    db.session.flush()


NAME_MAX = 80  # graphemes, as at registration (users.name holds 4 code points each)


def set_display_name(user: User, name: str) -> None:
    """Change the name shown with the user's ideas and comments (1–80 graphemes, as at sign-up)."""
    name = clean_text(name, field="name", label=_("Display name"))
    check_length(
        name, field="name", label=_("Display name"), minimum=1, maximum=NAME_MAX, stored_max=320
    )
    user.name = name
    db.session.flush()


def set_timezone(user: User, zone: str | None) -> None:
    """Store the zone times are shown to the user in; None (or "") follows the site's default."""
    if zone and not is_zone(zone):
        raise ValidationFailed(_("Choose one of the listed time zones."), field="timezone")
    user.timezone = zone or None
    db.session.flush()
