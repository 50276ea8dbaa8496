"""Bluesky test fixtures: the sandbox PDS on a real loopback server, and connectors aimed at it.

tests/social/conftest.py imports them, so every test module under tests/social can use them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from ideaboard.social.bluesky import BlueskyConnector
from sandboxes.bluesky import SandboxStore, create_sandbox_app, post_mention
from tests.helpers import serve
from tests.social.bluesky.helpers import BLUESKY_APP_PASSWORD, BLUESKY_HANDLE, bluesky_settings


@pytest.fixture
def bluesky_db(tmp_path: Any) -> str:
    """The path of a fresh Bluesky sandbox database file."""
    return str(tmp_path / "bluesky_sandbox.sqlite")


@pytest.fixture
def bluesky_app(bluesky_db: str) -> Flask:
    """The Bluesky sandbox app over the test database."""
    app = create_sandbox_app(bluesky_db)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def bluesky_store(bluesky_app: Flask, bluesky_db: str) -> SandboxStore:
    """A store on the running sandbox's file (schema and brand already made)."""
    return SandboxStore(bluesky_db)


@pytest.fixture
def bluesky_url(bluesky_app: Flask) -> Iterator[str]:
    """Serve the sandbox on 127.0.0.1 (random port) in a thread; yield its service URL."""
    try:
        with serve(bluesky_app, name="bluesky-sandbox") as url:
            yield url
    finally:
        # Sessions kept in this process are keyed by the server's URL: a later test's sandbox
        # on the same port is another server, whose accounts have other DIDs.
        from ideaboard.social import bluesky

        with bluesky._PROCESS_SESSIONS_LOCK:
            bluesky._PROCESS_SESSIONS.clear()


@pytest.fixture
def make_bluesky_connector(bluesky_url: str) -> Iterator[Callable[..., BlueskyConnector]]:
    """A factory of connectors for the sandbox brand (overrides allowed); all closed after."""
    made: list[BlueskyConnector] = []

    def factory(**overrides: Any) -> BlueskyConnector:
        options: dict[str, Any] = {
            "handle": BLUESKY_HANDLE,
            "app_password": BLUESKY_APP_PASSWORD,
            "service_url": bluesky_url,
            "timeout": 5.0,
            **overrides,
        }
        connector = BlueskyConnector(**options)
        made.append(connector)
        return connector

    yield factory
    for connector in made:
        connector.close()


@pytest.fixture
def bluesky_connector(make_bluesky_connector: Callable[..., BlueskyConnector]) -> BlueskyConnector:
    """The brand's connector, over HTTP to the sandbox through the atproto SDK."""
    return make_bluesky_connector()


@pytest.fixture
def bluesky_mention(bluesky_store: SandboxStore) -> Callable[..., dict[str, Any]]:
    """A helper that posts as a customer (default: minji, mentioning the brand with #아이디어)."""

    def post(
        text: str = f"@{BLUESKY_HANDLE} 지하철 와이파이가 끊겨요 #아이디어",
        handle: str = "minji",
        **kwargs: Any,
    ) -> dict[str, Any]:
        return post_mention(bluesky_store, handle=handle, text=text, **kwargs)

    return post


@pytest.fixture
def bluesky_account(app: Flask, bluesky_url: str) -> Any:
    """The brand's Bluesky account on the sandbox, connected on first use as the worker and
    the CLI connect it (IDEABOARD_BLUESKY_* settings; a login tells its DID)."""
    from ideaboard.social import jobs

    app.config.update(bluesky_settings(bluesky_url))
    account = jobs.ensure_default_account()
    assert account is not None
    assert (account.network, account.username) == ("bluesky", BLUESKY_HANDLE)
    return account
