"""IDEABOARD_X_API_URL: signed X traffic goes over https, or plain http to this machine only.

Checked when the app starts (a clear error) and again when an X client is built. The second
half builds the connector inside an app, so it runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from ideaboard.config import check_x_api_url
from ideaboard.social.x_client import XSession, make_x_client

SAFE = [
    "https://api.x.com",
    "https://x-proxy.internal:8443/x",
    "http://127.0.0.1:5055",
    "http://127.9.9.9/x-sandbox",
    "http://[::1]:5055",
    "http://localhost:5000/x-sandbox",
    "HTTP://LOCALHOST",
]
UNSAFE = [
    "http://api.x.com",
    "http://10.0.0.5:8080",
    "http://x-proxy.internal",
    "http://127.0.0.1.evil.example",
    "http://127.0.0.1@evil.example/",
    "http://localhost.evil.example",
    "http://[::ffff:8.8.8.8]",
    "ftp://127.0.0.1",
    "https://",
    "http://[::1",
    "127.0.0.1:5055",
]


@pytest.mark.parametrize("url", SAFE)
def test_https_or_loopback_is_accepted(url: str) -> None:
    check_x_api_url(url)
    assert XSession(api_url=url).api_url == url.rstrip("/")


@pytest.mark.parametrize("url", UNSAFE)
def test_plain_http_elsewhere_is_refused(url: str) -> None:
    with pytest.raises(RuntimeError, match="IDEABOARD_X_API_URL must be an https:// URL"):
        check_x_api_url(url)
    with pytest.raises(RuntimeError, match="clear text"):
        make_x_client(
            bearer_token=None,
            consumer_key="ck",
            consumer_secret="cs",
            access_token="at",
            access_token_secret="ats",
            api_url=url,
        )


def test_the_app_refuses_to_start(app_factory: Callable[..., Flask]) -> None:
    with pytest.raises(RuntimeError, match="http://x-relay.example"):
        app_factory(IDEABOARD_X_API_URL="http://x-relay.example/2", IDEABOARD_X_CONSUMER_KEY="k")


def test_the_environment_is_checked_too(
    app_factory: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDEABOARD_X_API_URL", "http://192.0.2.10:8080")
    with pytest.raises(RuntimeError, match="192.0.2.10"):
        app_factory()


def test_the_connector_checks_at_use_time(app: Flask) -> None:
    """A URL changed after start (or a sandbox URL built from a plain-http public address)."""
    from ideaboard.social import jobs
    from ideaboard.social.models import SocialAccount

    account = SocialAccount(network="x", remote_user_id="1", username="hanbit")
    app.config.update(IDEABOARD_X_API_URL="http://203.0.113.40", IDEABOARD_X_CONSUMER_KEY="k")
    with pytest.raises(RuntimeError, match="203.0.113.40"):
        jobs.connector_for(account)
    app.config.update(
        IDEABOARD_X_API_URL=None,
        IDEABOARD_X_CONSUMER_KEY=None,
        IDEABOARD_X_SANDBOX=True,
        IDEABOARD_PUBLIC_URL="http://ideas.example.com",
    )
    with pytest.raises(RuntimeError, match="ideas.example.com"):
        jobs.x_api_url()
    app.config.update(IDEABOARD_PUBLIC_URL="http://127.0.0.1:5000")
    assert jobs.x_api_url() == "http://127.0.0.1:5000/x-sandbox"
    app.config.update(IDEABOARD_X_SANDBOX=False, IDEABOARD_X_API_URL="https://x-relay.example")
    connector = jobs.connector_for(account)
    try:
        assert connector.client.session.api_url == "https://x-relay.example"
    finally:
        connector.close()
