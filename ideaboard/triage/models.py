"""Review stages and the public status changes between them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import Model, db

if TYPE_CHECKING:
    from ..accounts.models import User
    from ..ideas.models import Idea


class StageRole(enum.StrEnum):
    """What the code relies on a stage for, whatever admins call it (at most one stage each)."""

    INITIAL = "initial"  # new ideas start here; the staff inbox waits on it
    LAUNCHED = "launched"  # announced on X, listed in Ideas in Action, counted as launched
    DECLINED = "declined"
    DUPLICATE = "duplicate"  # where a merge puts the merged idea


class RoadmapColumn(enum.StrEnum):
    """The public roadmap's columns an admin can put a stage in (insights.roadmap).

    The third column, Launched, is always the stage with the LAUNCHED role.
    """

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"


class Stage(Model):
    """A review stage. Closed stages (Launched, Declined, Duplicate) close voting."""

    __tablename__ = "stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    # The English and the Korean name; either may be empty, not both (i18n.localized_name).
    name: Mapped[str] = mapped_column(String(60))
    name_ko: Mapped[str] = mapped_column(String(60), default="", server_default="")
    position: Mapped[int] = mapped_column(default=0)
    color: Mapped[str] = mapped_column(String(7), default="#6b7280")
    is_open: Mapped[bool] = mapped_column(default=True)
    is_public: Mapped[bool] = mapped_column(default=True)
    # A StageRole value, or None for an ordinary stage; the code asks for roles, never slugs.
    role: Mapped[str | None] = mapped_column(String(16), unique=True)
    # A RoadmapColumn value: the public roadmap column of this stage's ideas (None: not shown).
    roadmap_column: Mapped[str | None] = mapped_column(String(16))

    def has_role(self, role: StageRole) -> bool:
        return self.role == role.value

    @property
    def text_color(self) -> str:
        """Black or white, whichever reads better on the stage colour (WCAG luminance)."""
        try:
            channels = [int(self.color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        except (ValueError, TypeError):
            return "#ffffff"
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
        # Contrast with white is 1.05 / (L + 0.05), with black (L + 0.05) / 0.05.
        return "#ffffff" if 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 else "#111111"

    def __repr__(self) -> str:
        return f"<Stage {self.slug}>"


def stage_with_role(role: StageRole) -> Stage | None:
    """Return the stage that plays this role, or None if no stage does."""
    return db.session.scalar(select(Stage).where(Stage.role == role.value))


class StatusChange(Model):
    """One public stage change of an idea, with the official note."""

    __tablename__ = "status_changes"
    __table_args__ = (Index("ix_status_changes_idea_created", "idea_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    from_stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id"))
    to_stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id"))
    note: Mapped[str] = mapped_column(Text)
    note_html: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # How long the idea had been in from_stage when it left it.
    seconds_in_from_stage: Mapped[int | None] = mapped_column()
    # A bulk change or a merge writes one note for several ideas; they share this key.
    batch_key: Mapped[str | None] = mapped_column(String(36))

    idea: Mapped[Idea] = relationship(back_populates="status_changes")
    from_stage: Mapped[Stage | None] = relationship(foreign_keys=[from_stage_id])
    to_stage: Mapped[Stage] = relationship(foreign_keys=[to_stage_id])
    by: Mapped[User | None] = relationship()


class StageTransition(Model):
    """A move the workflow allows, from one stage to another. Admins can edit the set."""

    __tablename__ = "stage_transitions"

    from_stage_id: Mapped[int] = mapped_column(
        ForeignKey("stages.id", ondelete="CASCADE"), primary_key=True
    )
    to_stage_id: Mapped[int] = mapped_column(
        ForeignKey("stages.id", ondelete="CASCADE"), primary_key=True
    )


class Team(Model):
    """A team that owns ideas (Product, Support, Billing, …)."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    # The English and the Korean name; either may be empty, not both (i18n.localized_name).
    name: Mapped[str] = mapped_column(String(60))
    name_ko: Mapped[str] = mapped_column(String(60), default="", server_default="")
    position: Mapped[int] = mapped_column(default=0)


class TeamMember(Model):
    """A staff member on a team: they get the team's daily e-mail of overdue ideas."""

    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


class IdeaEdit(Model):
    """One staff edit of an idea field (title, category, team, assignee, visibility)."""

    __tablename__ = "idea_edits"
    __table_args__ = (Index("ix_idea_edits_idea_created", "idea_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    by: Mapped[User | None] = relationship()


class IdeaNote(Model):
    """A staff-only note on an idea: shown in the staff activity feed and nowhere else.

    No event is published for a note, so no e-mail, notification, webhook, feed or reply on X
    ever carries one; the public pages and the API never read this table.
    """

    __tablename__ = "idea_notes"
    __table_args__ = (Index("ix_idea_notes_idea_created", "idea_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship()


class SavedReply(Model):
    """A canned answer staff insert into an official answer, a stage note or an internal note."""

    __tablename__ = "saved_replies"
    __table_args__ = (UniqueConstraint("lang", "title", name="uq_saved_replies_lang_title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(8))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SavedFilter(Model):
    """A staff member's named inbox filter and sort: the inbox's query string, normalised.

    The query is parsed and checked again each time it is used (triage.saved_filters), so a
    stage or team deleted since is a clear message on the inbox, not an error.
    """

    __tablename__ = "saved_filters"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_filters_user_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    query: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
