"""A campaign: a topic, a hashtag, a category and a window in which it takes ideas and votes."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from flask import url_for
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..database import UTCDateTime, utcnow
from ..extensions import Model

if TYPE_CHECKING:
    from ..ideas.models import Category


class CampaignState(enum.StrEnum):
    """Derived from the dates, never stored: upcoming (before opens_at; staff only), open,
    closed (from closes_at on)."""

    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


class Campaign(Model):
    __tablename__ = "campaigns"
    __table_args__ = (
        Index("ix_campaigns_hashtag_key", "hashtag_key"),
        Index("ix_campaigns_closes_at", "closes_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    # 120 graphemes; the column is wider for emoji sequences and decomposed letters.
    title: Mapped[str] = mapped_column(String(480))
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    # The hashtag as staff wrote it (NFC, no "#"), and folded (casefolded) for comparisons.
    hashtag: Mapped[str] = mapped_column(String(200))
    hashtag_key: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL")
    )
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Post on the active brand accounts when it opens and when it closes (worker, outbox).
    announce: Mapped[bool] = mapped_column(default=False)
    # When the worker queued those posts (None: not yet): it looks only at campaigns without.
    open_announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    category: Mapped[Category | None] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()

    def state_at(self, now: datetime) -> CampaignState:
        """The campaign's state at now (the one rule: closes_at itself is closed)."""
        if now >= self.closes_at:
            return CampaignState.CLOSED
        if now < self.opens_at:
            return CampaignState.UPCOMING
        return CampaignState.OPEN

    @property
    def state(self) -> CampaignState:
        return self.state_at(utcnow())

    @property
    def is_open(self) -> bool:
        return self.state is CampaignState.OPEN

    @property
    def is_closed(self) -> bool:
        return self.state is CampaignState.CLOSED

    @property
    def url(self) -> str:
        return url_for("campaigns.show", slug=self.slug)

    @property
    def results_url(self) -> str:
        return url_for("campaigns.results", slug=self.slug)

    def __repr__(self) -> str:
        return f"<Campaign {self.slug}>"
