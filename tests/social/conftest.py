"""Social test fixtures: the sandbox X API on a real loopback server, and tweepy aimed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import tweepy
from flask import Flask

from ideaboard.social.x_client import make_x_client
from sandboxes.x import SandboxStore, create_sandbox_app, post_mention
from tests.helpers import serve
from tests.social.helpers import BRAND_ID, add_brand_account, x_settings


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
    with serve(sandbox_app, name="x-sandbox") as url:
        yield url


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


# --- IdeaBoard's own jobs against the loopback sandbox (import, delivery, fault and kill tests) --


@pytest.fixture
def x_app(app: Flask, sandbox_url: str) -> Flask:
    """Return the `app` fixture with its X client aimed at the sandbox on 127.0.0.1."""
    app.config.update(x_settings(sandbox_url))
    return app


@pytest.fixture
def brand_account(x_app: Flask) -> Any:
    """Return the connected brand account @hanbit (publish at once, acknowledge, default tags)."""
    return add_brand_account()


@pytest.fixture
def x_connector(brand_account: Any) -> Iterator[Any]:
    """Return jobs.connector_for(brand_account) — tweepy over real HTTP — closed afterwards."""
    from ideaboard.social import jobs

    connector = jobs.connector_for(brand_account)
    yield connector
    connector.close()


@pytest.fixture
def brand_replies(sandbox_store: SandboxStore) -> Callable[[], dict[str, list[dict[str, Any]]]]:
    """Return a helper: the brand's live replies in the sandbox timeline, by the post replied to."""
    from sandboxes.x import timeline

    def replies() -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        for post in timeline(sandbox_store):
            if (
                post["author_id"] == BRAND_ID
                and post["in_reply_to_tweet_id"]
                and not post["deleted"]
            ):
                found.setdefault(post["in_reply_to_tweet_id"], []).append(post)
        return found

    return replies


@pytest.fixture
def import_posts(
    brand_account: Any, x_connector: Any, sandbox_store: SandboxStore
) -> Callable[..., tuple[list[dict[str, Any]], list[Any]]]:
    """Return a helper: post each (username, text) as a mention, run one import, return the
    posts and the idea made from each (None when none was)."""
    from sqlalchemy import select

    from ideaboard.extensions import db
    from ideaboard.ideas.models import Idea
    from ideaboard.social import jobs

    def run(*mentions: tuple[str, str]) -> tuple[list[dict[str, Any]], list[Any]]:
        posts = [post_mention(sandbox_store, username=u, text=t) for u, t in mentions]
        jobs.run_import(brand_account, x_connector, owner="test-importer")
        ideas = [
            db.session.scalar(select(Idea).where(Idea.source_post_id == str(p["id"])))
            for p in posts
        ]
        return posts, ideas

    return run


# --- Bluesky: the sandbox PDS on loopback and connectors aimed at it (tests/social/bluesky) ---
from tests.social.bluesky.fixtures import (  # noqa: E402, F401  # fixtures, used by name
    bluesky_account,
    bluesky_app,
    bluesky_connector,
    bluesky_db,
    bluesky_mention,
    bluesky_store,
    bluesky_url,
    make_bluesky_connector,
)

# Bluesky's reference servers (PDS + AppView), once per session: see tests/social/devenv.py.
from tests.social.devenv import atproto_devenv, bluesky_brand, bluesky_customer  # noqa: E402, F401

# --- Mastodon: the sandbox Mastodon server on loopback, and the connector aimed at it ---------


@pytest.fixture
def make_mastodon_sandbox(tmp_path: Any) -> Iterator[Callable[..., tuple[str, Any]]]:
    """Return a factory: serve a fresh sandbox Mastodon server (create_sandbox_app options
    allowed) on 127.0.0.1 and return (base URL, its store); servers stop afterwards."""
    from contextlib import ExitStack
    from itertools import count

    from sandboxes.mastodon import SandboxStore as MastodonStore
    from sandboxes.mastodon import create_sandbox_app as create_mastodon_app

    numbers = count()
    with ExitStack() as stack:

        def factory(**options: Any) -> tuple[str, Any]:
            db = str(tmp_path / f"mastodon_{next(numbers)}.sqlite")
            app = create_mastodon_app(db, **options)
            app.config["TESTING"] = True
            url = stack.enter_context(serve(app, name="mastodon-sandbox"))
            return url, MastodonStore(db)

        yield factory


@pytest.fixture
def mastodon_sandbox(make_mastodon_sandbox: Callable[..., tuple[str, Any]]) -> tuple[str, Any]:
    """(base URL, store) of a sandbox Mastodon server allowing 500 characters per status."""
    return make_mastodon_sandbox()


@pytest.fixture
def mastodon_url(mastodon_sandbox: tuple[str, Any]) -> str:
    """The base URL of the running sandbox Mastodon server."""
    return mastodon_sandbox[0]


@pytest.fixture
def mastodon_store(mastodon_sandbox: tuple[str, Any]) -> Any:
    """The store of the running sandbox Mastodon server (to post as customers, set faults)."""
    return mastodon_sandbox[1]


@pytest.fixture
def make_mastodon_connector() -> Iterator[Callable[..., Any]]:
    """Return a factory of MastodonConnectors (real Mastodon.py over HTTP), closed afterwards."""
    from ideaboard.social.mastodon import MastodonConnector
    from sandboxes.mastodon import DEFAULT_TOKEN

    made: list[Any] = []

    def factory(base_url: str, **options: Any) -> Any:
        connector = MastodonConnector(
            base_url=base_url, access_token=options.pop("access_token", DEFAULT_TOKEN), **options
        )
        made.append(connector)
        return connector

    yield factory
    for connector in made:
        connector.close()


@pytest.fixture
def mastodon_connector(make_mastodon_connector: Callable[..., Any], mastodon_url: str) -> Any:
    """A MastodonConnector for @hanbit on the sandbox server (5 s timeout)."""
    return make_mastodon_connector(mastodon_url, timeout=5.0)


@pytest.fixture
def mastodon_app(tmp_path: Any) -> Flask:
    """A sandbox Mastodon app (not served) for Flask's test client; its pages open to
    requests whose environ has "test.staff" set, as IdeaBoard opens them to staff."""
    from sandboxes.mastodon import create_sandbox_app as create_mastodon_app

    app = create_mastodon_app(
        str(tmp_path / "mastodon_app.sqlite"), ui_access=lambda environ: "test.staff" in environ
    )
    app.config["TESTING"] = True
    return app


@pytest.fixture
def mastodon_account(app: Flask, mastodon_url: str) -> Any:
    """The brand's Mastodon account @hanbit on the sandbox server, connected the way the
    add-account command connects one (its identity and post limit asked of the server)."""
    from ideaboard.social import jobs
    from ideaboard.social.models import SocialAccount
    from sandboxes.mastodon import DEFAULT_TOKEN

    app.config.update(
        {
            "IDEABOARD_MASTODON_BASE_URL": mastodon_url,
            "IDEABOARD_MASTODON_ACCESS_TOKEN": DEFAULT_TOKEN,
            "IDEABOARD_X_TIMEOUT_SECONDS": 5.0,
        }
    )
    probe = SocialAccount(network="mastodon", username="", remote_user_id="")
    return jobs.connect_account(probe, mastodon_url)
