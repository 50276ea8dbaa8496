"""The Mastodon sandbox mounted in IdeaBoard (IDEABOARD_MASTODON_SANDBOX=1): who may use it,
when it refuses to mount, and the demo's loop through it — the default account connected from
the mounted sandbox, a mention imported, over real HTTP on loopback."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from ideaboard.accounts.models import Role, User
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.social import jobs
from ideaboard.social.models import SocialAccount
from sandboxes.mastodon import post_mention, timeline
from tests.helpers import serve

STRANGER = "198.51.100.23"
PASSWORD = "correct horse battery"  # tests/conftest.py's users' password


@pytest.fixture
def mounted(app_factory: Callable[..., Flask], tmp_path: Path) -> Iterator[Flask]:
    app = app_factory(
        IDEABOARD_MASTODON_SANDBOX=True,
        IDEABOARD_MASTODON_SANDBOX_DB=str(tmp_path / "mastodon_sandbox.sqlite"),
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


def test_a_real_mastodon_token_stops_the_mount(
    app_factory: Callable[..., Flask], tmp_path: Path
) -> None:
    with pytest.raises(RuntimeError, match="IDEABOARD_MASTODON_ACCESS_TOKEN"):
        app_factory(
            IDEABOARD_MASTODON_SANDBOX=True,
            IDEABOARD_MASTODON_SANDBOX_DB=str(tmp_path / "m.sqlite"),
            IDEABOARD_MASTODON_ACCESS_TOKEN="a-real-looking-token",
        )


def test_loopback_is_served_and_strangers_are_refused(mounted: Flask) -> None:
    assert _from(mounted, "127.0.0.1").get("/mastodon-sandbox/sandbox/").status_code == 200
    stranger = _from(mounted, STRANGER)
    assert stranger.get("/mastodon-sandbox/sandbox/").status_code == 403
    assert stranger.get("/mastodon-sandbox/api/v2/instance").status_code == 403


def test_signed_in_staff_post_a_mention_on_the_page_but_cannot_use_the_api(
    mounted: Flask, make_user: Callable[..., User]
) -> None:
    client = _from(mounted, STRANGER)
    _sign_in(client, make_user(Role.STAFF))
    html = client.get("/mastodon-sandbox/sandbox/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token is not None
    posted = client.post(
        "/mastodon-sandbox/sandbox/",
        data={
            "action": "post",
            "acct": "minji",
            "text": "@hanbit 직원이 올린 제안 #아이디어",
            "visibility": "direct",
            "csrf_token": token.group(1),
        },
    )
    assert posted.status_code == 303
    store = mounted.extensions["mastodon_sandbox"].extensions["mastodon_sandbox"].store
    assert [s["visibility"] for s in timeline(store)] == ["direct"]
    api = client.get(
        "/mastodon-sandbox/api/v1/notifications", headers={"Authorization": "Bearer sandbox-token"}
    )
    assert api.status_code == 403


def test_customers_cannot_open_the_page(mounted: Flask, make_user: Callable[..., User]) -> None:
    client = _from(mounted, STRANGER)
    _sign_in(client, make_user(Role.CUSTOMER))
    assert client.get("/mastodon-sandbox/sandbox/").status_code == 403


def test_the_demo_connects_the_mastodon_account_from_the_mounted_sandbox_and_imports(
    mounted: Flask,
) -> None:
    with serve(mounted) as url:
        mounted.config["IDEABOARD_PUBLIC_URL"] = url
        store = mounted.extensions["mastodon_sandbox"].extensions["mastodon_sandbox"].store
        jobs.ensure_default_account()
        account = db.session.scalar(
            select(SocialAccount).where(SocialAccount.network == "mastodon")
        )
        assert account is not None
        assert (account.username, account.service_url) == ("hanbit", f"{url}/mastodon-sandbox")
        status: dict[str, Any] = post_mention(
            store, acct="jisoo@other.example", text="@hanbit 앱에 다크 모드 #아이디어"
        )
        connector = jobs.connector_for(account)
        try:
            jobs.run_import(account, connector, owner="test-importer")
        finally:
            connector.close()
        idea = db.session.scalar(select(Idea).where(Idea.source_post_id == str(status["id"])))
        assert idea is not None


def test_the_mounted_page_is_as_strict_as_ideaboards(mounted: Flask) -> None:
    page = _from(mounted, "127.0.0.1").get("/mastodon-sandbox/sandbox/")
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Cache-Control"] == "no-store"
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/mastodon-sandbox/sandbox/" in cookie
