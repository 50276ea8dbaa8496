"""Voting through the test client: JSON and plain forms, bad input, closed and hidden ideas."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.ideas import services
from ideaboard.ideas.models import Follow, Vote
from tests.helpers import post
from tests.ideas.helpers import (
    JSON,
    count_rows,
    page_text,
    redirects_to_login,
    sign_in,
    stage_by_slug,
)


def _vote(client, idea_id: int, value, **kwargs):
    return post(client, f"/ideas/{idea_id}/vote", {"value": value}, **kwargs)


def test_vote_as_json_goes_up_changes_to_down_and_is_withdrawn(client, make_user, make_idea):
    voter = make_user()
    idea = make_idea()
    sign_in(client, voter)

    response = _vote(client, idea.id, "1", headers=JSON)
    assert response.status_code == 200
    assert response.get_json() == {"score": 1, "up": 1, "down": 0, "my_vote": 1}
    assert db.session.scalars(select(Vote.value).where(Vote.user_id == voter.id)).all() == [1]

    response = _vote(client, idea.id, "-1", headers=JSON)
    assert response.get_json() == {"score": -1, "up": 0, "down": 1, "my_vote": -1}
    assert db.session.scalars(select(Vote.value).where(Vote.user_id == voter.id)).all() == [-1]

    response = _vote(client, idea.id, "0", headers=JSON)
    assert response.get_json() == {"score": 0, "up": 0, "down": 0, "my_vote": 0}
    assert count_rows(Vote) == 0
    db.session.refresh(idea)
    assert (idea.score, idea.up_count, idea.down_count) == (0, 0, 0)


def test_voting_up_twice_keeps_one_vote(client, make_user, make_idea):
    idea = make_idea()
    sign_in(client, make_user())
    _vote(client, idea.id, "1", headers=JSON)
    response = _vote(client, idea.id, "1", headers=JSON)
    assert response.get_json() == {"score": 1, "up": 1, "down": 0, "my_vote": 1}
    assert count_rows(Vote) == 1


def test_votes_of_two_people_add_up(client, make_user, make_idea):
    idea = make_idea()
    services.cast_vote(make_user(), idea, 1)
    db.session.commit()
    sign_in(client, make_user())
    response = _vote(client, idea.id, "1", headers=JSON)
    assert response.get_json() == {"score": 2, "up": 2, "down": 0, "my_vote": 1}


def test_voting_follows_the_idea(client, make_user, make_idea):
    voter = make_user()
    idea = make_idea()
    sign_in(client, voter)
    _vote(client, idea.id, "1", headers=JSON)
    assert db.session.get(Follow, (voter.id, idea.id)) is not None


@pytest.mark.parametrize("value", ["7", "abc", "", "1.5", "-2", "2", "1e0", None])
def test_vote_with_a_bad_value_is_a_422_json_error_and_stores_nothing(
    client, make_user, make_idea, value
):
    idea = make_idea()
    sign_in(client, make_user())
    data = {} if value is None else {"value": value}
    response = post(client, f"/ideas/{idea.id}/vote", data, headers=JSON)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert error["message"] == "A vote is 1 (up), -1 (down) or 0 (withdraw)."
    assert count_rows(Vote) == 0
    db.session.refresh(idea)
    assert idea.score == 0


def test_vote_from_a_plain_form_redirects_back_to_the_page_it_came_from(
    client, make_user, make_idea
):
    idea = make_idea()
    sign_in(client, make_user())
    response = post(client, f"/ideas/{idea.id}/vote", {"value": "1", "next": "/?sort=top"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/?sort=top"
    assert count_rows(Vote) == 1


def test_vote_from_a_plain_form_without_next_goes_to_the_idea(client, make_user, make_idea):
    idea = make_idea()
    sign_in(client, make_user())
    response = _vote(client, idea.id, "-1")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/ideas/{idea.id}"
    page = page_text(client.get(response.headers["Location"]))
    assert re.search(r'class="vote-down"\s+aria-pressed="true"', page)


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example", "/\\evil.example", "javascript:x"]
)
def test_vote_never_redirects_to_another_site(client, make_user, make_idea, target):
    idea = make_idea()
    sign_in(client, make_user())
    response = post(client, f"/ideas/{idea.id}/vote", {"value": "1", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_vote_with_a_newline_in_next_redirects_to_the_board_not_a_500(client, make_user, make_idea):
    idea = make_idea()
    sign_in(client, make_user())
    response = post(client, f"/ideas/{idea.id}/vote", {"value": "1", "next": "/\r\nX-Injected: 1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_anonymous_vote_redirects_to_login_and_stores_nothing(client, make_idea):
    idea = make_idea()
    response = _vote(client, idea.id, "1")
    assert redirects_to_login(response)
    assert count_rows(Vote) == 0


def test_vote_on_a_closed_stage_is_a_409_json_error(client, make_user, make_idea):
    idea = make_idea()
    idea.stage = stage_by_slug("launched")
    db.session.commit()
    sign_in(client, make_user())
    response = _vote(client, idea.id, "1", headers=JSON)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "voting_closed"
    assert count_rows(Vote) == 0
    page = page_text(client.get(f"/ideas/{idea.id}"))
    assert "Voting is closed for this idea." in page
    assert re.search(r'class="vote-up"[^>]*\sdisabled', page)


def test_vote_without_csrf_token_is_refused_and_stores_nothing(client, make_user, make_idea):
    idea = make_idea()
    sign_in(client, make_user())
    response = client.post(f"/ideas/{idea.id}/vote", data={"value": "1"}, headers=JSON)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"
    assert count_rows(Vote) == 0


def test_vote_on_an_unknown_idea_is_a_404(client, make_user):
    sign_in(client, make_user())
    response = _vote(client, 999_999, "1", headers=JSON)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_vote_on_a_hidden_idea_is_a_404_for_customers(client, make_user, make_idea):
    idea = make_idea()
    idea.hidden_at = utcnow()
    db.session.commit()
    sign_in(client, make_user())
    response = _vote(client, idea.id, "1", headers=JSON)
    assert response.status_code == 404
    assert count_rows(Vote) == 0
