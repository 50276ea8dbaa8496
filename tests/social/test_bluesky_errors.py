"""How the Bluesky connector meets trouble, through the SDK over HTTP to the sandbox: rate
limits (retry_at from ratelimit-reset), server errors, timeouts, sessions that end or refresh,
and an app password that was revoked (auth=True, never retried for ever, never shown)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from ideaboard.social.bluesky import BlueskyConnector
from ideaboard.social.connectors import FetchError, SendError
from sandboxes.bluesky import (
    SandboxStore,
    expire_app_password,
    restore_app_password,
    revoke_sessions,
    session_stats,
    set_faults,
    set_rate_limits,
    set_token_lifetimes,
    timeline,
)
from tests.social.bluesky.helpers import BLUESKY_APP_PASSWORD, BLUESKY_HANDLE

MentionFn = Callable[..., dict[str, Any]]
ConnectorFactory = Callable[..., BlueskyConnector]


def test_a_429_on_fetch_gives_retry_at_from_the_ratelimit_reset_header(
    bluesky_connector: BlueskyConnector, bluesky_store: SandboxStore
) -> None:
    set_faults(
        bluesky_store,
        burst_429=1,
        burst_429_reset_s=30,
        endpoint="app.bsky.notification.listNotifications",
    )
    with pytest.raises(FetchError) as caught:
        bluesky_connector.fetch_mentions(since_id=None, start_time=None)
    assert caught.value.retry_at is not None
    assert 25 <= (caught.value.retry_at - datetime.now(UTC)).total_seconds() <= 32
    assert not caught.value.auth
    assert bluesky_connector.fetch_mentions(since_id=None, start_time=None) == []


def test_a_429_on_send_gives_retry_at_and_is_neither_final_nor_ambiguous(
    bluesky_connector: BlueskyConnector, bluesky_mention: MentionFn, bluesky_store: SandboxStore
) -> None:
    mention = bluesky_mention()
    set_faults(
        bluesky_store, burst_429=1, burst_429_reset_s=60, endpoint="com.atproto.repo.createRecord"
    )
    with pytest.raises(SendError) as caught:
        bluesky_connector.post_reply("둘째 답장", mention["uri"])
    assert caught.value.retry_at is not None
    assert 55 <= (caught.value.retry_at - datetime.now(UTC)).total_seconds() <= 62
    assert not caught.value.final
    assert not caught.value.ambiguous
    assert bluesky_connector.post_reply("둘째 답장", mention["uri"]).id


def test_an_exhausted_rate_limit_window_gives_its_reset_time(
    bluesky_connector: BlueskyConnector, bluesky_store: SandboxStore
) -> None:
    set_rate_limits(bluesky_store, scale=0.002)  # 3000 requests per 5 minutes -> 6
    for _ in range(5):  # the login and five reads
        bluesky_connector.fetch_mentions(since_id=None, start_time=None)
    with pytest.raises(FetchError) as caught:
        bluesky_connector.fetch_mentions(since_id=None, start_time=None)
    assert caught.value.retry_at is not None
    assert 0 < (caught.value.retry_at - datetime.now(UTC)).total_seconds() <= 301


def test_server_errors_are_retryable_on_fetch_and_send(
    bluesky_connector: BlueskyConnector, bluesky_mention: MentionFn, bluesky_store: SandboxStore
) -> None:
    mention = bluesky_mention()
    bluesky_connector.fetch_mentions(since_id=None, start_time=None)  # logged in
    set_faults(bluesky_store, error_rate=1.0, error_status=500, seed=1)
    with pytest.raises(FetchError) as fetch:
        bluesky_connector.fetch_mentions(since_id=None, start_time=None)
    assert fetch.value.retry_at is None
    assert not fetch.value.auth
    assert "500" in fetch.value.message
    with pytest.raises(SendError) as send:
        bluesky_connector.post_reply("답장", mention["uri"])
    assert not send.value.final
    assert not send.value.ambiguous
    assert not send.value.auth
    set_faults(
        bluesky_store, error_rate=1.0, error_status=502, endpoint="com.atproto.repo.createRecord"
    )
    with pytest.raises(SendError) as gateway:
        bluesky_connector.post_reply("답장", mention["uri"])
    assert not gateway.value.final
    assert not gateway.value.ambiguous
    # A gateway timeout is a timeout: the post may exist, check before sending again.
    set_faults(
        bluesky_store, error_rate=1.0, error_status=504, endpoint="com.atproto.repo.createRecord"
    )
    with pytest.raises(SendError) as gateway_timeout:
        bluesky_connector.post_reply("답장", mention["uri"])
    assert gateway_timeout.value.ambiguous
    assert not gateway_timeout.value.final


def test_a_timeout_on_send_is_ambiguous_and_find_reply_then_finds_the_post(
    make_bluesky_connector: ConnectorFactory,
    bluesky_mention: MentionFn,
    bluesky_store: SandboxStore,
) -> None:
    mention = bluesky_mention()
    connector = make_bluesky_connector(timeout=0.5)
    connector.fetch_mentions(since_id=None, start_time=None)
    set_faults(
        bluesky_store,
        timeout_rate=1.0,
        timeout_sleep_s=1.0,
        endpoint="com.atproto.repo.createRecord",
    )
    with pytest.raises(SendError) as caught:
        connector.post_reply("접수했어요", mention["uri"])
    assert caught.value.ambiguous
    assert not caught.value.final
    set_faults(bluesky_store)
    deadline = time.monotonic() + 5
    found = None
    while (
        found is None and time.monotonic() < deadline
    ):  # the server finishes after the client gave up
        found = connector.find_reply(mention["uri"], "접수했어요")
        time.sleep(0.05)
    assert found is not None
    assert [p["uri"] for p in timeline(bluesky_store) if p["handle"] == BLUESKY_HANDLE] == [found]


def test_a_timeout_while_looking_up_the_parent_is_not_ambiguous(
    make_bluesky_connector: ConnectorFactory,
    bluesky_mention: MentionFn,
    bluesky_store: SandboxStore,
) -> None:
    mention = bluesky_mention()
    connector = make_bluesky_connector(timeout=0.3)
    connector.fetch_mentions(since_id=None, start_time=None)
    set_faults(
        bluesky_store, timeout_rate=1.0, timeout_sleep_s=0.6, endpoint="app.bsky.feed.getPosts"
    )
    with pytest.raises(SendError) as caught:
        connector.post_reply("접수했어요", mention["uri"])
    assert not caught.value.ambiguous  # nothing was sent yet


def test_a_revoked_app_password_is_auth_error_for_staff_without_the_password(
    bluesky_connector: BlueskyConnector, bluesky_mention: MentionFn, bluesky_store: SandboxStore
) -> None:
    mention = bluesky_mention()
    bluesky_connector.fetch_mentions(since_id=None, start_time=None)
    expire_app_password(bluesky_store, BLUESKY_HANDLE)
    with pytest.raises(FetchError) as fetch:
        bluesky_connector.fetch_mentions(since_id=None, start_time=None)
    assert fetch.value.auth
    assert fetch.value.retry_at is None
    assert BLUESKY_HANDLE in fetch.value.message
    assert "App passwords" in fetch.value.message
    assert BLUESKY_APP_PASSWORD not in fetch.value.message
    with pytest.raises(SendError) as send:
        bluesky_connector.post_reply("답장", mention["uri"])
    assert send.value.auth
    assert not send.value.ambiguous
    assert BLUESKY_APP_PASSWORD not in send.value.message
    assert BLUESKY_APP_PASSWORD not in repr(bluesky_connector)
    restore_app_password(bluesky_store, BLUESKY_HANDLE)
    assert len(bluesky_connector.fetch_mentions(since_id=None, start_time=None)) == 1


def test_a_wrong_app_password_is_refused_at_once(make_bluesky_connector: ConnectorFactory) -> None:
    connector = make_bluesky_connector(app_password="wrong-pass-word-here")
    with pytest.raises(FetchError) as caught:
        connector.fetch_mentions(since_id=None, start_time=None)
    assert caught.value.auth
    assert "wrong-pass-word-here" not in caught.value.message


def test_a_revoked_session_is_replaced_by_logging_in_again(
    bluesky_connector: BlueskyConnector, bluesky_mention: MentionFn, bluesky_store: SandboxStore
) -> None:
    bluesky_mention()
    assert len(bluesky_connector.fetch_mentions(since_id=None, start_time=None)) == 1
    assert revoke_sessions(bluesky_store) == 1
    assert len(bluesky_connector.fetch_mentions(since_id=None, start_time=None)) == 1
    assert session_stats(bluesky_store)["made"] == 2


def test_the_sdk_refreshes_a_short_lived_session_and_the_store_keeps_it(
    make_bluesky_connector: ConnectorFactory,
    bluesky_mention: MentionFn,
    bluesky_store: SandboxStore,
) -> None:
    bluesky_mention()
    # Access tokens of 60 s: the SDK refreshes any token within 15 minutes of expiry.
    set_token_lifetimes(bluesky_store, access_s=60, refresh_s=3600)
    saved: list[str] = []
    connector = make_bluesky_connector(session_store=(lambda: None, saved.append))
    connector.fetch_mentions(since_id=None, start_time=None)
    connector.fetch_mentions(since_id=None, start_time=None)
    stats = session_stats(bluesky_store)
    assert stats["made"] == 1
    assert stats["refreshes"] >= 1
    assert len(saved) >= 2  # the login and each refresh
    assert saved[-1] == connector.session_string
    assert BLUESKY_APP_PASSWORD not in saved[-1]


def test_a_saved_session_is_reused_without_a_new_login(
    make_bluesky_connector: ConnectorFactory,
    bluesky_mention: MentionFn,
    bluesky_store: SandboxStore,
) -> None:
    bluesky_mention()
    saved: list[str] = []
    first = make_bluesky_connector(session_store=(lambda: None, saved.append))
    first.fetch_mentions(since_id=None, start_time=None)
    second = make_bluesky_connector(session_store=(lambda: saved[-1], saved.append))
    assert len(second.fetch_mentions(since_id=None, start_time=None)) == 1
    assert session_stats(bluesky_store)["made"] == 1
    # A session saved for another service is not used there.
    other = make_bluesky_connector(
        service_url=first.service_url + "/", session_store=(lambda: "junk", saved.append)
    )
    assert len(other.fetch_mentions(since_id=None, start_time=None)) == 1
    assert session_stats(bluesky_store)["made"] == 2


def test_an_expired_saved_session_falls_back_to_the_app_password(
    make_bluesky_connector: ConnectorFactory,
    bluesky_mention: MentionFn,
    bluesky_store: SandboxStore,
) -> None:
    bluesky_mention()
    saved: list[str] = []
    first = make_bluesky_connector(session_store=(lambda: None, saved.append))
    first.fetch_mentions(since_id=None, start_time=None)
    revoke_sessions(bluesky_store)
    second = make_bluesky_connector(session_store=(lambda: saved[-1], saved.append))
    assert len(second.fetch_mentions(since_id=None, start_time=None)) == 1
    assert session_stats(bluesky_store)["made"] == 2


def test_a_damaged_saved_session_is_replaced_by_a_login(
    make_bluesky_connector: ConnectorFactory, bluesky_url: str, bluesky_store: SandboxStore
) -> None:
    damaged = json.dumps(
        {
            "service": bluesky_url,
            "session": f"{BLUESKY_HANDLE}:::did:plc:x:::not-a-jwt:::not-a-jwt:::{bluesky_url}/xrpc",
        }
    )
    saved: list[str] = []
    connector = make_bluesky_connector(session_store=(lambda: damaged, saved.append))
    assert connector.fetch_mentions(since_id=None, start_time=None) == []
    assert session_stats(bluesky_store)["made"] == 1
    assert json.loads(saved[-1])["service"] == bluesky_url


def test_connectors_made_per_round_share_one_session_in_the_process(
    make_bluesky_connector: ConnectorFactory,
    bluesky_mention: MentionFn,
    bluesky_store: SandboxStore,
) -> None:
    bluesky_mention()
    for _ in range(3):  # the worker makes a connector for each round
        connector = make_bluesky_connector()
        assert len(connector.fetch_mentions(since_id=None, start_time=None)) == 1
        connector.close()
    assert session_stats(bluesky_store)["made"] == 1
    # Another app password is another key: its session is its own (and here, refused).
    other = make_bluesky_connector(app_password="othe-rpas-swor-d000")
    with pytest.raises(FetchError) as caught:
        other.fetch_mentions(since_id=None, start_time=None)
    assert caught.value.auth
