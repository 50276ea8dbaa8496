"""The sandbox Mastodon server itself: its API's answers to good and bad input, its paging,
its guard, and the page where a person posts a mention."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from flask import Flask
from mastodon import Mastodon

from sandboxes.mastodon import DEFAULT_TOKEN, SandboxStore, post_mention, timeline

AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
BRAND_ID = "109000000000000001"


def form_token(html: str) -> str:
    """The CSRF token the page's forms carry."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None, "the page's forms carry no CSRF token"
    return match.group(1)


def test_link_headers_page_notifications_as_mastodon_does(
    mastodon_url: str, mastodon_store: SandboxStore
) -> None:
    for i in range(5):
        post_mention(mastodon_store, acct="minji", text=f"@hanbit {i}")
    api = Mastodon(
        access_token=DEFAULT_TOKEN,
        api_base_url=mastodon_url,
        ratelimit_method="throw",
        request_timeout=5,
    )
    try:
        first = api.notifications(types=["mention"], limit=2)
        second = api.fetch_next(first)
        third = api.fetch_next(second)
        assert third is not None
        ids = [n.id for n in [*first, *second, *third]]
        assert len(ids) == len(set(ids)) == 5
        assert ids == sorted(ids, reverse=True)
        assert api.fetch_next(third) in (None, [])
        newer = api.fetch_previous(third)
        assert [n.id for n in newer] == [n.id for n in second]
    finally:
        api.session.close()


def test_min_id_returns_the_page_just_after_it_newest_first(
    mastodon_url: str, mastodon_store: SandboxStore
) -> None:
    for i in range(6):
        post_mention(mastodon_store, acct="minji", text=f"@hanbit {i}")
    everything = requests.get(
        f"{mastodon_url}/api/v1/notifications", headers=AUTH, timeout=5
    ).json()
    oldest_first = [n["id"] for n in reversed(everything)]
    page = requests.get(
        f"{mastodon_url}/api/v1/notifications",
        params={"min_id": oldest_first[0], "limit": 2},
        headers=AUTH,
        timeout=5,
    ).json()
    assert [n["id"] for n in page] == [oldest_first[2], oldest_first[1]]
    since = requests.get(
        f"{mastodon_url}/api/v1/notifications",
        params={"since_id": oldest_first[0], "limit": 2},
        headers=AUTH,
        timeout=5,
    ).json()
    assert [n["id"] for n in since] == [oldest_first[5], oldest_first[4]]


def test_every_answer_carries_rate_limit_headers(mastodon_url: str) -> None:
    response = requests.get(
        f"{mastodon_url}/api/v1/accounts/verify_credentials", headers=AUTH, timeout=5
    )
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Limit"] == "300"
    assert response.headers["X-RateLimit-Remaining"] == "299"
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", response.headers["X-RateLimit-Reset"]
    )
    assert response.json()["acct"] == "hanbit"
    assert response.json()["source"]["privacy"] == "public"


@pytest.mark.parametrize(
    ("headers", "path"),
    [
        ({}, "/api/v1/notifications"),
        ({"Authorization": "Bearer wrong"}, "/api/v1/notifications"),
        ({"Authorization": f"Basic {DEFAULT_TOKEN}"}, "/api/v1/statuses/1"),
        ({"Authorization": "Bearer " + "x" * 5000}, "/api/v1/accounts/verify_credentials"),
    ],
)
def test_requests_without_the_token_get_401(
    mastodon_url: str, headers: dict[str, str], path: str
) -> None:
    response = requests.get(mastodon_url + path, headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"limit": "abc"}, 422),
        ({"limit": "-1"}, 422),
        ({"limit": "9" * 30}, 422),
        ({"max_id": "not-an-id"}, 422),
        ({"since_id": "1" * 40}, 422),
        ({"min_id": "1;DROP TABLE"}, 422),
        ({"max_id": "9" * 19}, 422),  # past a 64-bit id
        ({"types[]": ["mention"] * 21}, 422),
        ({"types[]": "nonsense", "limit": "500"}, 200),  # unknown types ignored, limit clamped
    ],
)
def test_bad_notification_parameters_get_a_4xx_never_a_500(
    mastodon_url: str, params: dict[str, Any], status: int
) -> None:
    response = requests.get(
        f"{mastodon_url}/api/v1/notifications", params=params, headers=AUTH, timeout=5
    )
    assert response.status_code == status
    if status != 200:
        assert "error" in response.json()


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({}, 422, "Text can't be blank"),
        ({"status": "   "}, 422, "Text can't be blank"),
        ({"status": "가" * 501}, 422, "character limit of 500"),
        ({"status": "가" * 490, "spoiler_text": "가" * 11}, 422, "character limit of 500"),
        ({"status": "안녕", "visibility": "everyone"}, 422, "Visibility"),
        ({"status": "안녕", "language": "korean!"}, 422, "Language"),
        ({"status": "안녕", "in_reply_to_id": "abc"}, 422, "in_reply_to_id"),
        ({"status": "안녕", "in_reply_to_id": "12345"}, 404, "Record not found"),
        ({"status": "안녕", "in_reply_to_id": "9" * 19}, 422, "in_reply_to_id"),
        ({"status": "안녕", "media_ids[]": "1"}, 422, "media"),
    ],
)
def test_bad_statuses_get_mastodons_errors(
    mastodon_url: str, body: dict[str, str], status: int, message: str
) -> None:
    response = requests.post(f"{mastodon_url}/api/v1/statuses", data=body, headers=AUTH, timeout=5)
    assert response.status_code == status
    assert message in response.json()["error"]


