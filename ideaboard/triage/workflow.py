"""Workflow rules for admins: stages, allowed transitions, teams. Flush, never commit."""

from __future__ import annotations

from types import EllipsisType

from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from ..accounts.models import User
from ..errors import Conflict, PermissionDenied, ValidationFailed
from ..extensions import db
from ..ideas.models import Category
from ..ideas.permissions import can_administer
from ..text import check_length, clean_text
from .models import RoadmapColumn, Stage, StageRole, StageTransition, Team, TeamMember


def _require_admin(user: User) -> None:
    if not can_administer(user):
        raise PermissionDenied(_("Only admins can change the workflow."))


def _clean_slug(raw: str) -> str:
    slug = clean_text(raw, field="slug", label=_("Short name")).lower()
    if not slug or not all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in slug):
        raise ValidationFailed(
            _("Use lowercase letters, digits and hyphens for the short name."), field="slug"
        )
    check_length(slug, field="slug", label=_("Short name"), minimum=2, maximum=40)
    return slug


def _clean_color(raw: str) -> str:
    color = (raw or "").strip().lower()
    if len(color) != 7 or color[0] != "#" or any(c not in "0123456789abcdef" for c in color[1:]):
        raise ValidationFailed(_("Give the colour as #rrggbb."), field="color")
    return color


NAME_MAX = 60  # graphemes, as the columns (String(60)) allow


def clean_names(name: str, name_ko: str) -> tuple[str, str]:
    """Return the cleaned English and Korean names; at least one must be given."""
    english = clean_text(name, field="name", label=_("English name"))
    check_length(english, field="name", label=_("English name"), minimum=0, maximum=NAME_MAX)
    korean = clean_text(name_ko, field="name_ko", label=_("Korean name"))
    check_length(korean, field="name_ko", label=_("Korean name"), minimum=0, maximum=NAME_MAX)
    if not english and not korean:
        raise ValidationFailed(_("Give a name in English, in Korean or in both."), field="name")
    return english, korean


def save_stage(
    by: User,
    *,
    stage: Stage | None,
    slug: str,
    name: str,
    color: str,
    is_open: bool,
    is_public: bool,
    position: int,
    name_ko: str = "",
    roadmap_column: str | None | EllipsisType = ...,
) -> Stage:
    """Create a stage (stage=None) or change one; slugs of existing stages never change.

    name is the English name, name_ko the Korean one; either may be empty, not both.
    roadmap_column is a RoadmapColumn value, or "" / None for "not on the roadmap"; left out
    (...), it stays as it is.
    """
    _require_admin(by)
    name, name_ko = clean_names(name, name_ko)
    color = _clean_color(color)
    column = (
        _clean_roadmap_column(roadmap_column, stage)
        if not isinstance(roadmap_column, EllipsisType)
        else ...
    )
    if stage is None:
        slug = _clean_slug(slug)
        if db.session.scalar(select(Stage).where(Stage.slug == slug)) is not None:
            raise Conflict(_("A stage with this short name exists."), field="slug")
        stage = Stage(slug=slug)
        db.session.add(stage)
    stage.name = name
    stage.name_ko = name_ko
    stage.color = color
    stage.is_open = is_open
    stage.is_public = is_public
    stage.position = position
    if not isinstance(column, EllipsisType):
        stage.roadmap_column = column
    db.session.flush()
    return stage


def _clean_roadmap_column(raw: str | None, stage: Stage | None) -> str | None:
    if not raw:
        return None
    try:
        column = RoadmapColumn(raw)
    except ValueError:
        raise ValidationFailed(
            _("Choose a roadmap column from the list."), field="roadmap_column"
        ) from None
    if stage is not None and stage.has_role(StageRole.LAUNCHED):
        raise ValidationFailed(
            _("The launched stage is always the roadmap's Launched column."),
            field="roadmap_column",
        )
    return column.value


def set_transitions(by: User, allowed: set[tuple[int, int]]) -> None:
    """Replace the workflow with the given (from stage id, to stage id) pairs."""
    _require_admin(by)
    stage_ids = set(db.session.scalars(select(Stage.id)))
    for a, b in allowed:
        if a not in stage_ids or b not in stage_ids or a == b:
            raise ValidationFailed(_("The workflow names an unknown stage."), field="transitions")
    db.session.execute(delete(StageTransition))
    db.session.add_all(StageTransition(from_stage_id=a, to_stage_id=b) for a, b in sorted(allowed))
    db.session.flush()


def add_team(by: User, slug: str, name: str, name_ko: str = "") -> Team:
    """Create a team ideas can be routed to (English and/or Korean name)."""
    _require_admin(by)
    slug = _clean_slug(slug)
    name, name_ko = clean_names(name, name_ko)
    if db.session.scalar(select(Team).where(Team.slug == slug)) is not None:
        raise Conflict(_("A team with this short name exists."), field="slug")
    position = (db.session.scalar(select(func.max(Team.position))) or 0) + 10
    team = Team(slug=slug, name=name, name_ko=name_ko, position=position)
    db.session.add(team)
    db.session.flush()
    return team


def rename(by: User, named: Team | Category, name: str, name_ko: str) -> None:
    """Change a team's or a category's English and Korean names."""
    _require_admin(by)
    named.name, named.name_ko = clean_names(name, name_ko)
    db.session.flush()


def add_team_member(by: User, team: Team, user: User) -> None:
    """Put a staff member on a team (they get its daily e-mail of overdue ideas)."""
    _require_admin(by)
    if not user.is_staff or not user.active:
        raise ValidationFailed(_("Only active staff members can be on a team."), field="user")
    if db.session.get(TeamMember, (team.id, user.id)) is not None:
        raise Conflict(_("%(name)s is on this team already.", name=user.name), field="user")
    db.session.add(TeamMember(team_id=team.id, user_id=user.id))
    db.session.flush()


def remove_team_member(by: User, team: Team, user: User) -> None:
    """Take a member off a team (nothing happens if they were not on it)."""
    _require_admin(by)
    db.session.execute(
        delete(TeamMember).where(TeamMember.team_id == team.id, TeamMember.user_id == user.id)
    )
    db.session.flush()
