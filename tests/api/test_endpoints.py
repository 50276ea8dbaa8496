"""Each endpoint for each role: anonymous, customer, staff (bearer tokens) and admin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from ideaboard.accounts.models import Role, User
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.ideas.services import add_comment
from ideaboard.triage.services import change_stage, find_stage
from tests.api.helpers import ROLES, call
from tests.helpers import PASSWORD

IDEA_KEYS = {
    "id", "title", "body", "stage", "stage_name", "stage_names", "category", "score", "up", "down",
    "comment_count", "source", "source_url", "author", "created_at", "updated_at", "url",
    "campaign",
}  # fmt: skip

# (method, path, body, expected status for anonymous, customer, staff, admin)
MATRIX: list[tuple[str, str, dict[str, Any] | None, tuple[int, int, int, int]]] = [
    ("GET", "/api/v1/ideas", None, (200, 200, 200, 200)),
    ("POST", "/api/v1/ideas", {"title": "A brand new idea"}, (401, 201, 201, 201)),
    ("GET", "/api/v1/ideas/{id}", None, (200, 200, 200, 200)),
    ("PUT", "/api/v1/ideas/{id}/vote", {"value": 1}, (401, 200, 200, 200)),
    (
        "POST",
        "/api/v1/ideas/{id}/status",
        {"stage": "under-review", "note": "We are on it."},
        (401, 403, 201, 201),
    ),
    ("GET", "/api/v1/ideas/{id}/status-changes", None, (200, 200, 200, 200)),
    ("GET", "/api/v1/ideas/{id}/comments", None, (200, 200, 200, 200)),
    ("POST", "/api/v1/ideas/{id}/comments", {"body": "Me too!"}, (401, 201, 201, 201)),
    ("GET", "/api/v1/stages", None, (200, 200, 200, 200)),
    ("GET", "/api/v1/outbox", None, (401, 403, 200, 200)),
    ("GET", "/api/v1/openapi.json", None, (200, 200, 200, 200)),
    ("GET", "/api/v1/docs", None, (200, 200, 200, 200)),
]


@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX)
@pytest.mark.parametrize("role", ROLES)
def test_endpoint_answers_each_role(
    client: FlaskClient,
    make_idea: Callable[..., Idea],
    headers_for: Callable[[str], dict[str, str]],
    role: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    expected: tuple[int, int, int, int],
) -> None:
    idea = make_idea()
    response = call(client, method, path.format(id=idea.id), body, headers_for(role))
    assert response.status_code == expected[ROLES.index(role)], response.get_data(as_text=True)
    if response.status_code >= 400:
        assert set(response.get_json()["error"]) >= {"code", "message"}


@pytest.mark.parametrize("role", ["customer", "staff", "admin"])
def test_token_from_password_carries_the_role(
    client: FlaskClient, make_user: Callable[..., User], role: str
) -> None:
    user = make_user(role)
    response = call(client, "POST", "/api/v1/tokens", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 201
    token = response.get_json()["token"]
    outbox = call(client, "GET", "/api/v1/outbox", headers={"Authorization": f"Bearer {token}"})
    assert outbox.status_code == (403 if role == "customer" else 200)


def test_anonymous_gets_no_token_without_the_right_password(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user()
    for body in (
        {"email": user.email, "password": "wrong password"},
        {"email": "nobody@example.com", "password": PASSWORD},
    ):
        response = call(client, "POST", "/api/v1/tokens", body)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "invalid_credentials"


def test_idea_json_has_the_documented_shape(
    app: Any, client: FlaskClient, make_user: Callable[..., User], headers_for: Any
) -> None:
    app.config["IDEABOARD_PUBLIC_URL"] = "https://ideas.example.com/"
    created = call(
        client,
        "POST",
        "/api/v1/ideas",
        {"title": "Receipts by e-mail", "body": "Please **send** them", "category": "app"},
        headers_for("customer"),
    )
    assert created.status_code == 201, created.get_json()
    idea = created.get_json()
    assert set(idea) == IDEA_KEYS
    assert idea["stage"] == "new"
    assert idea["category"] == "app"
    assert idea["source"] == "web"
    assert idea["campaign"] is None  # not in a campaign (tests/campaigns covers one that is)
    assert idea["url"] == f"https://ideas.example.com/ideas/{idea['id']}"
    assert idea["created_at"].endswith("Z")
    assert idea["author"]["handle"] is None
    fetched = call(client, "GET", f"/api/v1/ideas/{idea['id']}").get_json()
    assert fetched == idea


def test_imported_idea_shows_the_social_author(
    client: FlaskClient, make_idea: Callable[..., Idea]
) -> None:
    idea = make_idea()
    idea.source, idea.source_author_name, idea.source_author_handle = "x", "Mina", "mina_k"
    idea.source_url = "https://x.com/mina_k/status/1"
    db.session.commit()
    data = call(client, "GET", f"/api/v1/ideas/{idea.id}").get_json()
    assert data["author"] == {"name": "Mina", "handle": "mina_k"}
    assert data["source"] == "x"
    assert data["source_url"].endswith("/status/1")


def test_vote_is_idempotent(
    client: FlaskClient, make_idea: Callable[..., Idea], headers_for: Any
) -> None:
    idea = make_idea()
    headers = headers_for("customer")
    path = f"/api/v1/ideas/{idea.id}/vote"
    first = call(client, "PUT", path, {"value": 1}, headers).get_json()
    again = call(client, "PUT", path, {"value": 1}, headers).get_json()
    assert first == again == {"score": 1, "up": 1, "down": 0, "my_vote": 1}
    down = call(client, "PUT", path, {"value": -1}, headers).get_json()
    assert down == {"score": -1, "up": 0, "down": 1, "my_vote": -1}
    for _ in range(2):
        withdrawn = call(client, "PUT", path, {"value": 0}, headers).get_json()
        assert withdrawn == {"score": 0, "up": 0, "down": 0, "my_vote": 0}


def test_status_changes_and_comments_are_listed_oldest_first(
    client: FlaskClient,
    make_idea: Callable[..., Idea],
    make_user: Callable[..., User],
) -> None:
    staff = make_user(Role.STAFF, name="Kim Ga", initials="KG")
    idea = make_idea()
    change_stage(idea, find_stage("under-review"), "Looking", staff)
    change_stage(idea, find_stage("planned"), "Planned for May", staff)
    add_comment(staff, idea, "Official word")
    db.session.commit()
    changes = call(client, "GET", f"/api/v1/ideas/{idea.id}/status-changes").get_json()
    assert [(c["from_stage"], c["to_stage"]) for c in changes] == [
        ("new", "under-review"),
        ("under-review", "planned"),
    ]
    assert changes[1]["by"] == {"name": "Kim Ga", "initials": "KG"}
    comments = call(client, "GET", f"/api/v1/ideas/{idea.id}/comments").get_json()
    assert [c["body"] for c in comments] == ["Official word"]
    assert comments[0]["is_official"]


def test_stages_hide_internal_ones_from_customers(
    client: FlaskClient, headers_for: Callable[[str], dict[str, str]]
) -> None:
    stage = find_stage("new")
    stage.is_public = False
    db.session.commit()
    public = {s["slug"] for s in call(client, "GET", "/api/v1/stages").get_json()}
    answer = call(client, "GET", "/api/v1/stages", None, headers_for("staff"))
    staff = {s["slug"] for s in answer.get_json()}
    assert "new" not in public
    assert "new" in staff
    assert "launched" in public


def test_hidden_idea_is_found_by_staff_only(
    client: FlaskClient, make_idea: Callable[..., Idea], headers_for: Any
) -> None:
    from ideaboard.database import utcnow

    idea = make_idea()
    idea.hidden_at = utcnow()
    db.session.commit()
    path = f"/api/v1/ideas/{idea.id}"
    assert call(client, "GET", path, None, headers_for("customer")).status_code == 404
    assert call(client, "GET", path, None, headers_for("staff")).status_code == 200
    listed = call(client, "GET", "/api/v1/ideas", None, headers_for("customer")).get_json()
    assert idea.id not in [i["id"] for i in listed["items"]]


def test_outbox_filters_by_state_and_pages(
    client: FlaskClient, make_user: Callable[..., User], headers_for: Any
) -> None:
    from ideaboard.outbox.models import OutboxMessage

    for n in range(5):
        db.session.add(
            OutboxMessage(kind="x_post", dedupe_key=f"t{n}", text=f"post {n}",
                          state="sent" if n % 2 else "pending")
        )  # fmt: skip
    db.session.commit()
    headers = headers_for("staff")
    sent = call(client, "GET", "/api/v1/outbox?state=sent", None, headers).get_json()
    assert [row["text"] for row in sent["items"]] == ["post 3", "post 1"]
    seen, cursor = [], ""
    while True:
        page = call(client, "GET", f"/api/v1/outbox?limit=2{cursor}", None, headers).get_json()
        seen += [row["text"] for row in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == [f"post {n}" for n in range(4, -1, -1)]


def test_outbox_filters_rows_parked_by_a_spending_cap(
    client: FlaskClient, make_user: Callable[..., User], headers_for: Any
) -> None:
    from ideaboard.outbox.models import OutboxMessage

    db.session.add_all(
        [
            OutboxMessage(kind="x_reply", dedupe_key="p1", text="parked", state="parked"),
            OutboxMessage(kind="x_reply", dedupe_key="p2", text="waiting", state="pending"),
        ]
    )
    db.session.commit()
    headers = headers_for("staff")
    parked = call(client, "GET", "/api/v1/outbox?state=parked", None, headers)
    assert parked.status_code == 200
    assert [(r["text"], r["state"]) for r in parked.get_json()["items"]] == [("parked", "parked")]
    unknown = call(client, "GET", "/api/v1/outbox?state=napping", None, headers)
    assert unknown.status_code == 422
