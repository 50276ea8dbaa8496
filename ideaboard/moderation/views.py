"""Staff pages for oversight: people and blocking, the CSV export, the dashboard."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from ..accounts import blocking
from ..accounts.models import User
from ..database import utcnow
from ..errors import DomainError, NotFound
from ..extensions import db
from ..forms import apply_domain_error
from ..ideas.forms import ActionForm
from ..ideas.models import Comment, Idea, Vote
from ..inputs import parse_row_id
from ..listening.chart import MentionChart, mention_chart
from ..triage.permissions import staff_required
from ..triage.queries import InboxFilters, response_target
from . import dashboard as figures
from . import export
from .forms import BlockForm

bp = Blueprint("moderation", __name__, url_prefix="/staff")


def _me() -> User:
    # flask-login is untyped (current_user is Any); its user loader gives a User
    return cast(User, current_user._get_current_object())


def _person(user_id: int) -> User:
    person = db.session.get(User, user_id)
    if person is None or not person.active:
        raise NotFound(_("There is no such person."))
    return person


@bp.app_template_filter("duration")
def duration(value: timedelta) -> str:
    """A duration in two units at most, in the page's language: "1 day 6 hours", "1일 6시간"."""
    seconds = max(0, int(value.total_seconds()))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    units = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    first = next((i for i, (amount, _unit) in enumerate(units) if amount), None)
    if first is None:
        return str(format_timedelta(timedelta(seconds=seconds), threshold=1))
    parts = [
        str(format_timedelta(timedelta(**{unit + "s": amount}), threshold=1, granularity=unit))
        for amount, unit in units[first : first + 2]
        if amount
    ]
    return " ".join(parts)


@bp.app_template_global()
def export_csv_url(filters: InboxFilters) -> str:
    """The export link for the inbox's current filter (every field explicit: no default stage)."""
    return url_for(
        "moderation.export_csv",
        scope="filter",
        stage=filters.stage,
        category=filters.category,
        source=filters.source,
        team=filters.team,
        assignee=filters.assignee,
        q=filters.q,
        hidden="1" if filters.hidden else "",
        held="1" if filters.held else "",
        overdue="1" if filters.overdue else "",
        sort=filters.sort,
    )


@bp.get("/people")
@staff_required
def people() -> str:
    """Find people by name or e-mail address, a page at a time."""
    q = request.args.get("q", "")[: blocking.SEARCH_MAX]
    blocked_only = request.args.get("blocked") == "1"
    page_number = parse_row_id(request.args.get("page")) or 1
    page = blocking.search_people(q, blocked_only=blocked_only, page=page_number)
    return render_template("moderation/people.html", page=page, q=q, blocked_only=blocked_only)


def _render_person(person: User, form: BlockForm, status: int = 200) -> tuple[str, int]:
    counts = {
        "ideas": select(func.count(Idea.id)).where(Idea.author_id == person.id),
        "comments": select(func.count(Comment.id)).where(Comment.author_id == person.id),
        "votes": select(func.count(Vote.id)).where(Vote.user_id == person.id),
    }
    html = render_template(
        "moderation/person.html",
        person=person,
        form=form,
        action_form=ActionForm(),
        counts={name: int(db.session.scalar(query) or 0) for name, query in counts.items()},
        may_block=blocking.may_block(_me(), person),
        blocked_by=db.session.get(User, person.blocked_by_id) if person.blocked_by_id else None,
    )
    return html, status


@bp.get("/people/<id:user_id>")
@staff_required
def person(user_id: int) -> tuple[str, int]:
    """One person: what they wrote, and blocking."""
    return _render_person(_person(user_id), BlockForm())


@bp.post("/people/<id:user_id>/block")
@staff_required
def block(user_id: int) -> Response | tuple[str, int]:
    """Block a customer with a reason; the form keeps the reason through any error."""
    target = _person(user_id)
    form = BlockForm()
    if form.validate_on_submit():
        try:
            blocking.block_user(target, _me(), form.reason.data)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)  # the reason field, else above the form
            return _render_person(_person(user_id), form, error.status)
        flash(_("%(name)s is blocked from posting.", name=target.name), "success")
        return redirect(url_for("moderation.person", user_id=target.id))
    return _render_person(target, form, 422)


@bp.post("/people/<id:user_id>/unblock")
@staff_required
def unblock(user_id: int) -> Response:
    """Let a blocked person post again."""
    target = _person(user_id)
    form = ActionForm()
    if not form.validate_on_submit():
        flash(_("The form expired. Reload the page and try again."), "error")
        return redirect(url_for("moderation.person", user_id=target.id))
    blocking.unblock_user(target, _me())  # a DomainError is a 4xx page (web.py)
    db.session.commit()
    flash(_("%(name)s can post again.", name=target.name), "success")
    return redirect(url_for("moderation.person", user_id=target.id))


def _filename(scope: str, now: datetime) -> str:
    return f"ideaboard-{scope}-{now:%Y%m%d-%H%M}.csv"  # ASCII letters, digits and dashes


@bp.get("/export.csv")
@staff_required
def export_csv() -> Response:
    """The board (scope=board, the default) or an inbox filter (scope=filter) as CSV."""
    scope = "filter" if request.args.get("scope") == "filter" else "board"
    filters = export.filters_from_args(request.args) if scope == "filter" else None
    where = export.conditions(filters, _me())  # an unknown filter value is a 422 page here
    response = current_app.response_class(
        stream_with_context(export.csv_lines(where)), mimetype="text/csv; charset=utf-8"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename(scope, utcnow())}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/dashboard")
@staff_required
def dashboard() -> str:
    """Time in each stage, first-response times, ideas per week and overdue ideas."""
    target = response_target()
    return render_template(
        "moderation/dashboard.html",
        board=figures.dashboard(utcnow(), target),
        target_hours=current_app.config["IDEABOARD_RESPONSE_TARGET_HOURS"],
        window_days=figures.WINDOW_DAYS,
        chart=_mention_chart(),
    )


def _mention_chart() -> MentionChart:
    """Mentions per hour and class, spike hours marked (?range=48h, the default, or 7d)."""
    return mention_chart(utcnow(), request.args.get("range"))
