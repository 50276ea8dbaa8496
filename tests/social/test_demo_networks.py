"""`make run`'s promise: the three sandboxes mounted, the demo's mentions on Bluesky and
Mastodon waiting, and one worker round bringing ideas in from every network and answering
each on its own network.

The site is served on a loopback port, as `make run` serves it, and the worker's connectors
reach the mounted sandboxes over HTTP through the real SDKs (tweepy, atproto, Mastodon.py).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from ideaboard.demo import BLUESKY_MENTIONS, MASTODON_MENTIONS, seed_open_sandboxes
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social.models import SocialAccount
from ideaboard.worker import Worker
from tests.helpers import serve


@pytest.fixture
def site(app_factory: Callable[..., Flask], tmp_path: Path) -> Iterator[Flask]:
    """The app as `make run` starts it: every sandbox mounted (their data in tmp_path)."""
    app = app_factory(
        **{
            f"IDEABOARD_{name}_SANDBOX{suffix}": value
            for name in ("X", "BLUESKY", "MASTODON")
            for suffix, value in (("", True), ("_DB", str(tmp_path / f"{name}.sqlite")))
        }
    )
    with app.app_context():
        yield app


def _timeline(site: Flask, network: str) -> list[dict[str, Any]]:
    client = site.test_client()
    body = client.get(
        f"/{network}-sandbox/sandbox/timeline", environ_base={"REMOTE_ADDR": "127.0.0.1"}
    ).get_json()
    return list(body["data"] if isinstance(body, dict) else body)


def test_the_demos_mentions_wait_once_and_one_round_imports_and_answers_every_network(
    site: Flask,
) -> None:
    bluesky = site.extensions["bluesky_sandbox"]
    mastodon = site.extensions["mastodon_sandbox"]
    waiting = len(BLUESKY_MENTIONS) + len(MASTODON_MENTIONS)
    assert seed_open_sandboxes(bluesky, mastodon) == waiting
    assert seed_open_sandboxes(bluesky, mastodon) == 0  # a second demo load adds nothing

    with serve(site) as url:
        site.config["IDEABOARD_PUBLIC_URL"] = url
        worker = Worker(threading.Event(), interval=0.01, once=True)
        worker.run_round()
        worker.run_round()  # the acknowledgements queued in the first round go out

    networks = {a.network for a in db.session.scalars(select(SocialAccount))}
    assert networks == {"x", "bluesky", "mastodon"}
    ideas = Counter(idea.source for idea in db.session.scalars(select(Idea)))
    assert ideas["bluesky"] == len(BLUESKY_MENTIONS)
    assert ideas["mastodon"] == len(MASTODON_MENTIONS)
    sent = Counter(
        row.kind
        for row in db.session.scalars(select(OutboxMessage).where(OutboxMessage.state == "sent"))
    )
    assert sent["bluesky_reply"] == len(BLUESKY_MENTIONS)
    assert sent["mastodon_reply"] == len(MASTODON_MENTIONS)
    brand_posts = [p for p in _timeline(site, "bluesky") if p["handle"] == "hanbit.bsky.social"]
    assert len(brand_posts) == len(BLUESKY_MENTIONS)
    toots = [s for s in _timeline(site, "mastodon") if s.get("acct") == "hanbit"]
    assert len(toots) == len(MASTODON_MENTIONS)
    warned = [s for s in toots if s.get("spoiler_text")]
    assert [s["spoiler_text"] for s in warned] == ["roaming bill"]  # the warning is kept
