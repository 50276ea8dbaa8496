"""Blocking: a blocked customer reads but cannot submit, vote, comment or follow, anywhere."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ideaboard.accounts import blocking
from ideaboard.accounts.models import User
from ideaboard.api import services as api_services
from ideaboard.errors import Conflict, PermissionDenied, ValidationFailed
from ideaboard.extensions import db
from ideaboard.ideas import services
from ideaboard.ideas.models import Comment, Follow, Idea, Vote
from tests.helpers import login, post

REASON = "스팸 링크를 반복해서 올렸습니다 (spam links)"


def _count(model) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)))


@pytest.fixture
def staff(make_user):
    return make_user("staff", name="Sam Staff")


@pytest.fixture
def blocked(make_user, staff):
    person = make_user(name="Bora Blocked", email="bora@example.com")
    blocking.block_user(person, staff, REASON)
    db.session.commit()
    return person


# --- who may block whom ---------------------------------------------------------------------


def test_staff_block_a_customer_with_the_reason_and_who(make_user, staff):
    person = make_user()
    blocking.block_user(person, staff, "  Abuse in comments  ")
    db.session.commit()
    db.session.expire_all()
    person = db.session.get(User, person.id)
    assert person.blocked_at is not None
    assert person.blocked_reason == "Abuse in comments"
    assert person.blocked_by_id == staff.id


@pytest.mark.parametrize(("by_role", "target_role"), [
    ("staff", "staff"), ("staff", "admin"), ("admin", "staff"), ("admin", "admin"),
])  # fmt: skip
def test_nobody_blocks_staff_or_admins(make_user, by_role, target_role):
    by, target = make_user(by_role), make_user(target_role)
    with pytest.raises(PermissionDenied):
        blocking.block_user(target, by, "no")
    assert target.blocked_at is None


def test_nobody_blocks_themselves_and_customers_block_nobody(make_user, staff):
    with pytest.raises(PermissionDenied, match="yourself"):
        blocking.block_user(staff, staff, "no")
    customer, other = make_user(), make_user()
    with pytest.raises(PermissionDenied):
        blocking.block_user(other, customer, "no")
    assert other.blocked_at is None


@pytest.mark.parametrize("reason", ["", "   ", "x" * 301, "\x00bad"])
def test_the_reason_is_required_and_bounded(make_user, staff, reason):
    person = make_user()
    with pytest.raises(ValidationFailed) as raised:
        blocking.block_user(person, staff, reason)
    assert raised.value.field == "reason"
    db.session.rollback()
    assert db.session.get(User, person.id).blocked_at is None


def test_a_reason_of_300_korean_letters_fits(make_user, staff):
    person = make_user()
    blocking.block_user(person, staff, "가" * 300)
    db.session.commit()
    assert db.session.get(User, person.id).blocked_reason == "가" * 300


def test_blocking_twice_is_a_conflict_and_unblocking_clears_everything(blocked, staff):
    with pytest.raises(Conflict):
        blocking.block_user(blocked, staff, "again")
    blocking.unblock_user(blocked, staff)
    db.session.commit()
    assert (blocked.blocked_at, blocked.blocked_reason, blocked.blocked_by_id) == (None, None, None)
    with pytest.raises(Conflict):
        blocking.unblock_user(blocked, staff)


# --- the services: the one rule every write path asks ---------------------------------------


def test_every_service_write_refuses_a_blocked_user_with_the_reason(blocked, make_idea):
    idea = make_idea()
    attempts = [
        lambda: services.submit_idea(blocked, "A perfectly fine title"),
        lambda: services.cast_vote(blocked, idea, 1),
        lambda: services.cast_vote(blocked, idea, 0),
        lambda: services.add_comment(blocked, idea, "Hello there"),
        lambda: services.follow_idea(blocked, idea),
    ]
    before = (_count(Idea), _count(Vote), _count(Comment), _count(Follow))
    for attempt in attempts:
        with pytest.raises(blocking.UserBlocked) as raised:
            attempt()
        assert raised.value.status == 403
        assert raised.value.code == "user_blocked"
        assert REASON in raised.value.message
        db.session.rollback()
    assert (_count(Idea), _count(Vote), _count(Comment), _count(Follow)) == before


def test_a_blocked_user_may_still_unfollow_and_keeps_what_they_wrote(make_user, staff, make_idea):
    person = make_user()
    idea = make_idea(person, title="Written before the block")
    services.add_comment(person, idea, "My earlier comment")
    db.session.commit()
    blocking.block_user(person, staff, "spam")
    db.session.commit()
    assert services.unfollow_idea(person, idea) is True
    db.session.commit()
    assert db.session.get(Idea, idea.id).author_id == person.id
    assert _count(Comment) == 1


def test_unblocked_users_post_again(blocked, staff, make_idea):
    blocking.unblock_user(blocked, staff)
    db.session.commit()
    idea = services.submit_idea(blocked, "Back with a good idea")
    services.cast_vote(blocked, make_idea(), 1)
    db.session.commit()
    assert idea.id is not None


# --- the pages ------------------------------------------------------------------------------


def test_submit_page_says_why_before_typing_and_refuses_with_403_keeping_the_text(client, blocked):
    login(client, blocked)
    page = client.get("/ideas/new")
    assert page.status_code == 200
    assert REASON in page.get_data(as_text=True)
    response = post(client, "/ideas/new", {"title": "Typed with care", "body": "Long text"})
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert REASON in html
    assert 'value="Typed with care"' in html
    assert _count(Idea) == 0


def test_an_invalid_form_from_a_blocked_user_is_403_with_the_reason(client, blocked, make_idea):
    idea = make_idea()
    login(client, blocked)
    response = post(client, "/ideas/new", {"title": ""})
    assert response.status_code == 403
    assert REASON in response.get_data(as_text=True)
    empty_comment = post(client, f"/ideas/{idea.id}/comments", {"body": ""})
    assert empty_comment.status_code == 403
    assert REASON in empty_comment.get_data(as_text=True)


def test_vote_comment_and_follow_pages_refuse_with_403_and_the_reason(client, blocked, make_idea):
    idea = make_idea()
    login(client, blocked)
    vote = post(client, f"/ideas/{idea.id}/vote", {"value": "1"})
    assert vote.status_code == 403
    assert REASON in vote.get_data(as_text=True)
    scripted = post(
        client, f"/ideas/{idea.id}/vote", {"value": "1"}, headers={"X-Requested-With": "fetch"}
    )
    assert scripted.status_code == 403
    assert scripted.get_json()["error"]["code"] == "user_blocked"
    assert REASON in scripted.get_json()["error"]["message"]
    comment = post(client, f"/ideas/{idea.id}/comments", {"body": "Let me in"})
    html = comment.get_data(as_text=True)
    assert comment.status_code == 403
    assert REASON in html
    assert "Let me in" in html
    follow = post(client, f"/ideas/{idea.id}/follow")
    assert follow.status_code == 403
    assert REASON in follow.get_data(as_text=True)
    assert (_count(Vote), _count(Comment)) == (0, 0)
    assert _count(Follow) == 1  # the author's own follow only
    assert client.get(f"/ideas/{idea.id}").status_code == 200  # reading still works
    assert client.get("/").status_code == 200


# --- the API --------------------------------------------------------------------------------


def test_a_blocked_users_api_token_keeps_read_access_only(client, blocked, make_idea):
    idea = make_idea()
    token, secret = api_services.issue_token(blocked)
    db.session.commit()
    auth = {"Authorization": f"Bearer {secret}"}
    writes = [
        ("POST", "/api/v1/ideas", {"title": "From a script", "body": ""}),
        ("PUT", f"/api/v1/ideas/{idea.id}/vote", {"value": 1}),
        ("POST", f"/api/v1/ideas/{idea.id}/comments", {"body": "From a script"}),
    ]
    for method, path, body in writes:
        response = client.open(path, method=method, json=body, headers=auth)
        assert response.status_code == 403, (path, response.get_data(as_text=True))
        error = response.get_json()["error"]
        assert error["code"] == "user_blocked"
        assert REASON in error["message"]
    assert (_count(Idea), _count(Vote), _count(Comment)) == (1, 0, 0)
    assert client.get("/api/v1/ideas", headers=auth).status_code == 200
    assert client.get(f"/api/v1/ideas/{idea.id}/comments", headers=auth).status_code == 200


def test_the_api_documents_403_on_every_write_a_customer_can_make(client):
    document = client.get("/api/v1/openapi.json").get_json()
    for path, method in [
        ("/api/v1/ideas", "post"),
        ("/api/v1/ideas/{idea_id}/vote", "put"),
        ("/api/v1/ideas/{idea_id}/comments", "post"),
    ]:
        responses = document["paths"][path.removeprefix("/api/v1")][method]["responses"]
        assert "403" in responses, (path, sorted(responses))


def test_a_blocked_author_may_delete_but_not_rewrite_their_idea_and_comment(
    make_user, staff, make_idea
):
    """Editing one's idea or comment posts new text, so a block stops it; deleting what one
    wrote stays possible (their data, their choice)."""
    person = make_user()
    idea = make_idea(person, title="Written before the block")
    comment = services.add_comment(person, idea, "My earlier comment")
    db.session.commit()
    blocking.block_user(person, staff, REASON)
    db.session.commit()
    with pytest.raises(blocking.UserBlocked):
        services.edit_own_idea(
            person, idea, title="Rewritten after the block", body="", category_slug=None
        )
    db.session.rollback()
    with pytest.raises(blocking.UserBlocked):
        services.edit_comment(person, comment, "Rewritten after the block")
    db.session.rollback()
    assert db.session.get(Idea, idea.id).title == "Written before the block"
    assert db.session.get(Comment, comment.id).body == "My earlier comment"
    services.delete_comment(person, comment)
    services.delete_own_idea(person, idea)
    db.session.commit()
    assert db.session.get(Idea, idea.id) is None
