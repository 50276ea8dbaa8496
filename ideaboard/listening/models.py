"""Spike alerts as stored: one row per (class, UTC hour) that fired, acknowledged by staff."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import Model


class SpikeAlertRow(Model):
    """A class of mentions far above its usual level in one UTC hour (listening/alerts.py).

    The unique (label, hour) makes an alert fire once however many workers judge the hour:
    only the one whose insert wins queues the e-mails and the webhook deliveries.
    `count` is the count when it fired (an hour still in progress may fire early, when
    `created_at` is before `hour` + 1 h); `acknowledged_at`/`_by_id` take it off the banner.
    """

    __tablename__ = "spike_alerts"
    __table_args__ = (
        UniqueConstraint("label", "hour", name="uq_spike_alerts_label_hour"),
        # The banner: alerts nobody dismissed, newest first.
        Index("ix_spike_alerts_acknowledged_hour", "acknowledged_at", "hour"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(16))
    hour: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer)
    baseline: Mapped[float] = mapped_column(Float)
    factor: Mapped[float] = mapped_column(Float)
    history_days: Mapped[int] = mapped_column(Integer)
    baseline_days: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
