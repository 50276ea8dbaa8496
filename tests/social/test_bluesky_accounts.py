"""A Bluesky brand account connected through IdeaBoard's own paths, against the sandbox.

The configured account is connected on first use (the worker's ensure_default_account logs
in and keeps its DID); a further one with `add-account --network bluesky`; refused app
passwords and plain http to another machine are clear errors; and every process reuses one
login session kept in the instance folder (Bluesky allows about 100 logins a day).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from ideaboard.extensions import db
from ideaboard.social import jobs
from ideaboard.social.connectors import FetchError
from ideaboard.social.models import SocialAccount
from sandboxes.bluesky import SandboxStore, add_account, session_stats
from tests.helpers import csrf_token, login
from tests.social.bluesky.helpers import BLUESKY_APP_PASSWORD, BLUESKY_HANDLE, bluesky_settings


@pytest.fixture
def bluesky_site(app: Flask, bluesky_url: str) -> Flask:
    """The app with its Bluesky settings aimed at the sandbox on 127.0.0.1."""
    app.config.update(bluesky_settings(bluesky_url))
    return app


def _cli(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["ideaboard", "add-account", *args])


def test_the_configured_account_is_connected_once_with_its_did(
    bluesky_site: Flask, bluesky_store: SandboxStore
) -> None:
    jobs.ensure_default_account()
    jobs.ensure_default_account()  # the second call finds it
    (account,) = db.session.scalars(select(SocialAccount)).all()
    assert (account.network, account.username) == ("bluesky", BLUESKY_HANDLE)
    assert account.remote_user_id.startswith("did:plc:")
    assert account.service_url == bluesky_site.config["IDEABOARD_BLUESKY_SERVICE"]


def test_every_connector_of_an_account_reuses_one_login_session(
    bluesky_site: Flask, bluesky_store: SandboxStore
) -> None:
    account = jobs.ensure_default_account()
    assert account is not None
    logins_after_connecting = session_stats(bluesky_store)["made"]
    for _ in range(3):  # three worker rounds, or three cron runs of import-mentions
        connector = jobs.connector_for(account)
        try:
            assert connector.fetch_mentions(since_id=None, start_time=None) == []
        finally:
            connector.close()
    assert session_stats(bluesky_store)["made"] == logins_after_connecting + 1
    (kept,) = (Path(bluesky_site.instance_path) / "bluesky-sessions").iterdir()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert BLUESKY_APP_PASSWORD not in kept.read_text(encoding="utf-8")


def test_add_account_connects_a_second_bluesky_account_from_its_app_password(
    bluesky_site: Flask, bluesky_store: SandboxStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    did = add_account(bluesky_store, "hanbit-help.bsky.social", "help-pass-0000-0000")
    monkeypatch.setenv(
        "IDEABOARD_BLUESKY_HANBIT_HELP_BSKY_SOCIAL_APP_PASSWORD", "help-pass-0000-0000"
    )
    result = _cli(bluesky_site, "--network", "bluesky", "--username", "@Hanbit-Help.bsky.social")
    assert result.exit_code == 0, result.output
    assert "Connected @hanbit-help.bsky.social on bluesky" in result.output
    account = db.session.scalars(select(SocialAccount)).one()
    assert account.remote_user_id == did
    again = _cli(bluesky_site, "--network", "bluesky", "--username", "hanbit-help.bsky.social")
    assert again.exit_code == 1
    assert "connected already" in again.output


def test_a_refused_app_password_or_a_missing_one_is_a_clear_error(
    bluesky_site: Flask, bluesky_store: SandboxStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_account(bluesky_store, "shop.bsky.social", "shop-pass-0000-0000")
    missing = _cli(bluesky_site, "--network", "bluesky", "--username", "shop.bsky.social")
    assert missing.exit_code == 1
    assert "IDEABOARD_BLUESKY_SHOP_BSKY_SOCIAL_APP_PASSWORD" in missing.output
    monkeypatch.setenv("IDEABOARD_BLUESKY_SHOP_BSKY_SOCIAL_APP_PASSWORD", "wrong-pass-0000-0000")
    refused = _cli(bluesky_site, "--network", "bluesky", "--username", "shop.bsky.social")
    assert refused.exit_code == 1
    assert "refused" in refused.output
    assert "wrong-pass" not in refused.output  # never the secret
    assert db.session.scalars(select(SocialAccount)).all() == []


def test_a_server_in_clear_text_on_another_machine_is_refused(
    bluesky_site: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDEABOARD_BLUESKY_SHOP_BSKY_SOCIAL_APP_PASSWORD", "shop-pass-0000-0000")
    result = _cli(
        bluesky_site, "--network", "bluesky", "--username", "shop.bsky.social",
        "--service", "http://pds.example.com",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "https://" in result.output
    assert "shop-pass" not in result.output
    assert os.environ.get("IDEABOARD_BLUESKY_SHOP_BSKY_SOCIAL_APP_PASSWORD")  # still set


def test_a_revoked_app_password_pauses_the_account_for_an_hour_with_the_reason_for_staff(
    bluesky_site: Flask,
    bluesky_store: SandboxStore,
    client: Any,
    make_user: Any,
    clock: Any,
) -> None:
    from sandboxes.bluesky import expire_app_password

    account = jobs.ensure_default_account()
    assert account is not None
    expire_app_password(bluesky_store, BLUESKY_HANDLE)
    connector = jobs.connector_for(account)
    try:
        with pytest.raises(FetchError) as refused:
            jobs.run_import(account, connector, owner="test")
    finally:
        connector.close()
    assert refused.value.auth
    db.session.expire_all()
    account = db.session.get_one(SocialAccount, account.id)
    assert account.last_error is not None
    assert "refused the credentials" in account.last_error
    assert BLUESKY_APP_PASSWORD not in account.last_error
    assert account.next_poll_at is not None
    wait = account.next_poll_at - clock.now()
    assert 59 * 60 <= wait.total_seconds() <= 60 * 60  # tried again hourly, not in a loop
    connector = jobs.connector_for(account)
    try:
        assert jobs.run_import(account, connector, owner="test") is None  # not polled yet
    finally:
        connector.close()
    login(client, make_user("staff"))
    page = client.get("/staff/accounts").get_data(as_text=True)
    assert "refused the credentials" in page


def test_an_admin_connects_a_bluesky_account_on_the_accounts_page(
    bluesky_site: Flask,
    bluesky_store: SandboxStore,
    client: Any,
    make_user: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    did = add_account(bluesky_store, "hanbit-shop.bsky.social", "shop-pass-1111-2222")
    monkeypatch.setenv(
        "IDEABOARD_BLUESKY_HANBIT_SHOP_BSKY_SOCIAL_APP_PASSWORD", "shop-pass-1111-2222"
    )
    login(client, make_user("admin"))
    page = client.get("/staff/accounts").get_data(as_text=True)
    assert '<option value="bluesky">Bluesky</option>' in page
    form = {
        "new-csrf_token": csrf_token(client),
        "new-network": "bluesky",
        "new-username": "hanbit-shop.bsky.social",
        "new-service": "",
    }
    response = client.post("/staff/accounts/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    account = db.session.scalars(select(SocialAccount)).one()
    assert (account.network, account.remote_user_id) == ("bluesky", did)
    shown = client.get("/staff/accounts").get_data(as_text=True)
    assert "@hanbit-shop.bsky.social is connected." in shown
    assert "300 characters (an emoji or a Korean syllable is one)" in shown
    form["new-username"] = "not a handle"
    refused = client.post("/staff/accounts/new", data=form)
    assert refused.status_code == 422
    assert "A Bluesky handle is a domain name" in refused.get_data(as_text=True)
