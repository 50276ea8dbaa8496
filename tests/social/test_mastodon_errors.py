"""How the Mastodon connector reports the server's refusals and failures (real Mastodon.py,
real HTTP, the sandbox's fault switches)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ideaboard.social.connectors import FetchError, SendError
from ideaboard.social.mastodon import MastodonConnector
from sandboxes.mastodon import (
    delete_status,
    post_mention,
    restore_token,
    revoke_token,
    set_faults,
    set_rate_limit,
)
from tests.social.mastodon_helpers import brand_statuses


def test_an_injected_429_gives_retry_at_from_the_reset_header(
    mastodon_connector: MastodonConnector, mastodon_store: Any
) -> None:
    set_faults(mastodon_store, burst_429=1, reset_s=120, endpoint="notifications")
    started = time.monotonic()
    with pytest.raises(FetchError) as error:
        mastodon_connector.fetch_mentions(since_id=None, start_time=None)
    assert time.monotonic() - started < 5  # Mastodon.py reported it; it did not wait 120 s
    retry_at = error.value.retry_at
    assert retry_at is not None
    assert not error.value.auth
    expected = datetime.now(UTC) + timedelta(seconds=120)
    assert abs((retry_at - expected).total_seconds()) < 5
    assert mastodon_connector.fetch_mentions(since_id=None, start_time=None) == []  # burst over


def test_a_spent_rate_window_gives_429_with_the_windows_reset_on_send(
    mastodon_connector: MastodonConnector, mastodon_store: Any
) -> None:
    status = post_mention(mastodon_store, acct="minji", text="@hanbit 제안")
    set_rate_limit(mastodon_store, limit=1, window_s=600)
    with pytest.raises(SendError) as error:
        mastodon_connector.post_reply("감사합니다", str(status["id"]))  # status read, then 429
    assert error.value.retry_at is not None
    assert not error.value.final
    assert not error.value.ambiguous
    expected = datetime.now(UTC) + timedelta(seconds=600)
    assert abs((error.value.retry_at - expected).total_seconds()) < 5
    assert brand_statuses(mastodon_store) == []


def test_a_revoked_token_is_an_auth_error_on_read_and_send(
    mastodon_connector: MastodonConnector, mastodon_store: Any
) -> None:
    status = post_mention(mastodon_store, acct="minji", text="@hanbit 제안")
    revoke_token(mastodon_store)
    with pytest.raises(FetchError) as fetch_error:
        mastodon_connector.fetch_mentions(since_id=None, start_time=None)
    assert fetch_error.value.auth
    with pytest.raises(SendError) as send_error:
        mastodon_connector.post_reply("감사합니다", str(status["id"]))
    assert send_error.value.auth
    assert not send_error.value.final
    restore_token(mastodon_store)
    assert len(mastodon_connector.fetch_mentions(since_id=None, start_time=None)) == 1


def test_a_wrong_token_is_an_auth_error(
    make_mastodon_connector: Callable[..., MastodonConnector], mastodon_url: str
) -> None:
    connector = make_mastodon_connector(mastodon_url, access_token="not-the-token")
    assert connector.instance_limits().max_characters == 500  # needs no token
    with pytest.raises(FetchError) as error:
        connector.fetch_mentions(since_id=None, start_time=None)
    assert error.value.auth
    with pytest.raises(SendError) as send_error:
        connector.post("안녕")
    assert send_error.value.auth


def test_server_errors_are_retryable_not_final(
    mastodon_connector: MastodonConnector, mastodon_store: Any
) -> None:
    status = post_mention(mastodon_store, acct="minji", text="@hanbit 제안")
    set_faults(mastodon_store, error_rate=1.0, error_status=500, endpoint="statuses.create")
    with pytest.raises(SendError) as error:
        mastodon_connector.post_reply("감사합니다", str(status["id"]))
    assert not (error.value.final)
    assert not (error.value.ambiguous)
    assert not (error.value.auth)
    assert error.value.retry_at is None
    set_faults(mastodon_store, error_rate=1.0, error_status=503, endpoint="notifications")
    with pytest.raises(FetchError) as fetch_error:
        mastodon_connector.fetch_mentions(since_id=None, start_time=None)
    assert not fetch_error.value.auth
    assert fetch_error.value.retry_at is None
    set_faults(mastodon_store)
    mastodon_connector.post_reply("감사합니다", str(status["id"]))
    assert len(brand_statuses(mastodon_store)) == 1


def test_a_timed_out_send_is_ambiguous_and_find_reply_then_finds_it(
    make_mastodon_connector: Callable[..., MastodonConnector],
    mastodon_url: str,
    mastodon_store: Any,
) -> None:
    connector = make_mastodon_connector(mastodon_url, timeout=0.5)
    status = post_mention(mastodon_store, acct="minji", text="@hanbit 제안")
    set_faults(
        mastodon_store,
        timeout_rate=1.0,
        timeout_sleep_s=1.0,
        timeout_then="complete",
        endpoint="statuses.create",
    )
    with pytest.raises(SendError) as error:
        connector.post_reply("검토하겠습니다", str(status["id"]))
    assert error.value.ambiguous
    assert not error.value.final
    deadline = time.monotonic() + 5
    while not brand_statuses(mastodon_store) and time.monotonic() < deadline:
        time.sleep(0.05)
    [made] = brand_statuses(mastodon_store)  # the server went on and made it
    assert connector.find_reply(str(status["id"]), "검토하겠습니다") == str(made["id"])


def test_replying_to_a_deleted_status_is_final(
    mastodon_connector: MastodonConnector, mastodon_store: Any
) -> None:
    status = post_mention(mastodon_store, acct="minji", text="@hanbit 곧 지울 글")
    delete_status(mastodon_store, status["id"])
    with pytest.raises(SendError) as error:
        mastodon_connector.post_reply("감사합니다", str(status["id"]))
    assert error.value.final
    with pytest.raises(SendError) as missing:
        mastodon_connector.post_reply("감사합니다", "123456789")
    assert missing.value.final


def test_a_status_too_long_for_the_server_is_final(
    mastodon_connector: MastodonConnector, mastodon_store: Any
) -> None:
    with pytest.raises(SendError) as error:
        mastodon_connector.post("가" * 501)
    assert error.value.final
    assert "422" in error.value.message
    mastodon_connector.post("가" * 500)
    assert len(brand_statuses(mastodon_store)) == 1


def test_a_server_that_cannot_be_reached_is_a_fetch_error_and_an_ambiguous_send() -> None:
    connector = MastodonConnector(base_url="http://127.0.0.1:9", access_token="t", timeout=1.0)
    try:
        with pytest.raises(FetchError) as fetch_error:
            connector.fetch_mentions(since_id=None, start_time=None)
        assert not fetch_error.value.auth
        with pytest.raises(SendError) as send_error:
            connector.post("안녕")
        assert send_error.value.ambiguous
    finally:
        connector.close()


def test_find_reply_reports_its_own_failures_as_send_errors(
    make_mastodon_connector: Callable[..., MastodonConnector],
    mastodon_url: str,
    mastodon_store: Any,
) -> None:
    status = post_mention(mastodon_store, acct="minji", text="@hanbit 제안")
    fresh = make_mastodon_connector(mastodon_url)  # has not asked who it is yet
    set_faults(mastodon_store, error_rate=1.0, error_status=503, endpoint="verify_credentials")
    with pytest.raises(SendError) as unknown:
        fresh.find_reply(str(status["id"]), "감사합니다")
    assert unknown.value.ambiguous
    set_faults(mastodon_store)
    revoke_token(mastodon_store)
    with pytest.raises(SendError) as refused:
        fresh.find_reply(str(status["id"]), "감사합니다")
    assert refused.value.auth
