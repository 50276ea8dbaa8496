"""Every model, imported in one place so the metadata (and Alembic) sees them all."""

from .accounts.models import Role, SignInFailures, User, UserSession
from .api.models import ApiToken, Webhook
from .ideas.models import Category, Comment, Follow, Idea, Notification, Vote
from .social.models import (
    MentionLog,
    OutboxMessage,
    ReplyTemplate,
    SocialAccount,
    SocialIdentity,
)
from .triage.models import IdeaEdit, Stage, StageTransition, StatusChange, Team

__all__ = [
    "ApiToken",
    "Webhook",
    "Category",
    "Comment",
    "Follow",
    "Idea",
    "MentionLog",
    "IdeaEdit",
    "Notification",
    "OutboxMessage",
    "ReplyTemplate",
    "Role",
    "SocialAccount",
    "SocialIdentity",
    "Stage",
    "StageTransition",
    "StatusChange",
    "Team",
    "User",
    "UserSession",
    "SignInFailures",
    "Vote",
]
