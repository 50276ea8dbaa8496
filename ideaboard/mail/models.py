"""Marks the scheduled mail jobs keep (when a daily e-mail last went out, how far an alert read)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import Model


class JobMark(Model):
    """One named mark, e.g. "dead_alert" → the last dead outbox row id the admins heard of."""

    __tablename__ = "job_marks"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
