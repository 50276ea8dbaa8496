"""`web.wants_json`: the one check of whether the caller wants JSON rather than a page."""

from __future__ import annotations

import pytest
from flask import Flask

from ideaboard.web import wants_json


@pytest.mark.parametrize(
    ("path", "headers", "expected"),
    [
        ("/ideas/1", {}, False),
        ("/ideas/1", {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}, False),
        ("/ideas/1", {"Accept": "*/*"}, False),
        ("/ideas/1", {"Accept": "application/json"}, True),
        ("/ideas/1", {"Accept": "application/json, text/html;q=0.5"}, True),
        ("/ideas/1", {"Accept": "text/html, application/json"}, False),
        ("/ideas/1", {"X-Requested-With": "fetch"}, True),
        ("/ideas/1", {"X-Requested-With": "XMLHttpRequest"}, False),
        ("/api/v1/ideas", {}, True),
        ("/api/v1/ideas", {"Accept": "text/html"}, True),
    ],
)
def test_wants_json(app: Flask, path: str, headers: dict[str, str], expected: bool) -> None:
    with app.test_request_context(path, headers=headers):
        assert wants_json() is expected


def test_the_sites_script_gets_json_errors_and_pages_get_redirects(client) -> None:
    """The site's script sends X-Requested-With: fetch; "log in first" comes back as JSON."""
    response = client.get("/notifications", headers={"X-Requested-With": "fetch"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    plain = client.get("/notifications")
    assert plain.status_code == 302
    assert plain.headers["Location"].startswith("/login")
