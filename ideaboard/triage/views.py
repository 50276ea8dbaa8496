"""The staff workspace: inbox and queues, stage changes, routing, edits, hide, merge, bulk."""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..accounts.models import User
from ..database import utcnow
from ..errors import DomainError, NotFound, ValidationFailed
from ..extensions import db
from ..forms import SelectChoice, apply_domain_error
from ..i18n import display_name
from ..ideas import queries as idea_queries
from ..ideas.forms import ActionForm
from ..ideas.models import Idea
from ..inputs import parse_row_id
from ..redirects import safe_target
from ..social.echo import held_echoes
from . import queries, services
from .forms import AssignForm, BulkStageForm, EditForm, HideForm, MergeForm, StageForm
from .models import Stage, StageRole, Team, stage_with_role
from .permissions import staff_required

bp = Blueprint("triage", __name__, url_prefix="/staff")


def _me() -> User:
    # flask-login is untyped (current_user is Any); its user loader gives a User
    return cast(User, current_user._get_current_object())


def _idea(idea_id: int) -> Idea:
    idea = db.session.get(Idea, idea_id)
    if idea is None:
        raise NotFound(_("There is no idea with this number."))
    return idea


def _stage_choices(stages: list[Stage]) -> list[SelectChoice]:
    return [SelectChoice(s.slug, display_name(s)) for s in stages]


def _all_stages() -> list[Stage]:
    return list(db.session.scalars(select(Stage).order_by(Stage.position, Stage.id)))


def _waiting_slug() -> str:
    """The inbox's default queue: ideas still in the initial stage, waiting for an answer."""
    initial = stage_with_role(StageRole.INITIAL)
    return initial.slug if initial is not None else ""


def _filters() -> queries.InboxFilters:
    args = request.args
    return queries.InboxFilters(
        stage=args.get("stage", _waiting_slug()),
        category=args.get("category", ""),
        source=args.get("source", ""),
        team=args.get("team", ""),
        assignee=args.get("assignee", ""),
        q=args.get("q", "")[:200],
        hidden=args.get("hidden") == "1",
        held=args.get("held") == "1",
    )


@bp.get("/")
@staff_required
def inbox() -> str | tuple[str, int]:
    """List ideas waiting for an answer (New, oldest first) with filters and queues."""
    filters = _filters()
    error = None
    try:
        rows = queries.inbox(filters, viewer=_me(), now=utcnow(), target=queries.response_target())
    except DomainError as exc:
        rows, error = [], exc.message
    bulk = BulkStageForm()
    bulk.stage.choices = _stage_choices(_all_stages())
    html = render_template(
        "triage/inbox.html",
        rows=rows,
        filters=filters,
        waiting_slug=_waiting_slug(),
        error=error,
        stages=_all_stages(),
        categories=idea_queries.all_categories(),
        teams=queries.teams(),
        staff=queries.staff_members(),
        bulk_form=bulk,
        target_hours=current_app.config["IDEABOARD_RESPONSE_TARGET_HOURS"],
        my_teams=queries.teams_of(_me()),
    )
    return (html, 400) if error else html


def _forms(idea: Idea) -> dict[str, Any]:
    stage_form = StageForm(prefix="stage")
    stage_form.stage.choices = _stage_choices(services.allowed_next_stages(idea))
    assign_form = AssignForm(prefix="assign")
    assign_form.team.choices = [SelectChoice("", _("— No team —"))] + [
        SelectChoice(t.slug, display_name(t)) for t in queries.teams()
    ]
    assign_form.assignee.choices = [SelectChoice("", _("— Nobody —"))] + [
        SelectChoice(str(u.id), u.name) for u in queries.staff_members()
    ]
    edit_form = EditForm(prefix="edit")
    edit_form.category.choices = [SelectChoice("", _("— No category —"))] + [
        SelectChoice(c.slug, display_name(c)) for c in idea_queries.all_categories()
    ]
    if request.method == "GET":
        assign_form.team.data = idea.team.slug if idea.team else ""
        assign_form.assignee.data = str(idea.assignee_id or "")
        edit_form.title.data = idea.title
        edit_form.category.data = idea.category.slug if idea.category else ""
    return {
        "stage_form": stage_form,
        "assign_form": assign_form,
        "edit_form": edit_form,
        "hide_form": HideForm(prefix="hide"),
        "merge_form": MergeForm(prefix="merge"),
    }


def _render_idea(idea: Idea, status: int = 200, **forms: Any) -> tuple[str, int]:
    context = _forms(idea)
    context.update(forms)
    context["held_echoes"] = held_echoes(idea)  # replies on X waiting for a confirmation
    html = render_template("triage/idea.html", idea=idea, history=queries.history(idea), **context)
    return html, status


@bp.get("/ideas/<id:idea_id>")
@staff_required
def idea(idea_id: int) -> tuple[str, int]:
    """Show the staff panel of an idea."""
    return _render_idea(_idea(idea_id))


