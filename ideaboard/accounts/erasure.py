"""Deleting an account at its owner's request (the right to erasure). Flush, never commit.

What goes, whatever the owner chooses:
- the `users` row itself, so the e-mail address, the name, the password hash, the language,
  time-zone and e-mail settings go with it (the address is free to register again);
- every sign-in (user_sessions), API token, follow, notification, social identity link and
  team membership (their foreign keys cascade), and the sign-in failure count of the address;
- their votes: deleted, and the score, up/down counts and Trending rank of every idea they
  voted on recomputed from the votes that remain;
- the e-mails still queued for them are cancelled, and the address is forgotten on those
  already sent (events.AccountDeleted → mail/account.py).

Their ideas and comments, by the owner's choice:
- "keep": they stay, shown as by "a former member" (their author_id becomes NULL: nothing
  links them to the person any more);
- "remove": they are deleted, each idea with its votes, comments, follows and history.

Why the row is deleted rather than kept as an anonymised tombstone: every foreign key to
users says what happens on delete (CASCADE for what belongs to the person, SET NULL for the
records others rely on: authorship, staff history, assignments), so deleting the row removes
everything personal in one step and leaves nothing that could be mistaken for, or linked back
to, a person; no query anywhere has to learn to skip "deleted" users. tests/accounts/
test_erasure.py checks that every foreign key to users.id keeps saying so.

The last active admin cannot delete their account (the site would have no one to run it).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, delete, func, select, update
from werkzeug.security import check_password_hash

from ..database import rows_matched, table_of
from ..errors import Conflict, ValidationFailed
from ..events import AccountDeleted, publish
from ..extensions import db
from ..ideas.models import Comment, Follow, Idea, Notification, Source, Vote
from ..ideas.ranking import hot_rank
from . import throttle
from .models import Role, User, UserSession
from .services import normalise_email


class ContentChoice(enum.StrEnum):
    KEEP = "keep"  # ideas and comments stay, by "a former member"
    REMOVE = "remove"  # ideas and comments are deleted


@dataclass(frozen=True)
class Deleted:
    """What the deletion did (for the confirmation message and the tests)."""

    ideas_removed: int
    comments_removed: int
    votes_removed: int


def is_last_admin(user: User) -> bool:
    """Whether user is the only active admin left."""
    if user.role != Role.ADMIN.value:
        return False
    others = db.session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN.value, User.active.is_(True), User.id != user.id)
    )
    return not others


def delete_account(user: User, password: str, confirmation: str, content: str) -> Deleted:
    """Delete user's account after checking their password and typed confirmation (their
    e-mail address); content is "keep" or "remove" (ContentChoice).

    A wrong password counts as a failed sign-in for the account (the caller commits that).
    """
    try:
        choice = ContentChoice(content)
    except ValueError:
        raise ValidationFailed(_("Choose one of the listed options."), field="content") from None
    throttle.check(user.email)
    if not check_password_hash(user.password_hash, password):
        throttle.record_failure(user.email)
        raise ValidationFailed(_("The password is wrong."), field="password")
    if normalise_email(confirmation) != user.email:
        raise ValidationFailed(
            _("Type your e-mail address exactly as shown to confirm."), field="confirmation"
        )
    if is_last_admin(user):
        raise Conflict(
            _("You are the only admin: make someone else an admin before you delete your account."),
            field="confirmation",
        )
    return _erase(user, choice)


def _ids(statement: object) -> set[int]:
    return set(db.session.scalars(statement))  # type: ignore[call-overload]


def _erase(user: User, choice: ContentChoice) -> Deleted:
    user_id, email = user.id, user.email
    touched = _ids(select(Vote.idea_id).where(Vote.user_id == user_id))
    touched |= _ids(select(Follow.idea_id).where(Follow.user_id == user_id))
    touched |= _ids(select(Comment.idea_id).where(Comment.author_id == user_id))
    ideas_removed = comments_removed = 0
    if choice is ContentChoice.REMOVE:
        comments_removed = _count(delete(Comment).where(Comment.author_id == user_id))
        own = _ids(
            select(Idea.id).where(Idea.author_id == user_id, Idea.source == Source.WEB.value)
        )
        if own:
            # Ideas merged into one of these lose the link (ON DELETE SET NULL); their votes,
            # comments, follows, notifications and history go with them (CASCADE).
            ideas_removed = _count(delete(Idea).where(Idea.id.in_(own)))
        touched -= own
    votes_removed = _count(delete(Vote).where(Vote.user_id == user_id))
    db.session.execute(delete(Follow).where(Follow.user_id == user_id))
    db.session.execute(delete(Notification).where(Notification.user_id == user_id))
    db.session.execute(delete(UserSession).where(UserSession.user_id == user_id))
    throttle.record_success(email)  # forget the address's failed sign-ins
    publish(AccountDeleted(user_id=user_id, email=email))
    db.session.expunge(user)
    # The rest follows the foreign keys: API tokens, social identities and team memberships
    # are deleted; authorship, assignments and staff history lose the link (SET NULL).
    db.session.execute(delete(table_of(User)).where(table_of(User).c.id == user_id))
    recount(touched)
    db.session.expire_all()
    return Deleted(ideas_removed, comments_removed, votes_removed)


def _count(statement: object) -> int:
    return rows_matched(db.session.execute(statement))  # type: ignore[call-overload]


def recount(idea_ids: set[int]) -> None:
    """Recompute the stored counts of these ideas from their rows: votes (up, down, score and
    the Trending rank that follows from the score), comments and followers."""
    if not idea_ids:
        return
    ids = sorted(idea_ids)
    up = (
        select(func.count())
        .where(and_(Vote.idea_id == Idea.id, Vote.value == 1))
        .correlate(Idea)
        .scalar_subquery()
    )
    down = (
        select(func.count())
        .where(and_(Vote.idea_id == Idea.id, Vote.value == -1))
        .correlate(Idea)
        .scalar_subquery()
    )
    # As ideas.services counts them: the comments everyone can read (not deleted or hidden).
    comments = (
        select(func.count())
        .where(
            Comment.idea_id == Idea.id, Comment.deleted_at.is_(None), Comment.hidden_at.is_(None)
        )
        .correlate(Idea)
        .scalar_subquery()
    )
    followers = (
        select(func.count()).where(Follow.idea_id == Idea.id).correlate(Idea).scalar_subquery()
    )
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        db.session.execute(
            update(Idea)
            .where(Idea.id.in_(chunk))
            .values(
                up_count=up,
                down_count=down,
                score=up - down,
                comment_count=comments,
                follower_count=followers,
            )
            .execution_options(synchronize_session=False)
        )
        rows = db.session.execute(
            select(Idea.id, Idea.score, Idea.created_at).where(Idea.id.in_(chunk))
        ).all()
        db.session.execute(
            update(Idea),
            [{"id": row.id, "hot": hot_rank(row.score, row.created_at)} for row in rows],
        )
    db.session.flush()
