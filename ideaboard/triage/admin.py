"""Admin pages of the workflow: stages, allowed transitions, teams."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..accounts.models import User
from ..errors import DomainError, NotFound, ValidationFailed
from ..extensions import db
from ..forms import FlaskForm, apply_domain_error
from ..i18n import display_name
from ..ideas import queries as idea_queries
from ..ideas.forms import ActionForm
from ..ideas.models import Category
from ..inputs import parse_row_id
from . import queries
from . import workflow as workflow_rules
from .forms import NamesForm, StageEditForm, TeamForm, TeamMemberForm
from .models import Stage, StageTransition, Team
from .permissions import admin_required
from .views import bp


def _stages() -> list[Stage]:
    return list(db.session.scalars(select(Stage).order_by(Stage.position, Stage.id)))


def _member_form(
    team: Team, members: list[User], staff: list[User], *, sent: bool = False
) -> TeamMemberForm:
    """The "add a member" form of team: its choices are the staff not on it yet.

    Only the form that was sent reads the request (sent=True); the others start empty.
    """
    form = (
        TeamMemberForm(prefix=f"m{team.id}")
        if sent
        else TeamMemberForm(prefix=f"m{team.id}", formdata=None)
    )
    on_team = {user.id for user in members}
    form.user.choices = [(str(u.id), u.name) for u in staff if u.id not in on_team]
    return form


def _page(
    stage_form: StageEditForm | None = None,
    team_form: TeamForm | None = None,
    member_form: tuple[int, TeamMemberForm] | None = None,
    status: int = 200,
    failed: dict[str, FlaskForm] | None = None,
    transitions: tuple[set[tuple[int, int]], str] | None = None,
) -> tuple[str, int]:
    """Render the workflow page.

    At most one form was sent and refused: it is passed in (stage_form, team_form, member_form,
    failed by its prefix, or transitions with the ticked pairs and the error) and shows what was
    typed with its errors. Every other form is built from the stored rows with formdata=None:
    flask-wtf would otherwise bind the sent request to them too, and a checkbox missing from it
    reads as unticked (saving that stage next would close voting and hide it).
    """
    failed = failed or {}
    stored = set(
        db.session.execute(select(StageTransition.from_stage_id, StageTransition.to_stage_id))
    )
    teams = queries.teams()
    categories = idea_queries.all_categories()
    members = queries.team_members()
    staff = queries.staff_members()
    stages = _stages()
    member_forms = {t.id: _member_form(t, members.get(t.id, []), staff) for t in teams}
    sent: str | None = None  # the id of the refused form, for the link at the top
    if member_form is not None:  # the one that was sent, with its errors
        team_id, form = member_form
        form.user.choices = member_forms[team_id].user.choices
        member_forms[team_id] = form
        sent = f"members-{team_id}"
    if stage_form is not None:
        sent = "stage-new"
    if team_form is not None:
        sent = "team-new"
    if transitions is not None:
        sent = "moves"
    for prefix in failed:
        sent = {"s": "stage-", "t": "team-", "c": "category-"}[prefix[0]] + prefix[1:]

    def stored_form(cls: type[FlaskForm], prefix: str, obj: object) -> FlaskForm:
        return failed[prefix] if prefix in failed else cls(prefix=prefix, obj=obj, formdata=None)

    html = render_template(
        "triage/workflow.html",
        stages=stages,
        pairs=transitions[0] if transitions is not None else stored,
        moves_error=transitions[1] if transitions is not None else None,
        refused=sent,
        teams=teams,
        categories=categories,
        members=members,
        member_forms=member_forms,
        stage_form=stage_form or StageEditForm(prefix="new", formdata=None),
        team_form=team_form or TeamForm(prefix="team", formdata=None),
        action_form=ActionForm(formdata=None),
        edit_forms={s.id: stored_form(StageEditForm, f"s{s.id}", s) for s in stages},
        team_forms={t.id: stored_form(NamesForm, f"t{t.id}", t) for t in teams},
        category_forms={c.id: stored_form(NamesForm, f"c{c.id}", c) for c in categories},
    )
    return html, status


@bp.get("/workflow")
@admin_required
def workflow() -> tuple[str, int]:
    """Show the stages, the allowed moves between them and the teams (admins only)."""
    return _page()


def _save(form: StageEditForm, stage: Stage | None) -> Response | tuple[str, int]:
    if form.validate_on_submit():
        try:
            workflow_rules.save_stage(
                current_user._get_current_object(),
                stage=stage,
                slug=form.slug.data or "",
                name=form.name.data or "",
                name_ko=form.name_ko.data or "",
                color=form.color.data or "",
                is_open=bool(form.is_open.data),
                is_public=bool(form.is_public.data),
                position=form.position.data if form.position.data is not None else 100,
                roadmap_column=form.roadmap_column.data or None,
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error, "name")
        else:
            flash(_("The stage is saved."), "success")
            return redirect(url_for("triage.workflow"))
    if stage is None:
        return _page(stage_form=form, status=422)
    return _page(failed={f"s{stage.id}": form}, status=422)


@bp.post("/workflow/stages")
@admin_required
def add_stage() -> Response | tuple[str, int]:
    """Add a stage (e.g. Partially Launched)."""
    return _save(StageEditForm(prefix="new"), None)


@bp.post("/workflow/stages/<id:stage_id>")
@admin_required
def edit_stage(stage_id: int) -> Response | tuple[str, int]:
    """Rename, recolour, reorder, open/close a stage."""
    stage = db.session.get(Stage, stage_id)
    if stage is None:
        raise NotFound(_("There is no such stage."))
    return _save(StageEditForm(prefix=f"s{stage.id}"), stage)


@bp.post("/workflow/transitions")
@admin_required
def save_transitions() -> Response | tuple[str, int]:
    """Replace the allowed moves with the ticked boxes; a refusal changes nothing."""
    ActionForm().validate_on_submit()
    pairs: set[tuple[int, int]] = set()
    error: str | None = None
    for value in request.form.getlist("allow"):
        a, _sep, b = value.partition("-")
        from_id, to_id = parse_row_id(a), parse_row_id(b)
        if from_id is None or to_id is None:
            error = _("The workflow names an unknown stage.")
            continue
        pairs.add((from_id, to_id))
    if error is None:
        try:
            workflow_rules.set_transitions(current_user._get_current_object(), pairs)
            db.session.commit()
        except DomainError as refused:
            db.session.rollback()
            error = refused.message
        else:
            flash(_("The workflow is saved."), "success")
            return redirect(url_for("triage.workflow"))
    return _page(transitions=(pairs, error), status=422)


@bp.post("/workflow/teams")
@admin_required
def add_team() -> Response | tuple[str, int]:
    """Add a team."""
    form = TeamForm(prefix="team")
    if form.validate_on_submit():
        try:
            workflow_rules.add_team(
                current_user._get_current_object(),
                form.slug.data or "",
                form.name.data or "",
                form.name_ko.data or "",
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error, "name")
        else:
            flash(_("The team is added."), "success")
            return redirect(url_for("triage.workflow"))
    return _page(team_form=form, status=422)


def _rename(named: Team | Category, prefix: str) -> Response | tuple[str, int]:
    form = NamesForm(prefix=prefix)
    if form.validate_on_submit():
        try:
            workflow_rules.rename(
                current_user._get_current_object(),
                named,
                form.name.data or "",
                form.name_ko.data or "",
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error, "name")
        else:
            flash(_("The names are saved."), "success")
            return redirect(url_for("triage.workflow"))
    return _page(failed={prefix: form}, status=422)


@bp.post("/workflow/teams/<id:team_id>")
@admin_required
def rename_team(team_id: int) -> Response | tuple[str, int]:
    """Change a team's English and Korean names."""
    team = db.session.get(Team, team_id)
    if team is None:
        raise NotFound(_("There is no such team."))
    return _rename(team, f"t{team.id}")


