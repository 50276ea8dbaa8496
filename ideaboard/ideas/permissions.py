"""Who may do what with an idea: one predicate per rule, shared by views, API and templates."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeGuard

if TYPE_CHECKING:
    from ..accounts.models import User
    from .models import Idea


def _is_signed_in(user: User | None) -> TypeGuard[User]:
    return user is not None and bool(user.is_authenticated)


def can_see(user: User | None, idea: Idea) -> bool:
    """Hidden ideas are visible to staff only."""
    return idea.hidden_at is None or (_is_signed_in(user) and user.is_staff)


def can_vote(user: User | None, idea: Idea) -> bool:
    """Signed-in people vote on visible ideas while their stage is open."""
    return _is_signed_in(user) and idea.voting_open


def can_comment(user: User | None, idea: Idea) -> bool:
    """Signed-in people comment on ideas they can see."""
    return _is_signed_in(user) and can_see(user, idea)


def can_triage(user: User | None) -> bool:
    """Staff and admins move ideas through the stages."""
    return _is_signed_in(user) and user.is_staff


def can_administer(user: User | None) -> bool:
    """Admins change the workflow, teams, reply templates, social accounts and webhooks."""
    return user is not None and bool(user.is_authenticated) and user.is_admin
