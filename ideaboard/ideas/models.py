"""Ideas and what customers do with them: votes, comments, follows, notifications."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask import url_for
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..campaigns.models import Campaign
from ..database import UTCDateTime, utcnow
from ..extensions import Model
from ..triage.models import Stage, StatusChange, Team


class Source(enum.StrEnum):
    """Where an idea came from: the site, or the social network of the post that raised it
    (the same slugs as social.networks)."""

    WEB = "web"
    X = "x"
    BLUESKY = "bluesky"
    MASTODON = "mastodon"


class Category(Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    # The English and the Korean name; either may be empty, not both (i18n.localized_name).
    name: Mapped[str] = mapped_column(String(60))
    name_ko: Mapped[str] = mapped_column(String(60), default="", server_default="")
    position: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<Category {self.slug}>"


class Idea(Model):
    __tablename__ = "ideas"
    __table_args__ = (
        # Keyset pagination walks these indexes for each tab; the id breaks ties.
        Index("ix_ideas_hot_id", "hot", "id"),
        Index("ix_ideas_score_id", "score", "id"),
        Index("ix_ideas_stage_hot_id", "stage_id", "hot", "id"),
        Index("ix_ideas_category_hot_id", "category_id", "hot", "id"),
        # Top and New with a stage or category filter (and search's walk through them).
        Index("ix_ideas_stage_score_id", "stage_id", "score", "id"),
        Index("ix_ideas_category_score_id", "category_id", "score", "id"),
        Index("ix_ideas_category_created_id", "category_id", "created_at", "id"),
        Index("ix_ideas_created_id", "created_at", "id"),  # the New tab
        Index("ix_ideas_author_id", "author_id"),
        Index("ix_ideas_stage_created", "stage_id", "created_at"),
        Index("ix_ideas_team_id", "team_id"),
        Index("ix_ideas_assignee_id", "assignee_id"),
        # The staff inbox's "last activity" sort walks it.
        Index("ix_ideas_last_activity_id", "last_activity_at", "id"),
        # A campaign's page lists its ideas by votes.
        Index("ix_ideas_campaign_score_id", "campaign_id", "score", "id"),
        UniqueConstraint("source", "source_post_id", name="uq_ideas_source_post"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # 140 graphemes; an emoji sequence is several code points, so the column is wider.
    title: Mapped[str] = mapped_column(String(560))
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    # Where the idea came from; imported ideas keep the social author and the original post.
    source: Mapped[str] = mapped_column(String(16), default=Source.WEB.value)
    source_url: Mapped[str | None] = mapped_column(String(500))
    source_author_name: Mapped[str | None] = mapped_column(String(120))
    source_author_handle: Mapped[str | None] = mapped_column(String(255))
    # The network's id of the original post (a string: X ids overflow 53-bit JSON numbers).
    source_post_id: Mapped[str | None] = mapped_column(String(300))
    source_lang: Mapped[str | None] = mapped_column(String(8))

    # Stored counts, changed in the same transaction as the rows they count.
    score: Mapped[int] = mapped_column(default=0)
    up_count: Mapped[int] = mapped_column(default=0)
    down_count: Mapped[int] = mapped_column(default=0)
    comment_count: Mapped[int] = mapped_column(default=0)
    follower_count: Mapped[int] = mapped_column(default=0)
    # Trending rank (see ideas.ranking.hot_rank): fixed per score and creation time, so it is
    # stored and indexed instead of computed per request.
    hot: Mapped[float] = mapped_column(default=0.0)

    # Triage: who owns it, when it was first answered, since when it is in its stage.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stage_entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id", ondelete="SET NULL"))

    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str | None] = mapped_column(String(200))
    # Imported posts an account holds for moderation: hidden until staff approve them.
    held: Mapped[bool] = mapped_column(default=False)
    source_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("social_accounts.id", ondelete="SET NULL")
    )
    # The campaign it was submitted to (campaigns/): it takes votes only until the deadline.
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The latest of: submitted, a comment, a stage change, an edit (ideas.services.
    # record_activity keeps it; the staff inbox sorts by it).
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    category: Mapped[Category | None] = relationship(lazy="joined")
    stage: Mapped[Stage] = relationship(lazy="joined")
    author: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[author_id])
    team: Mapped[Team | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    merged_into: Mapped[Idea | None] = relationship(remote_side=[id])
    campaign: Mapped[Campaign | None] = relationship()
    status_changes: Mapped[list[StatusChange]] = relationship(
        back_populates="idea", order_by="StatusChange.created_at, StatusChange.id"
    )

    @property
    def url(self) -> str:
        return url_for("ideas.show", idea_id=self.id)

    def stage_for(self, viewer: Any) -> Stage:
        """The stage viewer may see: staff see the real one, others the latest public one."""
        from ..triage import visibility

        if self.stage.is_public or visibility.sees_internal(viewer):
            return self.stage
        return visibility.public_stage(self)

    def status_changes_for(self, viewer: Any) -> list[StatusChange]:
        """The timeline viewer may see: changes into internal stages are staff-only."""
        from ..triage import visibility

        if visibility.sees_internal(viewer):
            return list(self.status_changes)
        return [change for change in self.status_changes if change.to_stage.is_public]

    @property
    def voting_open(self) -> bool:
        return self.stage.is_open and self.hidden_at is None and not self.campaign_closed

    @property
    def campaign_closed(self) -> bool:
        """Whether its campaign's deadline has passed (its votes are closed then)."""
        campaign = self.campaign if self.campaign_id is not None else None
        return campaign is not None and campaign.is_closed

    @property
    def author_display_name(self) -> str:
        """Who suggested it, as shown (see ideas.attribution)."""
        from .attribution import attribution

        return attribution(self).name

    def __repr__(self) -> str:
        return f"<Idea {self.id} {self.title!r}>"


