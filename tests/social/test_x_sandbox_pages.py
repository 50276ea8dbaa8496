"""The sandbox's own helpers: the human page and the /sandbox JSON endpoints."""

from __future__ import annotations

import re

from flask import Flask


def form_token(html: str) -> str:
    """Return the CSRF token the page's forms carry."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None, "the page's forms carry no CSRF token"
    return match.group(1)


def test_page_posts_a_customer_mention_and_threads_replies(sandbox_app: Flask) -> None:
    client = sandbox_app.test_client()
    page = client.get("/sandbox/")
    assert page.status_code == 200
    assert "지하철에서도 5G가 잘 터지면 좋겠어요 #아이디어" in page.get_data(as_text=True)
    posted = client.post(
        "/sandbox/",
        data={
            "action": "post",
            "username": "kim",
            "text": "@hanbit 로밍 요금 #아이디어",
            "csrf_token": form_token(page.get_data(as_text=True)),
        },
    )
    assert posted.status_code == 303
    root = client.get("/sandbox/timeline").get_json()["data"][0]
    reply = client.post(
        "/sandbox/mentions",
        json={"username": "lee", "text": "저도요", "in_reply_to_tweet_id": root["id"]},
    )
    assert reply.status_code == 201
    assert reply.get_json()["data"]["text"] == "@kim 저도요"
    html = client.get("/sandbox/").get_data(as_text=True)
    assert html.index("로밍 요금") < html.index("@kim 저도요")
    assert 'class="post depth-1' in html


def test_mentions_helper_accepts_backdated_and_explicit_ids(sandbox_app: Flask) -> None:
    client = sandbox_app.test_client()
    newer = client.post("/sandbox/mentions", json={"username": "a", "text": "@hanbit 1"})
    older = client.post(
        "/sandbox/mentions",
        json={"username": "b", "text": "@hanbit 2", "created_at": "2026-01-01T00:00:00Z"},
    )
    assert int(older.get_json()["data"]["id"]) < int(newer.get_json()["data"]["id"])
    explicit = client.post(
        "/sandbox/mentions",
        json={"username": "c", "text": "@hanbit 3", "id": "1900000000000000000"},
    )
    assert explicit.get_json()["data"]["id"] == "1900000000000000000"
    clash = client.post(
        "/sandbox/mentions",
        json={"username": "c", "text": "@hanbit 4", "id": "1900000000000000000"},
    )
    assert clash.status_code == 400


def test_reset_forgets_posts_but_keeps_the_brand(sandbox_app: Flask) -> None:
    client = sandbox_app.test_client()
    client.post("/sandbox/mentions", json={"username": "a", "text": "@hanbit hi"})
    assert client.post("/sandbox/reset").status_code == 200
    assert client.get("/sandbox/timeline").get_json() == {"data": []}
    me = client.get("/2/users/me", headers={"Authorization": "OAuth x"})
    assert me.get_json() == {
        "data": {"id": "1500000000000000001", "name": "Hanbit Telecom", "username": "hanbit"}
    }


def test_rate_limit_config_over_http(sandbox_app: Flask) -> None:
    client = sandbox_app.test_client()
    assert client.post("/sandbox/rate-limits", json={"scale": 0}).status_code == 400
    set_ = client.post("/sandbox/rate-limits", json={"scale": 2, "unlimited": False})
    assert set_.get_json()["data"] == {"scale": 2.0, "unlimited": False}
    usage = client.get("/sandbox/rate-limits").get_json()["data"]["endpoints"]
    assert usage["mentions"]["limit"] == 600
