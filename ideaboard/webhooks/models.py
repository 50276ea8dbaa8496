"""Outbound webhooks: admin-configured URLs that receive signed event notifications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import Model


class Webhook(Model):
    """An admin-configured URL that receives signed event notifications via the outbox."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(80))
    # Subscribed events: webhooks.enqueue.EVENTS (idea.created, …, mentions.spike).
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def secret_hint(self) -> str:
        """The secret's last four characters: enough to tell secrets apart, not to sign."""
        return "…" + (self.secret or "")[-4:]

    def subscribes(self, event: str) -> bool:
        """Tell whether this webhook wants the event (everyone gets webhook.test)."""
        return self.active and (event == "webhook.test" or event in (self.events or []))
