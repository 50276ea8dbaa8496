"""The sandbox mounted in IdeaBoard (IDEABOARD_X_SANDBOX=1): when it mounts at all, and who
may use its pages (this machine, or IdeaBoard staff signed in). Staff are IdeaBoard users, so
these run on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ideaboard.accounts.models import Role, User
from ideaboard.config import load_settings

STRANGER = "198.51.100.23"
PASSWORD = "correct horse battery"  # tests/conftest.py's users' password
X_SETTINGS = (
    "IDEABOARD_X_BEARER_TOKEN",
    "IDEABOARD_X_CONSUMER_KEY",
    "IDEABOARD_X_CONSUMER_SECRET",
    "IDEABOARD_X_ACCESS_TOKEN",
    "IDEABOARD_X_ACCESS_TOKEN_SECRET",
    "IDEABOARD_X_USER_ID",
)


@pytest.fixture
def mounted(app_factory: Callable[..., Flask], tmp_path: Path) -> Iterator[Flask]:
    app = app_factory(
        IDEABOARD_X_SANDBOX=True, IDEABOARD_X_SANDBOX_DB=str(tmp_path / "x_sandbox.sqlite")
    )
    with app.app_context():
        yield app


def _from(app: Flask, remote_addr: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = remote_addr
    return client


def _sign_in(client: FlaskClient, user: User) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"email": user.email, "password": PASSWORD}
    if token:
        data["csrf_token"] = token.group(1)
    assert client.post("/login", data=data).status_code == 302


def _page_token(client: FlaskClient) -> str:
    html = client.get("/x-sandbox/sandbox/").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


# -- when it mounts ------------------------------------------------------------------------


@pytest.mark.parametrize("setting", X_SETTINGS)
def test_any_x_credential_stops_the_mount(
    app_factory: Callable[..., Flask], tmp_path: Path, setting: str
) -> None:
    with pytest.raises(RuntimeError, match=setting):
        app_factory(
            IDEABOARD_X_SANDBOX=True,
            IDEABOARD_X_SANDBOX_DB=str(tmp_path / "x.sqlite"),
            **{setting: "real-looking-value"},
        )


@pytest.mark.parametrize(
    "variable",
    [
        "IDEABOARD_X_SECONDBRAND_CONSUMER_KEY",
        "IDEABOARD_X_SECONDBRAND_CONSUMER_SECRET",
        "IDEABOARD_X_SECONDBRAND_ACCESS_TOKEN",
        "IDEABOARD_X_SECONDBRAND_ACCESS_TOKEN_SECRET",
        "IDEABOARD_X_HANBIT_CS_BEARER_TOKEN",
    ],
)
def test_a_second_accounts_credential_stops_the_mount(
    app_factory: Callable[..., Flask],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    monkeypatch.setenv(variable, "real-looking-value")
    with pytest.raises(RuntimeError, match=variable):
        app_factory(IDEABOARD_X_SANDBOX=True, IDEABOARD_X_SANDBOX_DB=str(tmp_path / "x.sqlite"))


@pytest.mark.parametrize("value", ["yes", "true", "on", "01", " 1", "TRUE"])
def test_only_the_value_1_switches_it_on(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str
) -> None:
    monkeypatch.setenv("IDEABOARD_X_SANDBOX", value)
    assert load_settings(str(tmp_path))["IDEABOARD_X_SANDBOX"] is False
    monkeypatch.setenv("IDEABOARD_X_SANDBOX", "1")
    assert load_settings(str(tmp_path))["IDEABOARD_X_SANDBOX"] is True


def test_yes_mounts_nothing(
    app_factory: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDEABOARD_X_SANDBOX", "yes")
    app = app_factory()
    with app.app_context():
        assert "x_sandbox" not in app.extensions
        assert app.test_client().get("/x-sandbox/sandbox/").status_code == 404


# -- who may use it ------------------------------------------------------------------------


def test_loopback_is_served_and_strangers_are_refused(mounted: Flask) -> None:
    assert _from(mounted, "127.0.0.1").get("/x-sandbox/sandbox/").status_code == 200
    stranger = _from(mounted, STRANGER)
    assert stranger.get("/x-sandbox/sandbox/").status_code == 403
    answer = stranger.post(
        "/x-sandbox/sandbox/mentions", json={"username": "eve", "text": "@hanbit injected"}
    )
    assert answer.status_code == 403
    headers = {"Authorization": "OAuth x"}
    answer = stranger.post("/x-sandbox/2/tweets", json={"text": "as the brand"}, headers=headers)
    assert answer.status_code == 403
    timeline = _from(mounted, "127.0.0.1").get("/x-sandbox/sandbox/timeline").get_json()
    assert timeline == {"data": []}


@pytest.mark.parametrize("role", [None, Role.CUSTOMER])
def test_customers_and_anonymous_visitors_cannot_open_the_pages(
    mounted: Flask, make_user: Callable[..., User], role: Role | None
) -> None:
    client = _from(mounted, STRANGER)
    if role is not None:
        _sign_in(client, make_user(role))
    assert client.get("/x-sandbox/sandbox/").status_code == 403
    assert client.post("/x-sandbox/sandbox/", data={"action": "reset"}).status_code == 403


@pytest.mark.parametrize("role", [Role.STAFF, Role.ADMIN])
def test_signed_in_staff_use_the_pages_but_not_the_api(
    mounted: Flask, make_user: Callable[..., User], role: Role
) -> None:
    client = _from(mounted, STRANGER)
    _sign_in(client, make_user(role))
    assert client.get("/x-sandbox/sandbox/").status_code == 200
    form = {"action": "post", "username": "kim", "text": "@hanbit 직원이 올린 글 #아이디어"}
    assert client.post("/x-sandbox/sandbox/", data=form).status_code == 400  # no CSRF token
    form["csrf_token"] = _page_token(client)
    answer = client.post("/x-sandbox/sandbox/", data=form)
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/x-sandbox/sandbox/")
    timeline = _from(mounted, "127.0.0.1").get("/x-sandbox/sandbox/timeline").get_json()
    assert [post["text"] for post in timeline["data"]] == [form["text"]]
    # The JSON helpers and the X API stay with this machine.
    assert client.get("/x-sandbox/sandbox/timeline").status_code == 403
    assert client.post("/x-sandbox/sandbox/reset").status_code == 403
    answer = client.get("/x-sandbox/2/users/me", headers={"Authorization": "OAuth x"})
    assert answer.status_code == 403


def test_signing_out_closes_the_pages(mounted: Flask, make_user: Callable[..., User]) -> None:
    client = _from(mounted, STRANGER)
    _sign_in(client, make_user(Role.STAFF))
    assert client.get("/x-sandbox/sandbox/").status_code == 200
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    client.post("/logout", data={"csrf_token": token.group(1) if token else ""})
    assert client.get("/x-sandbox/sandbox/").status_code == 403


def test_sandbox_pages_are_as_strict_as_ideaboards(mounted: Flask) -> None:
    client = _from(mounted, "127.0.0.1")
    ours = client.get("/login").headers
    sandbox = client.get("/x-sandbox/sandbox/").headers
    for name in ("X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"):
        assert sandbox[name] == ours[name]

    def directives(csp: str) -> dict[str, str]:
        return dict(part.strip().partition(" ")[::2] for part in csp.split(";") if part.strip())

    mine, theirs = (
        directives(ours["Content-Security-Policy"]),
        directives(sandbox["Content-Security-Policy"]),
    )
    for name in ("default-src", "script-src", "frame-ancestors", "form-action", "base-uri"):
        assert theirs[name] == mine[name]
    assert "unsafe-inline" not in sandbox["Content-Security-Policy"]


def test_the_demo_seeds_the_mounted_sandbox(mounted: Flask) -> None:
    from ideaboard.demo import seed_sandbox

    posted = seed_sandbox(mounted.extensions["x_sandbox"])
    assert posted > 0
    assert seed_sandbox(mounted.extensions["x_sandbox"]) == 0  # already there
    timeline: Any = _from(mounted, "127.0.0.1").get("/x-sandbox/sandbox/timeline").get_json()
    assert len(timeline["data"]) == posted
