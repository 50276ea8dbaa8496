"""POST /api/v1/ideas/{id}/merge (issue 15): staff merge a duplicate into the idea it repeats."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.ideas.services import cast_vote
from tests.api.helpers import call

Headers = Callable[[str], dict[str, str]]


def merge(client: FlaskClient, idea_id: int, body: Any, headers: dict[str, str]) -> Any:
    return call(client, "POST", f"/api/v1/ideas/{idea_id}/merge", body, headers)


def test_staff_merge_answers_201_with_the_duplicates_status_change(
    client: FlaskClient,
    make_user: Callable[..., Any],
    make_idea: Callable[..., Idea],
    headers_for: Headers,
) -> None:
    duplicate, target = make_idea(title="Night theme"), make_idea(title="Dark mode")
    voter = make_user()
    cast_vote(voter, duplicate, 1)
    db.session.commit()

    response = merge(
        client,
        duplicate.id,
        {"into": target.id, "note": "Same as dark mode."},
        headers_for("staff"),
    )

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["idea_id"], body["to_stage"], body["note"]) == (
        duplicate.id, "duplicate", "Same as dark mode.",
    )  # fmt: skip
    assert body["from_stage"] == "new"
    db.session.expire_all()
    assert db.session.get(Idea, duplicate.id).merged_into_id == target.id
    assert (
        db.session.get(Idea, target.id).up_count,
        db.session.get(Idea, duplicate.id).up_count,
    ) == (1, 0)
    # Without a note, the duplicate's note links the target.
    other = make_idea(title="Black background")
    default = merge(client, other.id, {"into": target.id}, headers_for("admin"))
    assert default.status_code == 201
    assert f"/ideas/{target.id}" in default.get_json()["note"]


@pytest.mark.parametrize("which", ["path", "into"])
def test_unknown_idea_is_404(
    client: FlaskClient, make_idea: Callable[..., Idea], headers_for: Headers, which: str
) -> None:
    idea = make_idea()
    path_id, into = (999_999, idea.id) if which == "path" else (idea.id, 999_999)
    response = merge(client, path_id, {"into": into}, headers_for("staff"))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).merged_into_id is None


def test_same_idea_already_merged_and_merged_target_are_409(
    client: FlaskClient, make_idea: Callable[..., Idea], headers_for: Headers
) -> None:
    a, b, c = make_idea(), make_idea(), make_idea()
    staff = headers_for("staff")
    same = merge(client, a.id, {"into": a.id}, staff)
    assert (same.status_code, same.get_json()["error"]["code"]) == (409, "conflict")
    assert merge(client, a.id, {"into": b.id}, staff).status_code == 201
    again = merge(client, a.id, {"into": c.id}, staff)
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "conflict")
    into_duplicate = merge(client, c.id, {"into": a.id}, staff)
    assert into_duplicate.status_code == 409
    db.session.expire_all()
    assert db.session.get(Idea, c.id).merged_into_id is None


@pytest.mark.parametrize(
    "body",
    [{}, {"into": "2"}, {"into": 0}, {"into": 2**31}, {"into": 2, "extra": 1},
     {"into": 2, "note": 5}, {"into": 2, "note": "\u200b"}, [2]],
    ids=["missing", "string", "zero", "too-big", "extra-field", "note-not-text", "invisible-note",
         "not-an-object"],
)  # fmt: skip
def test_bad_body_is_422(
    client: FlaskClient, make_idea: Callable[..., Idea], headers_for: Headers, body: Any
) -> None:
    duplicate, _target = make_idea(), make_idea()
    response = merge(client, duplicate.id, body, headers_for("staff"))
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["code"] == "validation_failed"
    db.session.expire_all()
    assert db.session.get(Idea, duplicate.id).merged_into_id is None


@pytest.mark.parametrize(("role", "status"), [("anonymous", 401), ("customer", 403)])
def test_only_staff_may_merge(
    client: FlaskClient,
    make_idea: Callable[..., Idea],
    headers_for: Headers,
    role: str,
    status: int,
) -> None:
    duplicate, target = make_idea(), make_idea()
    response = merge(client, duplicate.id, {"into": target.id}, headers_for(role))
    assert response.status_code == status
    db.session.expire_all()
    assert db.session.get(Idea, duplicate.id).merged_into_id is None


def test_merge_is_in_the_openapi_document(client: FlaskClient) -> None:
    document = call(client, "GET", "/api/v1/openapi.json").get_json()
    operation = document["paths"]["/ideas/{idea_id}/merge"]["post"]
    assert {"201", "401", "403", "404", "409", "422"} <= set(operation["responses"])
    schema = document["components"]["schemas"]["MergeCreate"]
    assert schema["required"] == ["into"]
    assert set(schema["properties"]) == {"into", "note"}
