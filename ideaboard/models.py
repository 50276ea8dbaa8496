"""Every model, imported in one place so the metadata (and Alembic) sees them all."""

from .accounts.models import Role, SignInFailures, User, UserSession
from .api.models import ApiToken
from .campaigns.models import Campaign
from .heartbeat import WorkerHeartbeat
from .ideas.models import Category, Comment, Follow, Idea, IdeaRevision, Notification, Vote
from .listening.models import SpikeAlertRow
from .mail.models import JobMark
from .outbox.models import OutboxMessage
from .social.models import MentionLog, ReplyTemplate, SocialAccount, SocialIdentity
from .triage.models import (
    IdeaEdit,
    IdeaNote,
    SavedReply,
    Stage,
    StageTransition,
    StatusChange,
    Team,
    TeamMember,
)
from .webhooks.models import Webhook

__all__ = [
    "ApiToken",
    "Campaign",
    "Webhook",
    "Category",
    "Comment",
    "Follow",
    "Idea",
    "MentionLog",
    "IdeaEdit",
    "IdeaRevision",
    "IdeaNote",
    "JobMark",
    "Notification",
    "OutboxMessage",
    "ReplyTemplate",
    "Role",
    "SavedReply",
    "SocialAccount",
    "SocialIdentity",
    "SpikeAlertRow",
    "Stage",
    "StageTransition",
    "StatusChange",
    "Team",
    "TeamMember",
    "User",
    "UserSession",
    "SignInFailures",
    "Vote",
    "WorkerHeartbeat",
]
