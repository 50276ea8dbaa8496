from __future__ import annotations

import pytest
from sqlalchemy import select

from ideaboard.errors import Conflict, PermissionDenied, ValidationFailed
from ideaboard.extensions import db
from ideaboard.triage import services, workflow
from ideaboard.triage.models import Stage, StageTransition, Team
from tests.helpers import csrf_token, login, post


def test_admin_adds_a_stage_and_allows_moves_into_it(app, make_user, make_idea):
    admin, staff = make_user("admin"), make_user("staff")
    partial = workflow.save_stage(
        admin, stage=None, slug="partially-launched", name="Partially Launched",
        color="#0f766e", is_open=False, is_public=True, position=45,
    )  # fmt: skip
    in_progress = services.find_stage("in-progress")
    pairs = set(
        db.session.execute(select(StageTransition.from_stage_id, StageTransition.to_stage_id))
    )
    workflow.set_transitions(admin, pairs | {(in_progress.id, partial.id)})
    db.session.commit()
    idea = make_idea()
    for slug in ("under-review", "in-progress", "partially-launched"):
        services.change_stage(idea, services.find_stage(slug), slug, staff)
    db.session.commit()
    assert idea.stage.name == "Partially Launched"
    assert not idea.voting_open


def test_admin_renames_a_stage_but_its_slug_stays(app, make_user):
    admin = make_user("admin")
    stage = services.find_stage("planned")
    workflow.save_stage(
        admin, stage=stage, slug="ignored", name="On the roadmap", color="#7C3AED",
        is_open=True, is_public=True, position=30,
    )  # fmt: skip
    db.session.commit()
    assert (stage.slug, stage.name, stage.color) == ("planned", "On the roadmap", "#7c3aed")


@pytest.mark.parametrize(
    ("slug", "name", "color", "error"),
    [
        ("Bad Slug", "Name", "#000000", ValidationFailed),
        ("x", "Name", "#000000", ValidationFailed),
        ("ok-slug", "", "#000000", ValidationFailed),
        ("ok-slug", "Name", "red", ValidationFailed),
        ("new", "Name", "#000000", Conflict),
    ],
)
def test_save_stage_refuses_bad_input(app, make_user, slug, name, color, error):
    with pytest.raises(error):
        workflow.save_stage(
            make_user("admin"), stage=None, slug=slug, name=name, color=color,
            is_open=True, is_public=True, position=1,
        )  # fmt: skip


def test_only_admins_change_the_workflow(app, make_user):
    staff = make_user("staff")
    with pytest.raises(PermissionDenied):
        workflow.set_transitions(staff, set())
    with pytest.raises(PermissionDenied):
        workflow.add_team(staff, "legal", "Legal")


def test_add_team(app, make_user):
    workflow.add_team(make_user("admin"), "legal", "Legal")
    db.session.commit()
    assert db.session.scalar(select(Team.name).where(Team.slug == "legal")) == "Legal"
    with pytest.raises(Conflict):
        workflow.add_team(make_user("admin"), "legal", "Legal again")


@pytest.mark.parametrize(
    ("role", "status"), [(None, 302), ("customer", 403), ("staff", 403), ("admin", 200)]
)
def test_workflow_page_is_for_admins(client, make_user, role, status):
    if role:
        login(client, make_user(role))
    assert client.get("/staff/workflow").status_code == status


def test_admin_saves_transitions_and_adds_a_team_through_the_page(client, make_user):
    login(client, make_user("admin"))
    new, planned = services.find_stage("new"), services.find_stage("planned")
    response = client.post(
        "/staff/workflow/transitions",
        data={"allow": [f"{new.id}-{planned.id}"], "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302
    assert db.session.execute(
        select(StageTransition.from_stage_id, StageTransition.to_stage_id)
    ).all() == [(new.id, planned.id)]
    assert (
        post(
            client, "/staff/workflow/teams", {"team-slug": "legal", "team-name": "Legal"}
        ).status_code
        == 302
    )
    bad = post(
        client,
        "/staff/workflow/stages",
        {"new-slug": "Bad Slug", "new-name": "X", "new-color": "#000000"},
    )
    assert bad.status_code == 422
    assert "lowercase letters" in bad.get_data(as_text=True)
    assert db.session.scalar(select(Stage).where(Stage.name == "X")) is None


@pytest.mark.parametrize(
    ("color", "text"),
    [
        ("#047857", "#ffffff"),
        ("#b91c1c", "#ffffff"),
        ("#fde68a", "#111111"),
        ("#ffffff", "#111111"),
    ],
)
def test_stage_badge_text_colour_follows_the_background(app, color, text):
    assert Stage(slug="x", name="X", color=color).text_color == text
