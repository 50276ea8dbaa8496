"""Every documented error is JSON with the right status; never HTML, never a 500 for bad input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from ideaboard.accounts.models import Role, User
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.triage.services import change_stage, find_stage
from tests.api.helpers import call


@pytest.fixture
def customer(headers_for: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return headers_for("customer")


@pytest.mark.parametrize(
    ("data", "content_type", "code"),
    [
        ('{"title": "Broken', "application/json", "invalid_json"),
        ('{"title": NaN}', "application/json", "invalid_json"),
        ('{"title": "\\ud800 lone surrogate"}', "application/json", "invalid_json"),
        (b'{"title": "\xff\xfe"}', "application/json", "invalid_json"),
        ("", "application/json", "invalid_json"),
        ("title=Form+post", "application/x-www-form-urlencoded", "wrong_content_type"),
        ('{"title": "No type"}', "text/plain", "wrong_content_type"),
    ],
)
def test_body_that_is_not_json_is_400(
    client: FlaskClient, customer: dict[str, str], data: Any, content_type: str, code: str
) -> None:
    response = client.post("/api/v1/ideas", data=data, content_type=content_type, headers=customer)
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]["code"] == code


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"title"}),
        ({"title": 5}, {"title"}),
        ({"title": "ok title", "extra": 1}, {"extra"}),
        ({"title": "abc"}, {"title"}),  # the service counts 5–140 after normalisation
        ({"title": "Fine title", "category": "no-such-category"}, {"category"}),
        ({"title": "Bad\x00title"}, {"title"}),
        ({"title": "Bell\x07 title"}, {"title"}),
        ([1, 2], {"$"}),
    ],
)
def test_invalid_idea_is_422_per_field(
    client: FlaskClient, customer: dict[str, str], body: Any, fields: set[str]
) -> None:
    response = call(client, "POST", "/api/v1/ideas", body, customer)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] in ("validation_failed", "invalid")
    assert set(error["fields"]) == fields


@pytest.mark.parametrize(
    "query",
    [
        "sort=best",
        "limit=0",
        "limit=101",
        "limit=many",
        "stage=Not_A_Slug",
        "stage=nowhere",
        "category=nowhere",
        "cursor=!!!",
        "cursor=abc",
        "sort=new&sort=top",
        "q=%00",
    ],
)
def test_invalid_list_parameters_are_422(client: FlaskClient, query: str) -> None:
    response = call(client, "GET", f"/api/v1/ideas?{query}")
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]


@pytest.mark.parametrize("value", [2, -2, "1", True, 1.5, None])
def test_invalid_vote_is_422(
    client: FlaskClient, make_idea: Callable[..., Idea], customer: dict[str, str], value: Any
) -> None:
    idea = make_idea()
    response = call(client, "PUT", f"/api/v1/ideas/{idea.id}/vote", {"value": value}, customer)
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["value"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/ideas/999999",
        "/api/v1/ideas/0",
        "/api/v1/ideas/99999999999999999999999",
        "/api/v1/ideas/abc",
        "/api/v1/ideas/999999/comments",
        "/api/v1/ideas/999999/status-changes",
        "/api/v1/nothing-here",
        "/api/v2/ideas",
        "/api/",
    ],
)
def test_unknown_things_are_404_json(client: FlaskClient, path: str) -> None:
    response = call(client, "GET", path)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/api/v1/ideas", {"GET", "POST"}),
        ("PATCH", "/api/v1/ideas/1", {"GET"}),
        ("GET", "/api/v1/ideas/1/vote", {"PUT"}),
        ("PUT", "/api/v1/tokens", {"POST"}),
    ],
)
def test_wrong_method_is_405_json_with_allow(
    client: FlaskClient, make_idea: Callable[..., Idea], method: str, path: str, allow: set[str]
) -> None:
    make_idea()
    response = call(client, method, path)
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert allow <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_vote_on_a_closed_idea_is_409(
    client: FlaskClient,
    make_idea: Callable[..., Idea],
    make_user: Callable[..., User],
    customer: dict[str, str],
) -> None:
    idea = make_idea()
    change_stage(idea, find_stage("declined"), "Not for now", make_user(Role.STAFF))
    db.session.commit()
    response = call(client, "PUT", f"/api/v1/ideas/{idea.id}/vote", {"value": 1}, customer)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "voting_closed"


def test_disallowed_transition_is_409_and_same_stage_422(
    client: FlaskClient,
    make_idea: Callable[..., Idea],
    headers_for: Callable[[str], dict[str, str]],
) -> None:
    idea = make_idea()
    staff = headers_for("staff")
    path = f"/api/v1/ideas/{idea.id}/status"
    jump = call(client, "POST", path, {"stage": "launched", "note": "Done!"}, staff)
    assert jump.status_code == 409
    assert jump.get_json()["error"]["fields"] == {"stage": [jump.get_json()["error"]["message"]]}
    same = call(client, "POST", path, {"stage": "new", "note": "Still new"}, staff)
    assert same.status_code == 422
    assert "stage" in same.get_json()["error"]["fields"]
    unknown = call(client, "POST", path, {"stage": "nowhere", "note": "?"}, staff)
    assert unknown.status_code == 422
    assert "stage" in unknown.get_json()["error"]["fields"]
    blank = call(client, "POST", path, {"stage": "under-review", "note": "   "}, staff)
    assert blank.status_code == 422
    assert "note" in blank.get_json()["error"]["fields"]


def test_customer_comment_on_hidden_idea_is_404(
    client: FlaskClient, make_idea: Callable[..., Idea], customer: dict[str, str]
) -> None:
    from ideaboard.database import utcnow

    idea = make_idea()
    idea.hidden_at = utcnow()
    db.session.commit()
    response = call(client, "POST", f"/api/v1/ideas/{idea.id}/comments", {"body": "Hi"}, customer)
    assert response.status_code == 404


def test_unexpected_failure_is_a_json_500(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ideaboard.api import views

    def boom(**_kwargs: Any) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(views.queries, "list_ideas", boom)
    response = call(client, "GET", "/api/v1/ideas")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