class Vote(Model):
    __tablename__ = "votes"
    __table_args__ = (
        UniqueConstraint("user_id", "idea_id", name="uq_votes_user_idea"),
        CheckConstraint("value IN (-1, 1)", name="value_is_up_or_down"),
        Index("ix_votes_idea_id", "idea_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    idea: Mapped[Idea] = relationship()


class Comment(Model):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_idea_created", "idea_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    is_official: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Its author changed it ("edited" mark).
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Its author deleted it: the row stays as a placeholder, its text is emptied.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Staff hid it: the public sees a placeholder; its author and staff see the text.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str | None] = mapped_column(String(200))
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    author: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[author_id])
    idea: Mapped[Idea] = relationship()

    @property
    def is_public(self) -> bool:
        """Whether everyone may read its text (neither deleted nor hidden)."""
        return self.deleted_at is None and self.hidden_at is None

    def text_visible_to(self, viewer: Any) -> bool:
        """Whether viewer may read its text: public, or hidden and viewer is its author or staff."""
        if self.deleted_at is not None:
            return False
        if self.hidden_at is None:
            return True
        if viewer is None or not viewer.is_authenticated:
            return False
        return bool(viewer.is_staff) or viewer.id == self.author_id


class IdeaRevision(Model):
    """One version of an idea's title, body and category (the first row is the original)."""

    __tablename__ = "idea_revisions"
    __table_args__ = (Index("ix_idea_revisions_idea_id", "idea_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(560))
    body: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    editor: Mapped[User | None] = relationship(lazy="joined")
    category: Mapped[Category | None] = relationship(lazy="joined")


class Follow(Model):
    __tablename__ = "follows"
    __table_args__ = (Index("ix_follows_idea_id", "idea_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    idea_id: Mapped[int] = mapped_column(
        ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    idea: Mapped[Idea] = relationship()


class NotificationKind(enum.StrEnum):
    STAGE_CHANGED = "stage_changed"
    OFFICIAL_COMMENT = "official_comment"


class Notification(Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status_change_id: Mapped[int | None] = mapped_column(
        ForeignKey("status_changes.id", ondelete="CASCADE")
    )
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    idea: Mapped[Idea] = relationship()
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    status_change: Mapped[StatusChange | None] = relationship()
    comment: Mapped[Comment | None] = relationship()