@pytest.mark.parametrize(
    "payload",
    [b"[1, 2]", b"{not json", b'"a string"', b"[" * 5000 + b"]" * 5000],
)
def test_malformed_json_bodies_get_a_4xx(mastodon_url: str, payload: bytes) -> None:
    response = requests.post(
        f"{mastodon_url}/api/v1/statuses",
        data=payload,
        headers={**AUTH, "Content-Type": "application/json"},
        timeout=5,
    )
    assert 400 <= response.status_code < 500
    assert "error" in response.json()


def test_a_huge_body_gets_413_and_unknown_routes_404_and_wrong_methods_405(
    mastodon_url: str,
) -> None:
    huge = requests.post(
        f"{mastodon_url}/api/v1/statuses",
        data={"status": "가" * 200_000},
        headers=AUTH,
        timeout=5,
    )
    assert huge.status_code == 413
    missing = requests.get(f"{mastodon_url}/api/v1/nothing", headers=AUTH, timeout=5)
    assert (missing.status_code, missing.json()) == (404, {"error": "Record not found"})
    wrong = requests.delete(f"{mastodon_url}/api/v1/notifications", headers=AUTH, timeout=5)
    assert wrong.status_code == 405
    assert "error" in wrong.json()


def test_an_idempotency_key_returns_the_first_status(
    mastodon_url: str, mastodon_store: SandboxStore
) -> None:
    headers = {**AUTH, "Idempotency-Key": "reply-1"}
    first = requests.post(
        f"{mastodon_url}/api/v1/statuses", data={"status": "한 번만"}, headers=headers, timeout=5
    )
    second = requests.post(
        f"{mastodon_url}/api/v1/statuses", data={"status": "한 번만"}, headers=headers, timeout=5
    )
    assert first.json()["id"] == second.json()["id"]
    too_long = requests.post(
        f"{mastodon_url}/api/v1/statuses",
        data={"status": "x"},
        headers={**AUTH, "Idempotency-Key": "k" * 300},
        timeout=5,
    )
    assert too_long.status_code == 422
    assert len(timeline(mastodon_store)) == 1


def test_status_json_has_mastodons_shape(mastodon_url: str, mastodon_store: SandboxStore) -> None:
    status = post_mention(
        mastodon_store,
        acct="minji@other.example",
        text="@hanbit <b>굵게</b> & #아이디어 https://example.com/x",
        visibility="private",
        spoiler_text="주의",
    )
    data = requests.get(
        f"{mastodon_url}/api/v1/statuses/{status['id']}", headers=AUTH, timeout=5
    ).json()
    assert data["visibility"] == "private"
    assert data["spoiler_text"] == "주의"
    assert data["sensitive"] is True
    assert data["tags"][0]["name"] == "아이디어"
    assert data["mentions"] == [
        {"id": BRAND_ID, "username": "hanbit", "url": f"{mastodon_url}/@hanbit", "acct": "hanbit"}
    ]
    assert data["account"]["acct"] == "minji@other.example"
    assert "&lt;b&gt;굵게&lt;/b&gt; &amp; " in data["content"]
    assert 'class="mention hashtag" rel="tag">#<span>아이디어</span></a>' in data["content"]
    assert data["content"].startswith('<p><span class="h-card" translate="no">')


