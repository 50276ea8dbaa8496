"""The user account."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import Model


class EmailChoice(enum.StrEnum):
    """How a person hears about the ideas they follow by e-mail."""

    EACH = "each"  # one e-mail per update
    DAILY = "daily"  # one digest a day
    NONE = "none"


class Role(enum.StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    ADMIN = "admin"


class User(UserMixin, Model):  # type: ignore[misc]  # flask-login is untyped: UserMixin is Any
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('customer', 'staff', 'admin')", name="role_known"),
        CheckConstraint(
            "email_notifications IN ('each', 'daily', 'none')", name="email_notifications_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored case-folded (see accounts.services.normalise_email), so the unique key is
    # case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(320))  # 80 graphemes, each up to 4 code points
    initials: Mapped[str] = mapped_column(String(32), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.CUSTOMER.value)
    locale: Mapped[str | None] = mapped_column(String(8))
    # An IANA time zone name for the times shown to this user (ideaboard/timezones.py);
    # None follows the site's default for their language.
    timezone: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # E-mail: verified when the owner opened the link sent to this address (None: not yet);
    # undeliverable when the receiving server refused it for good (a 5xx on RCPT), until the
    # address changes. Notification e-mails go only to verified, deliverable addresses.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_undeliverable_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_undeliverable_reason: Mapped[str | None] = mapped_column(String(300))
    email_notifications: Mapped[str] = mapped_column(String(8), default=EmailChoice.EACH.value)
    # The daily digest covers the notifications after this moment (None: since sign-up).
    digest_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the user last opened the changelog (None: never): "new since your last visit".
    changelog_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Blocked by staff (accounts.blocking): they still sign in and read, but cannot submit,
    # vote, comment or follow. The reason is shown to them on every refusal.
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked_reason: Mapped[str | None] = mapped_column(String(300))
    blocked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def is_blocked(self) -> bool:
        return self.blocked_at is not None

    @property
    def can_receive_notifications(self) -> bool:
        """A real, verified, deliverable address whose owner wants notification e-mails."""
        return (
            self.active
            and self.email_verified_at is not None
            and self.email_undeliverable_at is None
            and self.email_notifications != EmailChoice.NONE.value
        )

    @property
    def is_active(self) -> bool:  # flask-login asks this
        return self.active

    def get_id(self) -> str | None:
        """What Flask-Login keeps in the session and remember cookies: "<session id>.<secret>".

        It names one row of user_sessions (the sign-in this object was loaded through or just
        created for, set by accounts.sessions), never the bare user id, so logging out or
        revoking that row ends both cookies.
        """
        key = self.__dict__.get("login_key")
        return key if isinstance(key, str) else None

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.STAFF, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def display_initials(self) -> str:
        if self.initials:
            return self.initials
        parts = self.name.split()
        return "".join(p[0] for p in parts[:2]).upper() or "?"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class UserSession(Model):
    """One sign-in on one device: the session and remember cookies name it, logout ends it.

    Only a SHA-256 hash of the secret is stored. Rows end when revoked (logout, "sign out" on
    the profile, a password change) or when expires_at passes.
    """

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    ip: Mapped[str] = mapped_column(String(45), default="")
    remember: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignInFailures(Model):
    """Failed sign-ins per account (keyed by a hash of the address), shared by all processes."""

    __tablename__ = "sign_in_failures"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
