"""Row 5: deeply nested JSON is refused before it is parsed, with the API's JSON error."""

from __future__ import annotations

import json

import pytest
from flask import Flask, request

from ideaboard.inputs import MAX_JSON_DEPTH, json_depth, loads


def _nested(depth: int, opener: str = "[", closer: str = "]") -> str:
    return opener * depth + closer * depth


def _nested_objects(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize(
    "body",
    [
        _nested(950),  # the finding: 1.9 KB, 950 levels
        _nested(100_000),
        _nested_objects(950),
        '{"email": "a@example.com", "password": "x", "name": ' + _nested(5000) + "}",
        _nested(MAX_JSON_DEPTH + 1),
    ],
    ids=["lists-950", "lists-100000", "objects-950", "inside-a-field", "one-too-deep"],
)
def test_token_endpoint_refuses_deep_json_with_a_400_json_error(client, body):
    response = client.post(
        "/api/v1/tokens", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == "invalid_json"
    assert str(MAX_JSON_DEPTH) in error["message"]
    assert len(response.data) < 1000  # an error, not a traceback


def test_deep_json_is_refused_by_every_api_body(client, make_user, make_idea):
    from tests.helpers import PASSWORD

    user = make_user()
    token = client.post(
        "/api/v1/tokens", json={"email": user.email, "password": PASSWORD}
    ).get_json()["token"]
    idea = make_idea()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for method, path in [
        ("POST", "/api/v1/ideas"),
        ("PUT", f"/api/v1/ideas/{idea.id}/vote"),
        ("POST", f"/api/v1/ideas/{idea.id}/comments"),
    ]:
        response = client.open(path, method=method, data=_nested(950), headers=headers)
        assert response.status_code == 400, (path, response.data[:200])
        assert response.get_json()["error"]["code"] == "invalid_json"


def test_json_nested_to_the_limit_is_parsed(client):
    """Depth alone is not an error: a body at the limit reaches the schema (422 for its shape)."""
    response = client.post(
        "/api/v1/tokens",
        data=_nested(MAX_JSON_DEPTH),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422


def test_request_get_json_is_depth_limited_too(app: Flask):
    """Flask's request.get_json (app.json.loads) refuses deep JSON with a 400, not a 500."""
    from ideaboard.extensions import csrf

    def echo_json() -> dict[str, str]:
        return {"kind": type(request.get_json()).__name__}

    app.add_url_rule("/_test_echo_json", "test_echo_json", csrf.exempt(echo_json), methods=["POST"])
    client = app.test_client()
    assert client.post("/_test_echo_json", json=[[1]]).get_json() == {"kind": "list"}
    response = client.post(
        "/_test_echo_json", data=_nested(950), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("1", 0),
        ("[]", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('["[[[[", "]]]]{{"]', 1),  # brackets inside strings do not count
        ('["\\"[[[["]', 1),  # nor after an escaped quote
        (_nested(10**6), MAX_JSON_DEPTH + 1),  # stops counting past the limit
    ],
)
def test_json_depth_counts_structure_only(text, depth):
    assert json_depth(text) == depth
    assert json_depth(text.encode()) == depth


def test_loads_refuses_deep_json_without_recursion():
    with pytest.raises(ValueError, match="deeper"):
        loads(_nested(10**6))
    assert loads('{"a": [1, 2]}') == json.loads('{"a": [1, 2]}')


def test_a_deep_board_cursor_is_a_4xx(client):
    import base64

    cursor = base64.urlsafe_b64encode(_nested(3000).encode()).decode().rstrip("=")
    response = client.get("/api/v1/ideas", query_string={"cursor": cursor})
    assert response.status_code == 422
    response = client.get("/", query_string={"cursor": cursor})
    assert 400 <= response.status_code < 500


def test_the_x_sandbox_refuses_deep_json_too(tmp_path):
    """The sandbox is its own Flask app (mounted under /x-sandbox); its JSON is limited too."""
    from sandboxes.x import create_sandbox_app

    sandbox = create_sandbox_app(str(tmp_path / "x_sandbox.sqlite"))
    client = sandbox.test_client()
    for path in ("/2/tweets", "/sandbox/mentions"):
        response = client.post(
            path,
            data=_nested(950),
            headers={"Content-Type": "application/json", "Authorization": "Bearer t"},
        )
        assert response.status_code == 400, (path, response.status_code)
