"""Team membership: admins put staff on teams and take them off on the workflow page; staff
see their own teams in the inbox (their members get the team's daily e-mail of overdue ideas)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from ideaboard.errors import Conflict, PermissionDenied, ValidationFailed
from ideaboard.extensions import db
from ideaboard.triage import queries, workflow
from ideaboard.triage.models import Team, TeamMember
from tests.helpers import UserBuilder, login, post


def team(slug: str) -> Team:
    found = db.session.scalar(select(Team).where(Team.slug == slug))
    assert found is not None
    return found


def member_ids(of: Team) -> set[int]:
    return set(db.session.scalars(select(TeamMember.user_id).where(TeamMember.team_id == of.id)))


def test_admin_puts_staff_on_a_team_and_takes_them_off(
    app: Flask, client: FlaskClient, make_user: UserBuilder
) -> None:
    admin = make_user("admin", name="Admin")
    kim = make_user("staff", name="Kim Gayoung")
    billing = team("billing")
    login(client, admin)
    page = client.get("/staff/workflow").get_data(as_text=True)
    assert "No members yet." in page
    assert f'<option value="{kim.id}">Kim Gayoung</option>' in page

    response = post(
        client, f"/staff/workflow/teams/{billing.id}/members", {f"m{billing.id}-user": kim.id}
    )
    assert response.status_code == 302
    assert member_ids(billing) == {kim.id}
    page = client.get("/staff/workflow").get_data(as_text=True)
    assert "Kim Gayoung is on the team Billing now." in page
    assert f"/staff/workflow/teams/{billing.id}/members/{kim.id}/remove" in page

    # Not twice: Kim is no longer offered, and a forged choice is a form error.
    again = post(
        client, f"/staff/workflow/teams/{billing.id}/members", {f"m{billing.id}-user": kim.id}
    )
    assert again.status_code == 422
    assert member_ids(billing) == {kim.id}

    removed = post(client, f"/staff/workflow/teams/{billing.id}/members/{kim.id}/remove")
    assert removed.status_code == 302
    assert member_ids(billing) == set()


def test_customers_cannot_be_put_on_a_team(
    app: Flask, client: FlaskClient, make_user: UserBuilder
) -> None:
    admin, customer = make_user("admin"), make_user(name="A Customer")
    billing = team("billing")
    login(client, admin)
    assert "A Customer" not in client.get("/staff/workflow").get_data(as_text=True)
    response = post(
        client, f"/staff/workflow/teams/{billing.id}/members", {f"m{billing.id}-user": customer.id}
    )
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)
    for bad in ("", "abc", "99999999999999999999"):
        answer = post(
            client, f"/staff/workflow/teams/{billing.id}/members", {f"m{billing.id}-user": bad}
        )
        assert answer.status_code == 422
    assert member_ids(billing) == set()
    assert post(client, "/staff/workflow/teams/999999/members", {}).status_code == 404


def test_only_admins_change_teams(app: Flask, client: FlaskClient, make_user: UserBuilder) -> None:
    staff, other = make_user("staff"), make_user("staff")
    billing = team("billing")
    login(client, staff)
    response = post(
        client, f"/staff/workflow/teams/{billing.id}/members", {f"m{billing.id}-user": other.id}
    )
    assert response.status_code == 403
    assert member_ids(billing) == set()
    with pytest.raises(PermissionDenied):
        workflow.add_team_member(staff, billing, other)


def test_the_rules_refuse_customers_the_inactive_and_doubles(
    app: Flask, make_user: UserBuilder
) -> None:
    admin, kim, customer = make_user("admin"), make_user("staff"), make_user()
    left = make_user("staff")
    left.active = False
    billing = team("billing")
    for who in (customer, left):
        with pytest.raises(ValidationFailed):
            workflow.add_team_member(admin, billing, who)
    workflow.add_team_member(admin, billing, kim)
    with pytest.raises(Conflict):
        workflow.add_team_member(admin, billing, kim)
    workflow.remove_team_member(admin, billing, customer)  # not on it: nothing happens
    db.session.commit()
    assert member_ids(billing) == {kim.id}
    assert queries.team_members() == {billing.id: [kim]}


def test_staff_see_their_teams_in_the_inbox(
    app: Flask, client: FlaskClient, make_user: UserBuilder
) -> None:
    admin, kim = make_user("admin"), make_user("staff")
    for slug in ("billing", "support"):
        workflow.add_team_member(admin, team(slug), kim)
    db.session.commit()
    assert [t.slug for t in queries.teams_of(kim)] == ["support", "billing"]
    login(client, kim)
    page = client.get("/staff/").get_data(as_text=True)
    assert "Your teams: Support, Billing." in page
    other = app.test_client()
    login(other, admin)
    assert "Your teams:" not in other.get("/staff/").get_data(as_text=True)
