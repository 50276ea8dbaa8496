from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ideaboard.extensions import db
from ideaboard.ideas.models import Idea, Notification
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social import subscribers
from ideaboard.triage import services
from ideaboard.triage.models import StatusChange, Team
from tests.helpers import login, post

# Every staff route, with a form that would succeed for staff.
ROUTES = [
    ("GET", "/staff/", None),
    ("GET", "/staff/ideas/{id}", None),
    ("POST", "/staff/ideas/{id}/stage", {"stage-stage": "under-review", "stage-note": "On it"}),
    ("POST", "/staff/ideas/{id}/assign", {"assign-team": "billing", "assign-assignee": ""}),
    ("POST", "/staff/ideas/{id}/edit", {"edit-title": "A better title", "edit-category": ""}),
    ("POST", "/staff/ideas/{id}/hide", {"hide-reason": "spam"}),
    ("POST", "/staff/ideas/{id}/merge", {"merge-target": "{other}"}),
    ("POST", "/staff/bulk-stage", {"stage": "planned", "note": "Planned", "ideas": "{id}"}),
]


def _request(client, method, path, data, idea, other):
    path = path.format(id=idea.id)
    if method == "GET":
        return client.get(path)
    form = {k: v.format(id=idea.id, other=other.id) for k, v in (data or {}).items()}
    return post(client, path, form)


@pytest.mark.parametrize(("method", "path", "data"), ROUTES)
def test_anonymous_visitors_are_sent_to_log_in(client, make_idea, method, path, data):
    idea, other = make_idea(), make_idea()
    response = _request(client, method, path, data, idea, other)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(StatusChange)) == 0


@pytest.mark.parametrize(("method", "path", "data"), ROUTES)
def test_customers_get_403_and_change_nothing(client, make_user, make_idea, method, path, data):
    idea, other = make_idea(), make_idea()
    login(client, make_user())
    response = _request(client, method, path, data, idea, other)
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).title.startswith("Idea number")
    assert db.session.get(Idea, idea.id).hidden_at is None


@pytest.mark.parametrize("role", ["staff", "admin"])
@pytest.mark.parametrize(("method", "path", "data"), ROUTES)
def test_staff_and_admins_may_use_every_route(
    client, make_user, make_idea, role, method, path, data
):
    idea, other = make_idea(), make_idea()
    login(client, make_user(role))
    response = _request(client, method, path, data, idea, other)
    assert response.status_code == (200 if method == "GET" else 302), response.get_data(True)


def test_stage_change_from_the_staff_page_shows_on_the_idea_page(client, make_user, make_idea):
    author = make_user()
    idea = make_idea(author, title="Dark mode for the app")
    staff = make_user("staff", name="Kim Gayoung", initials="KG")
    login(client, staff)
    response = post(
        client,
        f"/staff/ideas/{idea.id}/stage",
        {"stage-stage": "under-review", "stage-note": "We are **looking** at it."},
    )
    assert response.status_code == 302
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Under Review" in page
    assert "<strong>looking</strong>" in page
    assert "Kim Gayoung (KG)" in page
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1


def test_disallowed_stage_change_is_refused_with_a_form_error(client, make_user, make_idea):
    idea = make_idea()
    login(client, make_user("staff"))
    response = post(
        client, f"/staff/ideas/{idea.id}/stage", {"stage-stage": "launched", "stage-note": "x"}
    )
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(StatusChange)) == 0


def test_stage_change_without_a_note_is_refused(client, make_user, make_idea):
    idea = make_idea()
    login(client, make_user("staff"))
    response = post(
        client, f"/staff/ideas/{idea.id}/stage", {"stage-stage": "under-review", "stage-note": " "}
    )
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(StatusChange)) == 0


def test_stage_change_without_csrf_is_refused(client, make_user, make_idea):
    idea = make_idea()
    login(client, make_user("staff"))
    response = client.post(
        f"/staff/ideas/{idea.id}/stage",
        data={"stage-stage": "under-review", "stage-note": "On it"},
    )
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(StatusChange)) == 0


def test_failure_inside_a_stage_change_request_commits_nothing(
    client, make_user, make_idea, monkeypatch
):
    follower = make_user()
    idea = make_idea(follower)
    login(client, make_user("staff"))

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(subscribers, "enqueue_stage_echo", explode)
    response = post(
        client, f"/staff/ideas/{idea.id}/stage", {"stage-stage": "under-review", "stage-note": "x"}
    )
    assert response.status_code == 500
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).stage.slug == "new"
    for model in (StatusChange, Notification, OutboxMessage):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0


