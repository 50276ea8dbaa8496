"""Rate limits and injected faults of the sandbox, as tweepy and requests see them."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests
import tweepy

from sandboxes.x import SandboxStore, set_faults, set_rate_limits
from sandboxes.x.faults import draw

BRAND_ID = "1500000000000000001"  # create_sandbox_app's default brand account


def test_exhausted_limit_raises_too_many_requests_with_reset_time(
    x_client: tweepy.Client, sandbox_store: SandboxStore
) -> None:
    set_rate_limits(sandbox_store, scale=0.02)  # users/me: 75 -> 1 per window
    x_client.get_me()
    with pytest.raises(tweepy.errors.TooManyRequests) as caught:
        x_client.get_me()
    assert caught.value.reset_time is not None
    assert caught.value.reset_time > time.time()
    assert caught.value.response.headers["x-rate-limit-remaining"] == "0"
    assert caught.value.response.json() == {
        "title": "Too Many Requests",
        "type": "about:blank",
        "status": 429,
        "detail": "Too Many Requests",
    }


def test_unlimited_switch_never_answers_429(
    x_client: tweepy.Client, sandbox_store: SandboxStore
) -> None:
    set_rate_limits(sandbox_store, scale=0.02, unlimited=True)
    for _ in range(3):
        x_client.get_me()


def test_burst_429_hits_the_next_requests_then_stops(
    x_client: tweepy.Client, sandbox_store: SandboxStore
) -> None:
    set_faults(sandbox_store, burst_429=2, burst_429_reset_s=3, endpoint="mentions")
    x_client.get_me()  # other endpoints are out of scope
    for _ in range(2):
        with pytest.raises(tweepy.errors.TooManyRequests) as caught:
            x_client.get_users_mentions(BRAND_ID)
        assert 0 < caught.value.reset_time - time.time() <= 4
    assert x_client.get_users_mentions(BRAND_ID).meta == {"result_count": 0}


@pytest.mark.parametrize("status", [500, 503])
def test_injected_server_error_raises_twitter_server_error(
    x_client: tweepy.Client, sandbox_store: SandboxStore, status: int
) -> None:
    set_faults(sandbox_store, error_rate=1.0, error_status=status, seed=7)
    with pytest.raises(tweepy.errors.TwitterServerError) as caught:
        x_client.create_tweet(text="장애 중")
    assert caught.value.response.status_code == status
    assert caught.value.response.json()["status"] == status


def test_timeout_fault_makes_the_client_time_out(
    make_client: Callable[..., tweepy.Client], sandbox_store: SandboxStore
) -> None:
    set_faults(sandbox_store, timeout_rate=1.0, timeout_sleep_s=0.5, endpoint="users_me")
    client = make_client(timeout=0.1)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        client.get_me()
    assert time.monotonic() - started < 0.45


def test_seeded_faults_repeat_exactly(sandbox_store: SandboxStore) -> None:
    def run() -> list[str | None]:
        set_faults(sandbox_store, error_rate=0.5, seed=42)
        return [draw(sandbox_store, "search").kind for _ in range(20)]

    first = run()
    assert first == run()
    assert {"error", None} == set(first)


def test_faults_are_set_over_http_and_validated(sandbox_url: str) -> None:
    ok = requests.post(
        f"{sandbox_url}/sandbox/faults", json={"latency_ms": 1, "endpoint": "search"}, timeout=5
    )
    assert ok.status_code == 200
    assert ok.json()["data"]["latency_ms"] == 1
    bad = requests.post(f"{sandbox_url}/sandbox/faults", json={"error_rate": 2}, timeout=5)
    assert bad.status_code == 400
    cleared = requests.delete(f"{sandbox_url}/sandbox/faults", timeout=5).json()["data"]
    assert cleared["latency_ms"] == 0
