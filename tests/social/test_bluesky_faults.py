"""Under injected faults (30 % server errors and 429s, slow answers that time out), the
Bluesky connector reports each failure so that a caller retrying by its rules — retry what is
not final, check find_reply before resending what is ambiguous — reads every mention once and
replies to each exactly once. The core's own fault and kill tests drive the importer and the
outbox the same way; this one pins down the connector's half of the bargain."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from ideaboard.social.bluesky import BlueskyConnector
from ideaboard.social.connectors import FetchError, Mention, SendError
from sandboxes.bluesky import SandboxStore, clear_faults, set_faults, timeline
from tests.social.bluesky.helpers import BLUESKY_HANDLE

MentionFn = Callable[..., dict[str, Any]]
MAX_TRIES = 200
TIMEOUT_SLEEP_S = 0.4


def _fetch_all(connector: BlueskyConnector, since: str | None) -> list[Mention]:
    for _ in range(MAX_TRIES):
        try:
            return connector.fetch_mentions(since_id=since, start_time=None)
        except FetchError as error:
            if error.auth:
                raise AssertionError(
                    f"a fault was taken for refused credentials: {error}"
                ) from error
    raise AssertionError("fetching never succeeded")


def _reply_once(
    connector: BlueskyConnector, mention: Mention, text: str, counts: dict[str, int]
) -> None:
    check_first = False
    for _ in range(MAX_TRIES):
        try:
            if check_first and connector.find_reply(mention.id, text):
                return
            connector.post_reply(text, mention.id)
            return
        except SendError as error:
            if error.final or error.auth:
                raise AssertionError(f"a passing fault was taken as final: {error}") from error
            counts["ambiguous" if error.ambiguous else "retryable"] += 1
            if error.ambiguous:
                # A request that timed out may still be running on the server: wait until it
                # must have finished before asking whether it made the post (the outbox's
                # retry delay does this).
                check_first = True
                time.sleep(TIMEOUT_SLEEP_S + 0.1)
    raise AssertionError(f"replying to {mention.id} never succeeded")


@pytest.mark.slow
def test_every_mention_is_read_once_and_answered_once_under_faults(
    make_bluesky_connector: Callable[..., BlueskyConnector],
    bluesky_mention: MentionFn,
    bluesky_store: SandboxStore,
) -> None:
    posted = [
        bluesky_mention(f"@{BLUESKY_HANDLE} 아이디어 {i} #아이디어", handle=f"c{i}")
        for i in range(12)
    ]
    connector = make_bluesky_connector(timeout=0.25)
    set_faults(
        bluesky_store,
        error_rate=0.3,
        timeout_rate=0.1,
        timeout_sleep_s=TIMEOUT_SLEEP_S,
        seed=18,
    )
    first = _fetch_all(connector, None)
    more = [
        bluesky_mention(f"@{BLUESKY_HANDLE} 추가 {i} #아이디어", handle=f"d{i}") for i in range(5)
    ]
    second = _fetch_all(connector, first[-1].position)
    read = first + second
    assert [m.id for m in read] == [p["uri"] for p in posted + more]
    counts = {"ambiguous": 0, "retryable": 0}
    for mention in read:
        _reply_once(connector, mention, f"접수했어요: {mention.text[-6:]}", counts)
    set_faults(bluesky_store, burst_429=3, burst_429_reset_s=1)
    third = _fetch_all(connector, second[-1].position)
    assert third == []
    clear_faults(bluesky_store)
    replies: dict[str, int] = {}
    for post in timeline(bluesky_store):
        if post["handle"] == BLUESKY_HANDLE and not post["deleted"]:
            replies[post["reply_parent"]] = replies.get(post["reply_parent"], 0) + 1
    assert replies == {m.id: 1 for m in read}
    assert counts["retryable"] > 0  # the faults did strike
    assert counts["ambiguous"] > 0
