"""The admins' e-mail about a spike of mentions (listening/alerts.py fires it, once per alert).

Each admin who gets staff mail (`staff.reachable_staff`) gets one e-mail per alert, in their
language and time zone, with a link to the dashboard's chart. Nothing is queued while e-mail
is off (enqueue_many); the banner and the webhook do not depend on e-mail.
Key: `email:spike:{label}:{hour, UTC, YYYYmmddTHH}:{admin id}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_babel import gettext as _

from ..accounts.models import User
from ..events import MentionSpike, subscribe
from ..extensions import db
from ..listening import alerts
from ..listening.models import SpikeAlertRow
from ..urls import public_url_for
from .enqueue import enqueue_many, mail_row
from .letters import Draft, letter
from .staff import _still_reachable, reachable_staff


def on_mention_spike(event: MentionSpike) -> None:
    """Queue one e-mail per reachable admin about the alert that just fired."""
    alert = event.alert
    stamp = alert.hour.strftime("%Y%m%dT%H")
    enqueue_many(
        mail_row(
            letter="mention_spike",
            to=admin.email,
            user=admin,
            dedupe_key=f"email:spike:{alert.label}:{stamp}:{admin.id}",
            params={"alert_id": event.alert_id, "early": event.early},
        )
        for admin in reachable_staff(admins_only=True)
    )


@letter("mention_spike")
def spike_letter(params: Mapping[str, Any], user: User | None) -> Draft | str:
    """What fired, in the reader's words and zone, and where to see it."""
    if not _still_reachable(user, admins_only=True):
        return "the recipient is no longer an admin who gets staff e-mail"
    alert_id = params.get("alert_id")
    row = db.session.get(SpikeAlertRow, alert_id) if isinstance(alert_id, int) else None
    if row is None:
        return "the alert was deleted"
    alert = alerts.as_alert(row)
    return Draft(
        subject=_(
            "Spike of %(what)s: %(count)d mentions, %(hour)s",
            what=alerts.label_name(alert.label),
            count=alert.count,
            hour=alerts.hour_span(alert.hour),
        ),
        context={
            "description": alerts.describe(alert, early=bool(params.get("early"))),
            "chart_url": public_url_for("moderation.dashboard", _anchor="mention-chart"),
        },
    )


def register(app: Flask) -> None:
    """Subscribe the admins' e-mail to spike alerts."""
    subscribe(app, MentionSpike, on_mention_spike)
