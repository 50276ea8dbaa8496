"""The Mastodon connector under injected faults, and the sandbox mounted under a prefix."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from ideaboard.social.connectors import FetchError, Mention, SendError
from ideaboard.social.mastodon import MastodonConnector
from sandboxes.mastodon import create_sandbox_app, post_mention, set_faults
from tests.helpers import serve
from tests.social.mastodon_helpers import brand_statuses


def _fetch_all(
    connector: MastodonConnector, since: str | None, seen: dict[str, int]
) -> list[Mention]:
    for _attempt in range(50):
        try:
            return connector.fetch_mentions(since_id=since, start_time=None)
        except FetchError as error:
            if error.auth:
                raise AssertionError(error.message) from error
            seen["rate limited" if error.retry_at else "failed"] += 1
    raise AssertionError("fetching never got through")


def _reply_once(
    connector: MastodonConnector, mention: Mention, text: str, seen: dict[str, int]
) -> None:
    """The outbox's rule: retry plain failures, ask find_reply after an ambiguous one."""
    for _attempt in range(50):
        try:
            connector.post_reply(text, mention.id)
            return
        except SendError as error:
            if error.final or error.auth:
                raise AssertionError(error.message) from error
            kind = (
                "ambiguous" if error.ambiguous else "rate limited" if error.retry_at else "failed"
            )
            seen[kind] += 1
            if error.ambiguous:
                time.sleep(0.7)  # let the server finish what the client gave up on
                try:
                    if connector.find_reply(mention.id, text):
                        return
                except SendError:
                    continue
    raise AssertionError(f"the reply to {mention.id} never got through")


@pytest.mark.slow
def test_under_30_percent_faults_every_mention_is_read_once_and_answered_once(
    make_mastodon_connector: Callable[..., MastodonConnector],
    mastodon_url: str,
    mastodon_store: Any,
) -> None:
    connector = make_mastodon_connector(mastodon_url, timeout=0.4)
    posted = [
        post_mention(mastodon_store, acct=f"user{i}", text=f"@hanbit 제안 {i} #아이디어")
        for i in range(12)
    ]
    set_faults(
        mastodon_store,
        error_rate=0.15,
        rate_429=0.05,
        reset_s=0,
        timeout_rate=0.1,
        timeout_sleep_s=0.6,
        seed=5,
    )
    seen = {"failed": 0, "rate limited": 0, "ambiguous": 0}
    mentions = _fetch_all(connector, None, seen)
    assert [m.id for m in mentions] == [str(p["id"]) for p in posted]
    for mention in mentions:
        _reply_once(connector, mention, f"감사합니다 ({mention.id[-4:]})", seen)
    set_faults(mastodon_store)
    time.sleep(0.7)  # a timed-out request the server is still finishing
    replies = brand_statuses(mastodon_store)
    assert sorted(r["in_reply_to_id"] for r in replies) == sorted(p["id"] for p in posted)
    assert _fetch_all(connector, mentions[-1].position, seen) == []
    assert seen["failed"] > 0  # the faults did happen
    assert seen["ambiguous"] > 0


def test_the_sandbox_works_mounted_under_a_prefix(
    make_mastodon_connector: Callable[..., MastodonConnector], tmp_path: Any
) -> None:
    host = Flask("host")
    sandbox = create_sandbox_app(str(tmp_path / "mounted.sqlite"))
    host.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
        host.wsgi_app, {"/mastodon-sandbox": sandbox}
    )
    store = sandbox.extensions["mastodon_sandbox"].store
    with serve(host) as url:
        base = f"{url}/mastodon-sandbox"
        connector = make_mastodon_connector(base)
        status = post_mention(store, acct="minji", text="@hanbit 안녕 #아이디어")
        [mention] = connector.fetch_mentions(since_id=None, start_time=None)
        assert mention.permalink == f"{base}/@minji/{status['id']}"
        posted = connector.post_reply("반가워요", mention.id)
        assert posted.url.startswith(f"{base}/@hanbit/")
        assert connector.instance_limits().max_characters == 500
