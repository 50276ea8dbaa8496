"""Walking every page of the board visits each idea exactly once, for every sort and filter."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from ideaboard.accounts.models import Role, User
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.ideas.services import cast_vote
from ideaboard.triage.services import change_stage, find_stage
from tests.api.helpers import call


@pytest.fixture
def board(make_user: Callable[..., User], make_idea: Callable[..., Idea]) -> list[Idea]:
    """23 ideas with tied and untied scores, some under review."""
    rng = random.Random(4)  # noqa: S311 - test data, not secrets
    voters = [make_user() for _ in range(4)]
    staff = make_user(Role.STAFF)
    ideas = [
        make_idea(title=f"Paged idea {n}", category="app" if n % 3 else None) for n in range(23)
    ]
    for idea in ideas:
        for voter in rng.sample(voters, rng.randint(0, 3)):
            cast_vote(voter, idea, rng.choice([1, 1, -1]))
    for idea in ideas[::4]:
        change_stage(idea, find_stage("under-review"), "Looking", staff)
    db.session.commit()
    return ideas


def _walk(client: FlaskClient, query: str) -> list[int]:
    seen: list[int] = []
    cursor = ""
    for _ in range(50):
        page = call(client, "GET", f"/api/v1/ideas?limit=4&{query}{cursor}").get_json()
        seen += [idea["id"] for idea in page["items"]]
        if page["next_cursor"] is None:
            return seen
        cursor = f"&cursor={page['next_cursor']}"
    raise AssertionError("paging did not end")


@pytest.mark.parametrize("sort", ["trending", "top", "new"])
@pytest.mark.parametrize("filters", ["", "stage=under-review", "category=app", "q=Paged"])
def test_walking_all_pages_visits_each_idea_once(
    client: FlaskClient, board: list[Idea], sort: str, filters: str
) -> None:
    seen = _walk(client, f"sort={sort}&{filters}&")
    assert len(seen) == len(set(seen))
    expected = {
        idea.id
        for idea in board
        if (filters != "stage=under-review" or idea.stage.slug == "under-review")
        and (filters != "category=app" or idea.category is not None)
    }
    assert set(seen) == expected
    ordered = call(client, "GET", f"/api/v1/ideas?limit=100&sort={sort}&{filters}").get_json()
    assert [idea["id"] for idea in ordered["items"]] == seen


def test_new_ideas_do_not_shift_later_pages(
    client: FlaskClient, board: list[Idea], make_idea: Callable[..., Idea]
) -> None:
    first = call(client, "GET", "/api/v1/ideas?sort=new&limit=5").get_json()
    make_idea(title="Arrived while paging")
    second = call(
        client, "GET", f"/api/v1/ideas?sort=new&limit=5&cursor={first['next_cursor']}"
    ).get_json()
    ids = [i["id"] for i in first["items"]] + [i["id"] for i in second["items"]]
    assert ids == sorted((idea.id for idea in board), reverse=True)[:10]