def test_statuses_the_brand_may_not_see_are_404(
    mastodon_url: str, mastodon_store: SandboxStore
) -> None:
    hidden = post_mention(mastodon_store, acct="minji", text="@jisoo 비밀", visibility="direct")
    response = requests.get(
        f"{mastodon_url}/api/v1/statuses/{hidden['id']}", headers=AUTH, timeout=5
    )
    assert response.status_code == 404
    context = requests.get(
        f"{mastodon_url}/api/v1/statuses/{hidden['id']}/context", headers=AUTH, timeout=5
    )
    assert context.status_code == 404


def test_the_instance_documents_need_no_token(mastodon_url: str) -> None:
    v2 = requests.get(f"{mastodon_url}/api/v2/instance", timeout=5).json()
    assert v2["configuration"]["statuses"] == {
        "max_characters": 500,
        "max_media_attachments": 4,
        "characters_reserved_per_url": 23,
    }
    v1 = requests.get(f"{mastodon_url}/api/v1/instance", timeout=5).json()
    assert v1["configuration"]["statuses"]["max_characters"] == 500


def test_bad_fault_and_admin_input_gets_400(mastodon_url: str) -> None:
    for body in ({"error_rate": 2}, {"nonsense": 1}, {"burst_429": -1}, {"endpoint": "x"}):
        response = requests.post(f"{mastodon_url}/sandbox/faults", json=body, timeout=5)
        assert response.status_code == 400, body
    for body in ({"acct": "bad acct!", "text": "x"}, {"acct": "a", "text": ""}, {"acct": 1}):
        response = requests.post(f"{mastodon_url}/sandbox/mentions", json=body, timeout=5)
        assert response.status_code == 400, body
    bad_reply = requests.post(
        f"{mastodon_url}/sandbox/mentions",
        json={"acct": "a", "text": "x", "reply_to": "999"},
        timeout=5,
    )
    assert bad_reply.status_code == 400
    token = requests.post(f"{mastodon_url}/sandbox/token", json={"revoked": "yes"}, timeout=5)
    assert token.status_code == 400
    rate = requests.post(f"{mastodon_url}/sandbox/rate-limit", json={"limit": 0}, timeout=5)
    assert rate.status_code == 400


# --- the guard and the page ---------------------------------------------------------------


def test_strangers_get_403_and_staff_reach_only_the_page(mastodon_app: Flask) -> None:
    client = mastodon_app.test_client()
    stranger = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/sandbox/", environ_base=stranger).status_code == 403
    api = client.get("/api/v1/notifications", headers=AUTH, environ_base=stranger)
    assert api.status_code == 403
    assert "error" in api.get_json()
    staff = {**stranger, "test.staff": True}
    assert client.get("/sandbox/", environ_base=staff).status_code == 200
    assert client.get("/api/v1/notifications", headers=AUTH, environ_base=staff).status_code == 403
    assert client.post("/sandbox/faults", json={}, environ_base=staff).status_code == 403
    proxied = client.get("/sandbox/faults", headers={"X-Forwarded-For": "198.51.100.1"})
    assert proxied.status_code == 403
    assert client.get("/sandbox/avatar.svg", environ_base=stranger).status_code == 200


def test_the_page_posts_a_direct_mention_with_a_content_warning_and_shows_replies(
    mastodon_app: Flask,
) -> None:
    client = mastodon_app.test_client()
    page = client.get("/sandbox/")
    html = page.get_data(as_text=True)
    assert "지하철에서도 5G가 잘 터지면 좋겠어요 #아이디어" in html
    assert 'value="direct"' in html
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    posted = client.post(
        "/sandbox/",
        data={
            "action": "post",
            "acct": "minji@other.example",
            "text": "@hanbit <script>alert(1)</script> 요금제 제안 #아이디어",
            "visibility": "direct",
            "spoiler_text": "요금",
            "csrf_token": form_token(html),
        },
    )
    assert posted.status_code == 303
    store = mastodon_app.extensions["mastodon_sandbox"].store
    [status] = timeline(store)
    assert (status["visibility"], status["spoiler_text"], status["acct"]) == (
        "direct",
        "요금",
        "minji@other.example",
    )
    reply = client.post(
        "/sandbox/",
        data={
            "action": "post",
            "acct": "jisoo",
            "text": "저도요",
            "visibility": "public",
            "reply_to": str(status["id"]),
            "csrf_token": form_token(html),
        },
    )
    assert reply.status_code == 303
    shown = client.get("/sandbox/").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "<script>" not in shown
    assert "CW: 요금" in shown
    assert shown.index("요금제 제안") < shown.index("@minji@other.example 저도요")
    assert 'class="status depth-1' in shown