def _act(idea: Idea, form: Any, name: str, action: Any, success: str) -> Response | tuple[str, int]:
    """Validate form, run action, commit; on a domain error show it on the form (422)."""
    if form.validate_on_submit():
        try:
            action()
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error, next(iter(form)).short_name)
        else:
            flash(success, "success")
            return redirect(url_for("triage.idea", idea_id=idea.id))
    return _render_idea(_idea(idea.id), 422, **{name: form})


@bp.post("/ideas/<id:idea_id>/stage")
@staff_required
def change_stage(idea_id: int) -> Response | tuple[str, int]:
    """Move the idea to another stage with a public note."""
    target = _idea(idea_id)
    form = StageForm(prefix="stage")
    form.stage.choices = _stage_choices(services.allowed_next_stages(target))
    return _act(
        target,
        form,
        "stage_form",
        lambda: services.change_stage(
            target, services.find_stage(form.stage.data or ""), form.note.data or "", _me()
        ),
        _("The stage is changed and the update is public."),
    )


@bp.post("/ideas/<id:idea_id>/assign")
@staff_required
def assign(idea_id: int) -> Response | tuple[str, int]:
    """Route the idea to a team and a staff member."""
    target = _idea(idea_id)
    form = _forms(target)["assign_form"]

    def run() -> None:
        team = None
        if form.team.data:
            team = db.session.scalar(select(Team).where(Team.slug == form.team.data))
        assignee = db.session.get(User, int(form.assignee.data)) if form.assignee.data else None
        services.assign_idea(target, _me(), team=team, assignee=assignee)

    return _act(target, form, "assign_form", run, _("Routing saved."))


@bp.post("/ideas/<id:idea_id>/edit")
@staff_required
def edit(idea_id: int) -> Response | tuple[str, int]:
    """Change the title and category, keeping the history."""
    target = _idea(idea_id)
    form = _forms(target)["edit_form"]
    return _act(
        target,
        form,
        "edit_form",
        lambda: services.edit_idea(
            target, _me(), title=form.title.data or "", category_slug=form.category.data or None
        ),
        _("The idea is updated."),
    )


@bp.post("/ideas/<id:idea_id>/hide")
@staff_required
def hide(idea_id: int) -> Response | tuple[str, int]:
    """Hide the idea from the public (spam, abuse)."""
    target = _idea(idea_id)
    form = HideForm(prefix="hide")
    return _act(
        target,
        form,
        "hide_form",
        lambda: services.hide_idea(target, _me(), form.reason.data or ""),
        _("The idea is hidden from the public."),
    )


@bp.post("/ideas/<id:idea_id>/restore")
@staff_required
def restore(idea_id: int) -> Response | tuple[str, int]:
    """Show a hidden idea again."""
    target = _idea(idea_id)
    if ActionForm().validate_on_submit():
        try:
            services.restore_idea(target, _me())
            db.session.commit()
        except DomainError as error:
            # The restore button's form has no field to show the error on (e.g. the idea
            # was restored in another tab): say it at the top of the page.
            db.session.rollback()
            flash(error.message, "error")
            return _render_idea(_idea(idea_id), error.status)
        flash(_("The idea is public again."), "success")
    return redirect(url_for("triage.idea", idea_id=idea_id))


@bp.post("/ideas/<id:idea_id>/merge")
@staff_required
def merge(idea_id: int) -> Response | tuple[str, int]:
    """Merge this idea into another one."""
    duplicate = _idea(idea_id)
    form = MergeForm(prefix="merge")

    def run() -> None:
        into = db.session.get(Idea, form.target.data or 0)
        if into is None:
            raise NotFound(_("There is no idea with this number."), "target")
        services.merge_ideas(duplicate, into, _me(), form.note.data or "")

    return _act(duplicate, form, "merge_form", run, _("The ideas are merged."))


@bp.post("/bulk-stage")
@staff_required
def bulk_stage() -> Response:
    """Move the selected ideas to one stage with one note."""
    form = BulkStageForm()
    form.stage.choices = _stage_choices(_all_stages())
    back = safe_target(request.form.get("next"), url_for("triage.inbox"))
    raw_ids = request.form.getlist("ideas")
    if not all(v.isascii() and v.isdigit() for v in raw_ids):
        raise ValidationFailed(_("Some of the selected ideas are not idea numbers."), "ideas")
    # A number past the id range names no idea, like a deleted one: it is skipped.
    ids = [i for i in map(parse_row_id, raw_ids) if i is not None]
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(back)
    ideas = list(db.session.scalars(select(Idea).where(Idea.id.in_(ids))).unique())
    try:
        changes, refused = services.bulk_change_stage(
            ideas, services.find_stage(form.stage.data or ""), form.note.data or "", _me()
        )
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(back)
    flash(_("%(n)d ideas moved.", n=len(changes)), "success")
    for idea, reason in refused:
        flash(_("#%(id)d not moved: %(reason)s", id=idea.id, reason=reason), "error")
    return redirect(back)


from . import admin  # noqa: E402,F401 - registers the admin routes on bp
