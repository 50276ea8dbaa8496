"""Request bodies are bounded (IDEABOARD_MAX_CONTENT_LENGTH, default 1 MB): bigger ones get 413
before anything parses them, as JSON for the API and as a page for people. The API half reads
and writes tokens and ideas, so it runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from ideaboard.config import DEFAULTS, load_settings
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea

MB = 1024 * 1024


def test_the_default_limit_is_one_megabyte(app: Flask) -> None:
    assert DEFAULTS["IDEABOARD_MAX_CONTENT_LENGTH"] == MB
    assert app.config["MAX_CONTENT_LENGTH"] == MB
    assert app.config["MAX_FORM_MEMORY_SIZE"] <= MB


def test_the_api_answers_413_too_large_as_json(client: FlaskClient) -> None:
    body = json.dumps({"email": "a@example.com", "password": "x" * (2 * MB)})
    answer = client.post("/api/v1/tokens", data=body, content_type="application/json")
    assert answer.status_code == 413
    error = answer.get_json()["error"]
    assert error["code"] == "too_large"
    assert error["message"]


def test_a_ten_megabyte_idea_is_refused_and_nothing_is_written(client: FlaskClient) -> None:
    before = db.session.scalar(select(func.count()).select_from(Idea))
    body = json.dumps({"title": "Big", "body": "x" * (10 * MB)})
    answer = client.post("/api/v1/ideas", data=body, content_type="application/json")
    assert answer.status_code in (401, 413)  # refused either way; never parsed, never stored
    answer = client.post("/ideas/new", data={"title": "Big", "body": "x" * (10 * MB)})
    assert answer.status_code == 413
    assert db.session.scalar(select(func.count()).select_from(Idea)) == before


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "What you sent is too large."), ("ko", "보낸 내용이 너무 큽니다.")],
)
def test_people_get_a_friendly_page(client: FlaskClient, language: str, message: str) -> None:
    answer = client.post(
        "/login",
        data={"email": "a@example.com", "password": "x" * (2 * MB)},
        headers={"Accept-Language": language, "Accept": "text/html"},
    )
    assert answer.status_code == 413
    assert answer.mimetype == "text/html"
    html = answer.get_data(as_text=True)
    assert "413" in html
    assert message in html


def test_form_fields_are_bounded_in_memory_too(client: FlaskClient) -> None:
    """Under the body limit, a multipart text field over MAX_FORM_MEMORY_SIZE is still refused
    (Werkzeug applies that limit to multipart bodies; urlencoded ones are read whole, within
    MAX_CONTENT_LENGTH)."""
    # Encoded by hand: the test client would spool this body to a temporary file of its own.
    boundary = "ib-test-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="email"\r\n\r\na@example.com\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="password"\r\n\r\n'
        f"{'x' * 600_000}\r\n--{boundary}--\r\n"
    ).encode()
    answer = client.post(
        "/login", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert answer.status_code == 413


def test_a_normal_body_is_untouched(client: FlaskClient) -> None:
    answer = client.post("/login", data={"email": "a@example.com", "password": "x" * 10_000})
    assert answer.status_code != 413


def test_the_limit_is_a_setting(
    app_factory: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("IDEABOARD_MAX_CONTENT_LENGTH", "4096")
    assert load_settings(str(tmp_path))["IDEABOARD_MAX_CONTENT_LENGTH"] == 4096
    app = app_factory()
    with app.app_context():
        assert app.config["MAX_CONTENT_LENGTH"] == 4096
        answer = app.test_client().post("/login", data={"email": "a", "password": "x" * 5000})
        assert answer.status_code == 413
    for bad in ("1MB", "0", "-5"):
        monkeypatch.setenv("IDEABOARD_MAX_CONTENT_LENGTH", bad)
        with pytest.raises(RuntimeError, match="IDEABOARD_MAX_CONTENT_LENGTH"):
            load_settings(str(tmp_path))