@bp.post("/workflow/categories/<id:category_id>")
@admin_required
def rename_category(category_id: int) -> Response | tuple[str, int]:
    """Change a category's English and Korean names."""
    category = db.session.get(Category, category_id)
    if category is None:
        raise NotFound(_("There is no such category."))
    return _rename(category, f"c{category.id}")


def _team(team_id: int) -> Team:
    team = db.session.get(Team, team_id)
    if team is None:
        raise NotFound(_("There is no such team."))
    return team


@bp.post("/workflow/teams/<id:team_id>/members")
@admin_required
def add_team_member(team_id: int) -> Response | tuple[str, int]:
    """Put a staff member on a team."""
    team = _team(team_id)
    members = queries.team_members().get(team.id, [])
    form = _member_form(team, members, queries.staff_members(), sent=True)
    if form.validate_on_submit():
        user_id = parse_row_id(form.user.data or "")
        user = db.session.get(User, user_id) if user_id is not None else None
        try:
            if user is None:
                raise ValidationFailed(_("There is no such staff member."), "user")
            workflow_rules.add_team_member(current_user._get_current_object(), team, user)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error, "user")
        else:
            flash(
                _("%(name)s is on the team %(team)s now.", name=user.name, team=display_name(team)),
                "success",
            )
            return redirect(url_for("triage.workflow", _anchor="teams-heading"))
    return _page(member_form=(team.id, form), status=422)


@bp.post("/workflow/teams/<id:team_id>/members/<id:user_id>/remove")
@admin_required
def remove_team_member(team_id: int, user_id: int) -> Response:
    """Take a member off a team."""
    ActionForm().validate_on_submit()
    team = _team(team_id)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("There is no such staff member."))
    workflow_rules.remove_team_member(current_user._get_current_object(), team, user)
    db.session.commit()
    flash(
        _("%(name)s is off the team %(team)s.", name=user.name, team=display_name(team)), "success"
    )
    return redirect(url_for("triage.workflow", _anchor="teams-heading"))
