"""The OpenAPI document: valid OpenAPI 3.1, complete, generated from the validating schemas."""

from __future__ import annotations

import copy
import re
from typing import Any

import jsonschema_rs
import pytest
from flask import Flask
from flask.testing import FlaskClient
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

from ideaboard.api import schemas
from ideaboard.api.routing import OPERATIONS
from tests.api.helpers import call


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    response = call(client, "GET", "/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_document_validates_as_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    OPENAPI_31_VALIDATOR.validate(document)
    for name, schema in document["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name


def test_validator_rejects_a_broken_document(document: dict[str, Any]) -> None:
    broken = copy.deepcopy(document)
    broken["paths"]["/ideas"]["get"]["responses"] = {"200": {"content": {}}}  # no description
    assert not OPENAPI_31_VALIDATOR.is_valid(broken)


def test_every_api_route_is_documented_and_nothing_else(
    app: Flask, document: dict[str, Any]
) -> None:
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            routed |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routed == documented


def test_every_operation_describes_parameters_bodies_and_errors(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for op in item.values():
            assert all(op.get(key) for key in ("summary", "description", "operationId"))
            for status, answer in op["responses"].items():
                assert all(answer.get(key) for key in ("description", "content")), status
                if status.startswith(("4", "5")):
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorOut"}
            assert "429" in op["responses"]
            for param in op.get("parameters", []):
                assert all(param.get(key) for key in ("description", "schema")), param
            if "{idea_id}" in path:
                assert "404" in op["responses"]
            if "requestBody" in op:
                assert {"400", "422"} <= set(op["responses"])
            if op.get("security") and {} not in op["security"]:
                assert "401" in op["responses"]


def test_request_bodies_are_the_validating_models(document: dict[str, Any]) -> None:
    component = document["components"]["schemas"]
    for op in OPERATIONS:
        if op.body is None:
            continue
        assert op.body.__name__ in component
        generated = op.body.model_json_schema(ref_template="#/components/schemas/{model}")
        assert component[op.body.__name__] == generated
        assert component[op.body.__name__]["additionalProperties"] is False
    assert component["VoteRequest"]["properties"]["value"]["enum"] == [1, -1, 0]
    assert set(component["IdeaOut"]["required"]) >= {
        "id", "title", "body", "stage", "category", "score", "up", "down", "comment_count",
        "source", "source_url", "author", "created_at", "updated_at", "url",
    }  # fmt: skip
    assert schemas.IdeaOut.__name__ == "IdeaOut"


def test_query_parameters_come_from_the_query_models(document: dict[str, Any]) -> None:
    params = {p["name"]: p for p in document["paths"]["/ideas"]["get"]["parameters"]}
    assert set(params) == set(schemas.IdeaListQuery.model_fields)
    assert params["limit"]["schema"] == {
        "type": "integer", "minimum": 1, "maximum": 100, "default": 20,
    }  # fmt: skip
    assert params["sort"]["schema"]["$ref"].endswith("/Sort")
    assert document["components"]["schemas"]["Sort"]["enum"] == ["trending", "top", "new"]


def test_reference_page_renders_every_operation_without_external_assets(
    client: FlaskClient, document: dict[str, Any]
) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    for path, item in document["paths"].items():
        for method in item:
            assert f"{method.upper()} /api/v1{path}" in html
    assert "X-IdeaBoard-Signature" in html
    assert "Retry-After" in html
    assert not re.search(r"""(src|href)=["']https?://""", html.split("<main", 1)[1])
