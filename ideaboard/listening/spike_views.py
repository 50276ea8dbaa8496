"""Spike alerts on the staff pages: the banner (every page under /staff) and dismissing it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..database import utcnow
from ..errors import NotFound
from ..extensions import db
from ..ideas.forms import ActionForm
from ..ideas.permissions import can_triage
from ..redirects import safe_target
from ..triage.permissions import staff_required
from . import alerts
from .models import SpikeAlertRow

bp = Blueprint("spikes", __name__, url_prefix="/staff/spikes")

STAFF_PREFIX = "/staff/"


@dataclass(frozen=True)
class BannerItem:
    id: int
    text: str


@dataclass(frozen=True)
class Banner:
    items: list[BannerItem]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.items)


def _banner() -> Banner | None:
    """The alerts nobody dismissed, for a staff member on a staff page; else None."""
    if not request.path.startswith(STAFF_PREFIX) or request.method != "GET":
        return None
    if not current_user.is_authenticated or not can_triage(current_user):
        return None
    cached: Banner | None | bool = g.get("_ib_spike_banner", False)
    if cached is not False:
        return cached if isinstance(cached, Banner) else None
    rows, total = alerts.banner_alerts(utcnow())
    banner = None
    if rows:
        items = [
            BannerItem(
                id=row.id,
                text=alerts.describe(alerts.as_alert(row), early=alerts.was_early(row)),
            )
            for row in rows
        ]
        banner = Banner(items=items, total=total)
    g._ib_spike_banner = banner
    return banner


@bp.app_context_processor
def _inject_banner() -> dict[str, Any]:
    from flask import has_request_context

    if not has_request_context():
        return {}
    return {"spike_banner": _banner()}


@bp.post("/<id:alert_id>/dismiss")
@staff_required
def dismiss(alert_id: int) -> Response:
    """Take a spike alert off the banner, for every staff member."""
    back = safe_target(request.form.get("next"), url_for("moderation.dashboard"))
    form = ActionForm()
    if not form.validate_on_submit():
        flash(_("The form expired. Reload the page and try again."), "error")
        return redirect(back)
    if db.session.get(SpikeAlertRow, alert_id) is None:
        raise NotFound(_("There is no such spike alert."))
    if alerts.acknowledge(alert_id, int(current_user.id)):
        db.session.commit()
        flash(_("The spike alert is dismissed for every staff member."), "success")
    else:
        db.session.rollback()
        flash(_("That spike alert was dismissed already."), "info")
    return redirect(back)
