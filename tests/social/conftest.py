"""Social test fixtures: the sandbox X API on a real loopback server, and tweepy aimed at it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import tweepy
from flask import Flask
from werkzeug.serving import make_server

from ideaboard.social.sandbox import SandboxStore, create_sandbox_app, post_mention
from ideaboard.social.x_client import make_x_client

BRAND_ID = "1500000000000000001"


@pytest.fixture
def sandbox_db(tmp_path: Any) -> str:
    """Return the path of a fresh sandbox database file."""
    return str(tmp_path / "x_sandbox.sqlite")


@pytest.fixture
def sandbox_app(sandbox_db: str) -> Flask:
    """Return the sandbox app over the test database."""
    app = create_sandbox_app(sandbox_db)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def sandbox_store(sandbox_app: Flask, sandbox_db: str) -> SandboxStore:
    """Return a store on the same file as the running sandbox (schema already created)."""
    return SandboxStore(sandbox_db)


@pytest.fixture
def sandbox_url(sandbox_app: Flask) -> Iterator[str]:
    """Serve the sandbox on 127.0.0.1 (random port) in a thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, sandbox_app, threaded=True)
    server.daemon_threads = False  # so server_close() waits for handler threads to finish
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="x-sandbox", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def make_client(sandbox_url: str) -> Iterator[Callable[..., tweepy.Client]]:
    """Return a factory of tweepy clients aimed at the sandbox; sessions are closed afterwards."""
    clients: list[tweepy.Client] = []

    def factory(*, timeout: float = 5.0, **overrides: Any) -> tweepy.Client:
        options: dict[str, Any] = {
            "bearer_token": "test-bearer",
            "consumer_key": "ck",
            "consumer_secret": "cs",
            "access_token": "at",
            "access_token_secret": "ats",
            "api_url": sandbox_url,
            "timeout": timeout,
            **overrides,
        }
        client = make_x_client(**options)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.session.close()


@pytest.fixture
def x_client(make_client: Callable[..., tweepy.Client]) -> tweepy.Client:
    """Return a tweepy client aimed at the sandbox."""
    return make_client()


@pytest.fixture
def mention(sandbox_store: SandboxStore) -> Callable[..., dict[str, Any]]:
    """Return a helper that posts as a customer (default: a mention of @hanbit)."""

    def post(
        text: str = "@hanbit 좋은 아이디어 #아이디어", username: str = "minji", **kw: Any
    ) -> dict[str, Any]:
        return post_mention(sandbox_store, username=username, text=text, **kw)

    return post
