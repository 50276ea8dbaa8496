"""Social networks: connected brand accounts, social identities, the mention log, reply wording.

The messages sent to the networks are rows of the outbox (ideaboard/outbox).
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import Model


class Moderation(enum.StrEnum):
    PUBLISH = "publish"  # imported ideas appear at once
    HOLD = "hold"  # imported ideas wait in the staff inbox for approval


class SocialAccount(Model):
    """A connected brand account (e.g. the main account and a support account)."""

    __tablename__ = "social_accounts"
    __table_args__ = (
        UniqueConstraint("network", "remote_user_id", name="uq_social_accounts_remote"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(String(16), default="x")
    # X: a user id; Bluesky: a DID; Mastodon: the account's id on its instance.
    remote_user_id: Mapped[str] = mapped_column(String(300))
    username: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(120), default="")
    # Hashtags (without #) that make a mention an idea, comma-separated.
    tags: Mapped[str] = mapped_column(String(500), default="idea,아이디어")
    # Signs acknowledgements (stage replies are signed with the staff member's initials).
    signature: Mapped[str] = mapped_column(String(16), default="")
    moderation: Mapped[str] = mapped_column(String(16), default=Moderation.PUBLISH.value)
    acknowledge: Mapped[bool] = mapped_column(default=True)
    announce_launches: Mapped[bool] = mapped_column(default=False)
    monthly_cap_usd: Mapped[float | None] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    # Mastodon: the instance's own limit for one post, read when the account is connected
    # (None: the network's usual limit, social.networks).
    post_limit: Mapped[int | None] = mapped_column()
    # The server the account lives on: a Bluesky PDS, a Mastodon instance (None: X, or the
    # configured default).
    service_url: Mapped[str | None] = mapped_column(String(300))

    # Import cursor: where the import stands (X: the newest post id imported; the others:
    # their connector's cursor), and when the last complete poll started.
    since_id: Mapped[str | None] = mapped_column(String(300))
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # A lease, so only one worker imports an account at a time.
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def tag_list(self) -> list[str]:
        return [t.strip().lstrip("#") for t in self.tags.split(",") if t.strip()]


class SocialIdentity(Model):
    """A person on a social network. Votes need a user, so each identity gets a shadow user
    (no password, cannot log in) that a customer can later link to their real account."""

    __tablename__ = "social_identities"
    __table_args__ = (
        UniqueConstraint("network", "remote_user_id", name="uq_social_identities_remote"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(String(16), default="x")
    remote_user_id: Mapped[str] = mapped_column(String(300))
    handle: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(120), default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When a customer claimed it with a posted code (social.claims): user_id is then their
    # real account. None: user_id is the identity's shadow user.
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_linked(self) -> bool:
        return self.linked_at is not None


class MentionOutcome(enum.StrEnum):
    IMPORTED = "imported"
    HELD = "held"
    VOTED = "voted"
    SKIPPED = "skipped"
    # It repeats a launched or declined idea: answered with that idea, nothing created.
    ANSWERED = "answered"
    # Processing it raised: nothing of it was kept (its savepoint rolled back), the reason
    # says why, and the rest of its page was imported all the same.
    FAILED = "failed"


class InboxState(enum.StrEnum):
    """Where a mention stands in the listening inbox (MentionLog.inbox_state)."""

    OPEN = "open"  # waiting for staff
    REPLIED = "replied"  # staff answered it (a reply went to the outbox)
    CONVERTED = "converted"  # staff made it an idea
    ROUTED = "routed"  # handed to a team (it waits in that team's view)
    DISMISSED = "dismissed"  # nothing to do


# The reason logged for the brand account's own posts: not what customers say, so spike alerts
# leave them out (listening/alerts.py).
OWN_POST_REASON = "the account's own post"

# What puts a logged mention in the inbox: no idea tag (a question, a complaint, chatter), or
# an idea the account holds for approval.
# "campaign closed": a post for a campaign after its deadline waits for an answer too.
INBOX_REASONS = frozenset({"no idea tag", "campaign closed"})


def _counted_at(context: Any) -> datetime | None:
    """When a mention counts for listening (spike alerts, the hourly chart): its post's time,
    never after it was fetched; None for the brand account's own posts (not customers)."""
    row = context.get_current_parameters()
    if row.get("reason") == OWN_POST_REASON:
        return None
    fetched = row.get("fetched_at") or utcnow()
    posted = row.get("posted_at")
    if posted is None:
        return fetched
    return min(_aware(posted), _aware(fetched))


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class MentionLog(Model):
    """Every fetched mention and what the importer did with it (and why)."""

    __tablename__ = "mention_log"
    __table_args__ = (
        UniqueConstraint("account_id", "post_id", name="uq_mention_log_account_post"),
        Index("ix_mention_log_account_fetched", "account_id", "fetched_at"),
        # The posts that raised an idea (its votes from X) are looked up by idea.
        Index("ix_mention_log_idea_outcome", "idea_id", "outcome"),
        # The listening inbox: open mentions per account, newest first.
        Index("ix_mention_log_inbox", "inbox_state", "account_id", "fetched_at"),
        # Spike alerts and the dashboard's chart: mentions per hour per class (the first
        # mention ever logged, by fetched_at; the counts, by counted_at, read from the index).
        Index("ix_mention_log_fetched_label", "fetched_at", "label"),
        Index("ix_mention_log_counted_label", "counted_at", "label"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("social_accounts.id", ondelete="CASCADE"))
    # The network's post id (a Bluesky at:// URI is up to 300 characters).
    post_id: Mapped[str] = mapped_column(String(300))
    author_handle: Mapped[str] = mapped_column(String(255), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(200), default="")
    idea_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id", ondelete="SET NULL"))
    # Who posted it (the network's user id: one person however their handle changes) and in
    # which language, so a stage change can answer every post that voted, once per person.
    author_remote_id: Mapped[str | None] = mapped_column(String(300))
    # The post's web address (a Mastodon post's cannot be rebuilt from its id).
    post_url: Mapped[str | None] = mapped_column(String(500))
    lang: Mapped[str | None] = mapped_column(String(8))
    # Why it matched an existing idea (social.matching.Match.detail): score, words, ignored.
    match_detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Staff undid the match: the mention became an idea of its own.
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Listening (ideaboard/listening): the class of the text (question, complaint, suggestion,
    # other), set when the mention is logged.
    label: Mapped[str | None] = mapped_column(String(16))
    # None: nobody needs to look at it (an idea, a vote, the account's own post); InboxState
    # otherwise: it waits in the listening inbox ("open") or staff handled it.
    inbox_state: Mapped[str | None] = mapped_column(String(16))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # When staff first queued a reply to it (the dashboard's first-response time).
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The moment it counts in for listening: the post's time, never after its fetch (a post
    # fetched late counts in the hour it was posted); None for the brand's own posts. Set on
    # insert (_counted_at), so the spike check reads counts from one index.
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=_counted_at)


class ReplyTemplate(Model):
    """An admin's wording for a reply, overriding the built-in default for (kind, stage, lang).

    kind: "stage" (a stage change; stage_slug says which), "ack_imported", "ack_matched",
    "launch_announcement" (a post on the brand account when an idea launches), "ack_launched",
    "ack_declined", "campaign_opened", "campaign_closed" (the posts when a campaign opens and
    closes); reply_templates.KINDS lists them.
    """

    __tablename__ = "reply_templates"
    __table_args__ = (
        UniqueConstraint(
            "kind", "stage_slug", "lang", "network", name="uq_reply_templates_kind_stage_lang_net"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    stage_slug: Mapped[str] = mapped_column(String(40), default="")
    lang: Mapped[str] = mapped_column(String(8))
    # "" for every network; a network's slug for a wording only its posts use (it wins).
    network: Mapped[str] = mapped_column(String(16), default="", server_default="")
    text: Mapped[str] = mapped_column(Text)
    # Without the link a reply is cheaper on X's pay-per-use API (and {url} is left out).
    include_link: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReadUsage(Model):
    """Posts read from X in one poll of an account (each costs IDEABOARD_X_COST_READ).

    One row per poll that fetched anything; the monthly spend and cap add them up.
    """

    __tablename__ = "x_read_usage"
    __table_args__ = (Index("ix_x_read_usage_account_fetched", "account_id", "fetched_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("social_accounts.id", ondelete="CASCADE"))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    posts: Mapped[int] = mapped_column(default=0)
    cost_usd: Mapped[float] = mapped_column(default=0.0)


class ClaimCode(Model):
    """A one-time code a customer posts to link a social handle to their account (social.claims).

    Only the SHA-256 of the code is stored: the code itself is shown once, when issued.
    Open: neither used nor revoked, and not yet expired.
    """

    __tablename__ = "claim_codes"
    __table_args__ = (Index("ix_claim_codes_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    network: Mapped[str] = mapped_column(String(16))
    # The handle as the customer typed it (without @), and case-folded for the comparison.
    handle: Mapped[str] = mapped_column(String(255))
    handle_folded: Mapped[str] = mapped_column(String(255))
    # The person behind the handle when the site already knew them (their network user id):
    # then the code links only a post by that person, whatever their handle is by then.
    expected_remote_id: Mapped[str | None] = mapped_column(String(300))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The identity it linked and the post that carried it.
    identity_id: Mapped[int | None] = mapped_column(
        ForeignKey("social_identities.id", ondelete="SET NULL")
    )
    post_id: Mapped[str | None] = mapped_column(String(300))
