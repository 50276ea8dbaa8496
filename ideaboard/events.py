"""Domain events: services announce what happened; subscribers turn it into outbox rows.

A service calls `publish(SomethingHappened(...))` after it has made its change and flushed.
Every handler subscribed to that event type runs at once, synchronously, in the caller's
transaction: it adds rows (webhook deliveries, X replies, …) and may flush, but never commits
or rolls back. So if the action commits, its messages will go out; if it rolls back, none do.

Subscribers are registered per app in `create_app` (each delivery package registers its own),
so the domain packages (accounts, ideas, triage) never import the packages that deliver.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask, current_app

if TYPE_CHECKING:
    from .accounts.models import User
    from .ideas.models import Comment, Idea
    from .listening.spikes import SpikeAlert
    from .triage.models import StatusChange

EXTENSION = "ideaboard.events"


class Event:
    """Base of the domain events (a marker: handlers subscribe to concrete types)."""


@dataclass(frozen=True)
class IdeaSubmitted(Event):
    """A new public idea exists: posted on the site, or imported and published at once."""

    idea: Idea


@dataclass(frozen=True)
class IdeaApproved(Event):
    """An imported idea that was held for moderation was approved and is public now."""

    idea: Idea
    by: User


@dataclass(frozen=True)
class StageChanged(Event):
    """An idea moved to another stage; `merged` are the ideas merged into it (they hear too)."""

    idea: Idea
    change: StatusChange
    by: User
    merged: tuple[Idea, ...] = ()


@dataclass(frozen=True)
class IdeasMerged(Event):
    """`duplicate` was merged into `target`; `change` moved the duplicate to its stage."""

    duplicate: Idea
    target: Idea
    change: StatusChange
    by: User


@dataclass(frozen=True)
class CommentAdded(Event):
    """A comment was added; `official` when staff wrote it (an official answer)."""

    idea: Idea
    comment: Comment
    official: bool


@dataclass(frozen=True)
class IdeaHidden(Event):
    """Staff hid an idea from the public lists."""

    idea: Idea
    by: User
    reason: str


@dataclass(frozen=True)
class IdeaRestored(Event):
    """Staff showed a hidden idea again."""

    idea: Idea
    by: User


@dataclass(frozen=True)
class IdeaEdited(Event):
    """The idea's author changed its title, body or category (before staff answered it)."""

    idea: Idea
    by: User


@dataclass(frozen=True)
class IdeaDeleted(Event):
    """The idea's author deleted it; published just before its row is deleted."""

    idea_id: int
    title: str
    by: User


@dataclass(frozen=True)
class CommentChanged(Event):
    """A comment was "edited" or "deleted" by its author, or "hidden"/"restored" by staff.

    Channels that queued its text earlier (webhook deliveries not sent yet) must not send the
    old text after "edited", "deleted" or "hidden".
    """

    idea: Idea
    comment: Comment
    change: str


# --- account events: the mail package turns them into e-mails ------------------------------


@dataclass(frozen=True)
class AccountRegistered(Event):
    """A new account exists and its address should be verified."""

    user: User


@dataclass(frozen=True)
class RegistrationAttempted(Event):
    """Someone tried to take an address that already has an account (tell its owner).

    `attempt` is "register" (sign-up with this address) or "change" (another account asked to
    move to this address).
    """

    user: User
    attempt: str = "register"


@dataclass(frozen=True)
class VerificationRequested(Event):
    """The user asked for a new verification link (e.g. from the profile page)."""

    user: User


@dataclass(frozen=True)
class PasswordResetRequested(Event):
    """Someone asked for a password-reset link for this account."""

    user: User


@dataclass(frozen=True)
class PasswordReset(Event):
    """The account's password was set through a reset link (tell its owner)."""

    user: User


@dataclass(frozen=True)
class EmailChangeRequested(Event):
    """The user asked to move the account to new_address: it takes effect when the link
    sent there is opened (so the new address is verified before anyone signs in with it)."""

    user: User
    new_address: str


@dataclass(frozen=True)
class EmailChanged(Event):
    """The account's address changed (the new one proved by its link): tell the old one."""

    user: User
    old_address: str


@dataclass(frozen=True)
class AccountDeleted(Event):
    """The owner deleted their account (accounts/erasure.py): its row is about to go.

    Plain values, not the User: the mail package cancels the e-mails still queued for the
    person (to user_id or to email) and forgets the address on the rows already sent.
    """

    user_id: int
    email: str


@dataclass(frozen=True)
class MentionSpike(Event):
    """A class of mentions rose far above its usual level in one hour (listening/alerts.py).

    Published once per (class, hour), by the check whose insert of the alert row won;
    `early` when the hour was still in progress. `alert` is a listening.spikes.SpikeAlert.
    """

    alert_id: int
    alert: SpikeAlert
    early: bool = False


E = TypeVar("E", bound=Event)
Handler = Callable[[Any], None]


def _registry(app: Flask) -> dict[type[Event], list[Handler]]:
    registry: dict[type[Event], list[Handler]] = app.extensions.setdefault(EXTENSION, {})
    return registry


def subscribe(app: Flask, event_type: type[E], handler: Callable[[E], None]) -> None:
    """Call handler with every event of event_type published in app (in subscription order)."""
    handlers = _registry(app).setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


def subscribers(event_type: type[Event], app: Flask | None = None) -> list[Handler]:
    """Return the handlers subscribed to event_type, in the order they run."""
    return list(_registry(app or current_app).get(event_type, []))


def publish(event: Event) -> None:
    """Run every handler subscribed to the event's type, now, in the caller's transaction.

    A handler's exception propagates to the service (and so to the edge, which rolls back).
    """
    for handler in subscribers(type(event)):
        handler(event)
