"""Every model, imported in one place so the metadata (and Alembic) sees them all."""

from .accounts.models import Role, User
from .ideas.models import Category, Comment, Follow, Idea, Notification, Vote
from .social.models import OutboxMessage
from .triage.models import IdeaEdit, Stage, StageTransition, StatusChange, Team

__all__ = [
    "Category",
    "Comment",
    "Follow",
    "Idea",
    "IdeaEdit",
    "Notification",
    "OutboxMessage",
    "Role",
    "Stage",
    "StageTransition",
    "StatusChange",
    "Team",
    "User",
    "Vote",
]
