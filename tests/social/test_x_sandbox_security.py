"""The X sandbox on its own: only this machine may use it, its forms carry CSRF tokens, its
answers carry the security headers, and its request bodies and posts are bounded.

The sandbox keeps its state in its own SQLite file whatever IdeaBoard's database is, so these
tests do not depend on --db; they run the same in both halves of the suite. The mounted
sandbox (staff access through IdeaBoard's session, the credential guard) is tested in
test_x_sandbox_mount.py, on both databases.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import requests
import tweepy
from flask import Flask
from flask.testing import FlaskClient

from sandboxes.x import MAX_BODY_BYTES, SandboxStore, create_sandbox_app, timeline
from sandboxes.x.actions import MAX_POST_CHARS

STRANGER = "203.0.113.7"
AUTH = {"Authorization": "OAuth x"}


class _Caller:
    """A test client that calls from remote_addr with the given Host header."""

    def __init__(self, app: Flask, remote_addr: str, host: str) -> None:
        self.client: FlaskClient = app.test_client()
        self.remote_addr = remote_addr
        self.host = host

    def _open(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.client.open(
            path,
            method=method.upper(),
            base_url=f"http://{self.host}",
            environ_base={"REMOTE_ADDR": self.remote_addr},
            **kwargs,
        )

    def get(self, path: str, **kwargs: Any) -> Any:
        return self._open("get", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self._open("post", path, **kwargs)

    def set_cookie(self, name: str, value: str, path: str) -> None:
        self.client.set_cookie(name, value, path=path, domain=self.host.rpartition(":")[0])


def _client(app: Flask, remote_addr: str = "127.0.0.1", host: str = "127.0.0.1:5055") -> Any:
    return _Caller(app, remote_addr, host)


def _token(client: _Caller) -> str:
    html = client.get("/sandbox/").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


# -- who may use it ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/2/users/me", None),
        ("post", "/2/tweets", {"text": "@someone posted as the brand"}),
        ("post", "/sandbox/mentions", {"username": "eve", "text": "@hanbit injected #idea"}),
        ("get", "/sandbox/timeline", None),
        ("post", "/sandbox/reset", None),
        ("post", "/sandbox/faults", {"error_rate": 1.0}),
        ("post", "/sandbox/rate-limits", {"unlimited": True}),
        ("get", "/sandbox/", None),
        ("post", "/sandbox/", {"action": "reset"}),
    ],
)
def test_strangers_get_403_and_change_nothing(
    sandbox_app: Flask,
    sandbox_store: SandboxStore,
    mention: Callable[..., dict[str, Any]],
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    mention("@hanbit 그대로 있어야 해요 #아이디어")
    stranger = _client(sandbox_app, STRANGER, "sandbox.example")
    kwargs: dict[str, Any] = {"headers": AUTH}
    if body is not None:
        kwargs["data" if path == "/sandbox/" else "json"] = body
    answer = getattr(stranger, method)(path, **kwargs)
    assert answer.status_code == 403
    assert [post["text"] for post in timeline(sandbox_store)] == [
        "@hanbit 그대로 있어야 해요 #아이디어"
    ]
    faults = _client(sandbox_app).get("/sandbox/faults").get_json()["data"]
    assert not any(value for key, value in faults.items() if key.endswith("rate"))


def test_the_x_api_refusal_is_shaped_like_x(sandbox_app: Flask) -> None:
    answer = _client(sandbox_app, STRANGER).get("/2/users/me", headers=AUTH)
    assert answer.status_code == 403
    assert answer.get_json()["title"] == "Forbidden"


@pytest.mark.parametrize(
    ("remote_addr", "host"),
    [
        ("127.0.0.1", "127.0.0.1:5055"),
        ("127.8.9.10", "localhost:5055"),
        ("::1", "[::1]:5055"),
        ("127.0.0.1", "localhost"),
    ],
)
def test_this_machine_is_served(sandbox_app: Flask, remote_addr: str, host: str) -> None:
    answer = _client(sandbox_app, remote_addr, host).get("/2/users/me", headers=AUTH)
    assert answer.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Forwarded-For": "127.0.0.1"},
        {"Forwarded": "for=127.0.0.1"},
        {"X-Real-IP": "127.0.0.1"},
    ],
)
def test_a_request_relayed_by_a_proxy_is_not_local(
    sandbox_app: Flask, headers: dict[str, str]
) -> None:
    """A reverse proxy on the same machine connects from 127.0.0.1; its headers give it away
    (and are never believed for the client's address)."""
    answer = _client(sandbox_app).get("/2/users/me", headers={**AUTH, **headers})
    assert answer.status_code == 403


def test_a_foreign_host_name_is_refused_even_from_loopback(sandbox_app: Flask) -> None:
    """DNS rebinding: a web page whose name now resolves to 127.0.0.1 still says its name."""
    answer = _client(sandbox_app, host="attacker.example").post(
        "/sandbox/mentions", json={"username": "eve", "text": "@hanbit rebinding"}
    )
    assert answer.status_code == 403


def test_allowed_hosts_and_ui_access(sandbox_db: str) -> None:
    seen: list[str] = []

    def ui_access(environ: dict[str, Any]) -> bool:
        seen.append(environ["PATH_INFO"])
        return environ.get("HTTP_X_STAFF") == "yes"

    app = create_sandbox_app(sandbox_db, ui_access=ui_access, allowed_hosts=["ideas.example"])
    local = _client(app, host="ideas.example")
    assert local.get("/2/users/me", headers=AUTH).status_code == 200
    stranger = _client(app, STRANGER, "ideas.example")
    assert stranger.get("/sandbox/").status_code == 403
    assert stranger.get("/sandbox/", headers={"X-Staff": "yes"}).status_code == 200
    assert stranger.get("/sandbox/sandbox.css", headers={"X-Staff": "yes"}).status_code == 200
    # ui_access opens the pages only: never the X API or the JSON helpers.
    for path in ("/2/users/me", "/sandbox/timeline", "/sandbox/faults"):
        assert stranger.get(path, headers={**AUTH, "X-Staff": "yes"}).status_code == 403
    assert "/sandbox/" in seen


def test_avatars_stay_public(sandbox_app: Flask) -> None:
    answer = _client(sandbox_app, STRANGER).get("/sandbox/avatars/123.svg")
    assert answer.status_code == 200
    assert answer.mimetype == "image/svg+xml"


def test_tweepy_over_real_loopback_http_still_works(x_client: tweepy.Client) -> None:
    """The worker's client connects from 127.0.0.1 with a loopback Host: it is served."""
    assert x_client.get_me().data.username == "hanbit"
    assert x_client.create_tweet(text="@minji 안녕하세요").data["id"]


# -- CSRF ----------------------------------------------------------------------------------


def test_page_forms_need_the_token(sandbox_app: Flask, sandbox_store: SandboxStore) -> None:
    client = _client(sandbox_app)
    token = _token(client)
    form = {"action": "post", "username": "kim", "text": "@hanbit 토큰 없이 #아이디어"}
    assert client.post("/sandbox/", data=form).status_code == 400
    assert client.post("/sandbox/", data={**form, "csrf_token": "x.y"}).status_code == 400
    assert timeline(sandbox_store) == []
    assert client.post("/sandbox/", data={**form, "csrf_token": token}).status_code == 303
    assert len(timeline(sandbox_store)) == 1
    assert client.post("/sandbox/", data={"action": "reset"}).status_code == 400
    assert len(timeline(sandbox_store)) == 1


def test_a_token_without_its_cookie_or_from_another_key_is_refused(
    sandbox_app: Flask, sandbox_db: str, sandbox_store: SandboxStore
) -> None:
    token = _token(_client(sandbox_app))
    form = {"action": "post", "username": "kim", "text": "@hanbit 남의 토큰", "csrf_token": token}
    cookieless = _client(sandbox_app)  # a forged cross-site form: the Strict cookie stays home
    assert cookieless.post("/sandbox/", data=form).status_code == 400
    other = _client(create_sandbox_app(sandbox_db))  # another key signs differently
    other.set_cookie("x_sandbox_csrf", token, path="/sandbox/")
    assert other.post("/sandbox/", data=form).status_code == 400
    assert timeline(sandbox_store) == []


def test_the_csrf_cookie_is_strict_and_http_only(sandbox_app: Flask) -> None:
    answer = _client(sandbox_app).get("/sandbox/")
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("x_sandbox_csrf=")
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/sandbox/" in cookie


# -- headers -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/sandbox/", "/2/users/me", "/sandbox/timeline", "/nowhere"])
def test_every_answer_carries_the_security_headers(sandbox_app: Flask, path: str) -> None:
    answer = _client(sandbox_app).get(path, headers=AUTH)
    csp = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_the_page_has_no_inline_style_or_script(
    sandbox_app: Flask, mention: Callable[..., dict[str, Any]]
) -> None:
    root = mention("@hanbit 스레드 #아이디어")
    mention("@minji 답글", username="lee", in_reply_to_tweet_id=root["id"])
    html = _client(sandbox_app).get("/sandbox/").get_data(as_text=True)
    assert "<style" not in html
    assert "style=" not in html
    assert "<script" not in html
    assert 'rel="stylesheet" href="/sandbox/sandbox.css"' in html


# -- sizes ---------------------------------------------------------------------------------


def test_bodies_over_the_limit_get_413_and_store_nothing(
    sandbox_app: Flask, sandbox_store: SandboxStore
) -> None:
    client = _client(sandbox_app)
    huge = "가" * (MAX_BODY_BYTES // 2)  # three bytes each in UTF-8: over the limit
    answer = client.post("/sandbox/mentions", json={"username": "eve", "text": huge})
    assert answer.status_code == 413
    answer = client.post("/2/tweets", json={"text": huge}, headers=AUTH)
    assert answer.status_code == 413
    assert answer.get_json()["title"] == "Payload Too Large"
    form = {"action": "post", "username": "eve", "text": huge, "csrf_token": _token(client)}
    assert client.post("/sandbox/", data=form).status_code == 413
    assert timeline(sandbox_store) == []


def test_a_ten_megabyte_body_is_refused_over_real_http(
    sandbox_url: str, sandbox_store: SandboxStore
) -> None:
    answer = requests.post(
        f"{sandbox_url}/sandbox/mentions",
        json={"username": "eve", "text": "x" * 10_000_000},
        timeout=30,
    )
    assert answer.status_code == 413
    assert timeline(sandbox_store) == []


def test_customer_posts_are_bounded_like_x(sandbox_app: Flask, sandbox_store: SandboxStore) -> None:
    client = _client(sandbox_app)
    too_long = {"username": "eve", "text": "x" * (MAX_POST_CHARS + 1)}
    assert client.post("/sandbox/mentions", json=too_long).status_code == 400
    long_name = {"username": "eve", "text": "@hanbit hi", "name": "n" * 51}
    assert client.post("/sandbox/mentions", json=long_name).status_code == 400
    odd_name = {"username": "eve", "text": "@hanbit hi", "name": 5}
    assert client.post("/sandbox/mentions", json=odd_name).status_code == 400
    assert timeline(sandbox_store) == []
    longest = {"username": "eve", "text": "x" * MAX_POST_CHARS}
    assert client.post("/sandbox/mentions", json=longest).status_code == 201