def test_the_page_refuses_a_post_without_its_csrf_token(mastodon_app: Flask) -> None:
    client = mastodon_app.test_client()
    html = client.get("/sandbox/").get_data(as_text=True)
    missing = client.post("/sandbox/", data={"action": "post", "acct": "a", "text": "@hanbit x"})
    assert missing.status_code == 400
    assert "The form expired" in missing.get_data(as_text=True)
    forged = client.post(
        "/sandbox/",
        data={"action": "post", "acct": "a", "text": "@hanbit x", "csrf_token": "a.b"},
    )
    assert forged.status_code == 400
    other = mastodon_app.test_client()  # a fresh browser: no cookie, someone else's token
    assert (
        other.post(
            "/sandbox/",
            data={"action": "reset", "csrf_token": form_token(html)},
        ).status_code
        == 400
    )
    assert timeline(mastodon_app.extensions["mastodon_sandbox"].store) == []


def test_the_page_shows_bad_input_as_a_400_with_the_reason(mastodon_app: Flask) -> None:
    client = mastodon_app.test_client()
    token = form_token(client.get("/sandbox/").get_data(as_text=True))
    for data, reason in (
        ({"acct": "no spaces", "text": "x"}, "account name"),
        ({"acct": "a", "text": "x", "visibility": "world"}, "visibility"),
        ({"acct": "a", "text": "x", "reply_to": "abc"}, "reply_to"),
        ({"acct": "a", "text": "x" * 6000}, "at most"),
    ):
        response = client.post("/sandbox/", data={"action": "post", "csrf_token": token, **data})
        assert response.status_code == 400, data
        assert reason in response.get_data(as_text=True)


def test_a_status_link_opens_the_page_at_the_status(
    mastodon_app: Flask,
) -> None:
    store = mastodon_app.extensions["mastodon_sandbox"].store
    status = post_mention(store, acct="minji", text="@hanbit 안녕")
    client = mastodon_app.test_client()
    response = client.get(f"/@minji/{status['id']}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/sandbox/#s{status['id']}")


def test_unsolicited_private_mentions_are_filtered_unless_asked_for(
    mastodon_url: str, mastodon_store: SandboxStore
) -> None:
    direct = post_mention(
        mastodon_store, acct="minji", text="@hanbit 비밀 제안", visibility="direct"
    )
    public = post_mention(mastodon_store, acct="minji", text="@hanbit 공개 제안")
    url = f"{mastodon_url}/api/v1/notifications"
    plain = requests.get(url, headers=AUTH, timeout=5).json()
    assert [n["status"]["id"] for n in plain] == [str(public["id"])]
    every = requests.get(url, params={"include_filtered": "true"}, headers=AUTH, timeout=5)
    assert [n["status"]["id"] for n in every.json()] == [str(public["id"]), str(direct["id"])]
    assert "include_filtered=true" in every.headers["Link"]
    assert [n.get("filtered", False) for n in every.json()] == [False, True]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/statuses/9999999999999999999",
        "/api/v1/statuses/9999999999999999999/context",
        "/api/v1/notifications/9999999999999999999",
        "/api/v1/statuses/abc",
    ],
)
def test_ids_past_64_bits_or_not_numbers_get_a_4xx(mastodon_url: str, path: str) -> None:
    response = requests.get(mastodon_url + path, headers=AUTH, timeout=5)
    assert 400 <= response.status_code < 500
    assert "error" in response.json()


def test_the_customer_helper_refuses_an_id_past_64_bits(mastodon_url: str) -> None:
    response = requests.post(
        f"{mastodon_url}/sandbox/mentions",
        json={"acct": "a", "text": "x", "reply_to": "9" * 19},
        timeout=5,
    )
    assert response.status_code == 400
    assert "at most" in response.json()["error"]


def test_lone_surrogates_in_json_get_a_4xx(mastodon_url: str) -> None:
    body = b'{"status": "a\\ud800b"}'
    response = requests.post(
        f"{mastodon_url}/api/v1/statuses",
        data=body,
        headers={**AUTH, "Content-Type": "application/json"},
        timeout=5,
    )
    assert response.status_code == 422
    assert "Unicode" in response.json()["error"]
    helper = requests.post(
        f"{mastodon_url}/sandbox/mentions",
        data=b'{"acct": "a", "text": "x", "spoiler_text": "\\udc00"}',
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert helper.status_code == 400
    assert "not valid Unicode" in helper.json()["error"]