def test_inbox_lists_new_ideas_oldest_first_and_marks_overdue(client, make_user, make_idea):
    from datetime import timedelta

    from ideaboard.database import utcnow

    old = make_idea(title="Old waiting idea")
    make_idea(title="Fresh idea here")
    old.created_at = utcnow() - timedelta(hours=30)
    answered = make_idea(title="Answered idea")
    staff = make_user("staff")
    services.change_stage(answered, services.find_stage("under-review"), "Yes", staff)
    db.session.commit()
    login(client, staff)
    page = client.get("/staff/").get_data(as_text=True)
    assert page.index("Old waiting idea") < page.index("Fresh idea here")
    assert "Answered idea" not in page
    assert page.count("overdue-badge") == 1
    under_review = client.get("/staff/?stage=under-review").get_data(as_text=True)
    assert "Answered idea" in under_review
    assert client.get("/staff/?stage=nope").status_code == 400


def test_inbox_queues_assigned_to_me_and_per_team(client, make_user, make_idea):
    staff = make_user("staff")
    mine, theirs = make_idea(title="Mine to answer"), make_idea(title="Billing question")
    billing = db.session.scalar(select(Team).where(Team.slug == "billing"))
    services.assign_idea(mine, staff, team=None, assignee=staff)
    services.assign_idea(theirs, staff, team=billing, assignee=None)
    db.session.commit()
    login(client, staff)
    me = client.get("/staff/?stage=&assignee=me").get_data(as_text=True)
    assert "Mine to answer" in me
    assert "Billing question" not in me
    team = client.get("/staff/?stage=&team=billing").get_data(as_text=True)
    assert "Billing question" in team
    assert "Mine to answer" not in team


def test_hidden_idea_vanishes_from_public_lists_and_stays_for_staff(client, make_user, make_idea):
    idea = make_idea(title="Buy cheap watches")
    staff = make_user("staff")
    login(client, staff)
    assert post(client, f"/staff/ideas/{idea.id}/hide", {"hide-reason": "spam"}).status_code == 302
    assert client.get(f"/ideas/{idea.id}").status_code == 200  # staff still see it
    assert "Buy cheap watches" in client.get("/staff/?stage=&hidden=1").get_data(as_text=True)
    anonymous = client.application.test_client()
    assert anonymous.get(f"/ideas/{idea.id}").status_code == 404
    assert "Buy cheap watches" not in anonymous.get("/?sort=new").get_data(as_text=True)
    assert post(client, f"/staff/ideas/{idea.id}/restore").status_code == 302
    assert anonymous.get(f"/ideas/{idea.id}").status_code == 200


def test_bulk_stage_change_moves_the_selected_ideas(client, make_user, make_idea):
    a, b, c = make_idea(), make_idea(), make_idea()
    login(client, make_user("staff"))
    response = client.post(
        "/staff/bulk-stage",
        data={
            "stage": "planned",
            "note": "All planned for Q3",
            "ideas": [str(a.id), str(b.id)],
            "csrf_token": _token(client),
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert [db.session.get(Idea, i.id).stage.slug for i in (a, b, c)] == [
        "planned",
        "planned",
        "new",
    ]


def test_merge_from_the_staff_page_moves_votes(client, make_user, make_idea):
    from ideaboard.ideas.services import cast_vote

    duplicate, target = make_idea(), make_idea()
    cast_vote(make_user(), duplicate, 1)
    db.session.commit()
    login(client, make_user("staff"))
    response = post(client, f"/staff/ideas/{duplicate.id}/merge", {"merge-target": str(target.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Idea, target.id).score == 1
    assert db.session.get(Idea, duplicate.id).stage.slug == "duplicate"
    missing = post(client, f"/staff/ideas/{duplicate.id}/merge", {"merge-target": "999999"})
    assert missing.status_code == 422


def _token(client) -> str:
    from tests.helpers import csrf_token

    return csrf_token(client)


def test_huge_idea_numbers_in_staff_forms_are_refused_not_500(client, make_user, make_idea):
    idea = make_idea()
    login(client, make_user("staff"))
    merge = post(client, f"/staff/ideas/{idea.id}/merge", {"merge-target": "99999999999"})
    assert merge.status_code == 422
    bulk = post(
        client, "/staff/bulk-stage", {"stage": "planned", "note": "x", "ideas": "99999999999"}
    )
    assert bulk.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(StatusChange)) == 0
