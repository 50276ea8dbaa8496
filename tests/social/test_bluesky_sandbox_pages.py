"""The Bluesky sandbox's page (post a mention as a customer, watch the brand's replies) and who
may reach the sandbox at all."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from ideaboard.social.bluesky import BlueskyConnector
from ideaboard.social.connectors import FetchError
from sandboxes.bluesky import SandboxStore, create_sandbox_app, post_mention, timeline
from tests.social.bluesky.helpers import BLUESKY_APP_PASSWORD, BLUESKY_HANDLE

STRANGER = {"REMOTE_ADDR": "203.0.113.9"}


def form_token(html: str) -> str:
    """The CSRF token the page's forms carry."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None, "the page's forms carry no CSRF token"
    return match.group(1)


def test_the_page_posts_a_korean_mention_and_shows_the_brands_reply_under_it(
    bluesky_app: Flask, bluesky_store: SandboxStore, bluesky_connector: BlueskyConnector
) -> None:
    client = bluesky_app.test_client()
    page = client.get("/sandbox/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"@{BLUESKY_HANDLE} 지하철에서도 5G가 잘 터지면 좋겠어요 #아이디어" in html
    posted = client.post(
        "/sandbox/",
        data={
            "action": "post",
            "handle": "kim",
            "display_name": "김철수",
            "text": f"@{BLUESKY_HANDLE} 로밍 요금 #아이디어",
            "csrf_token": form_token(html),
        },
    )
    assert posted.status_code == 303
    [mention] = bluesky_connector.fetch_mentions(since_id=None, start_time=None)
    assert mention.author_handle == "kim.bsky.social"
    assert mention.hashtags == ["아이디어"]
    bluesky_connector.post_reply(
        "고맙습니다, 검토할게요 https://ideas.example.kr/i/7 #아이디어", mention.id
    )
    html = client.get("/sandbox/").get_data(as_text=True)
    assert html.index("로밍 요금") < html.index("고맙습니다, 검토할게요")
    assert 'class="post depth-1 brand' in html
    # The reply's facets, drawn from their byte offsets, cover exactly the link and the tag.
    reply_html = html[html.index("고맙습니다, 검토할게요") :]
    assert '<a href="https://ideas.example.kr/i/7" rel="nofollow noopener">' in reply_html
    assert '<span class="tag">#아이디어</span>' in reply_html


def test_the_page_replies_to_a_post_given_by_uri(
    bluesky_app: Flask, bluesky_store: SandboxStore
) -> None:
    client = bluesky_app.test_client()
    token = form_token(client.get("/sandbox/").get_data(as_text=True))
    client.post(
        "/sandbox/", data={"action": "post", "handle": "a", "text": "첫 글", "csrf_token": token}
    )
    root = timeline(bluesky_store)[0]
    page = client.get("/sandbox/", query_string={"reply_to": root["uri"]})
    assert root["uri"] in page.get_data(as_text=True)
    client.post(
        "/sandbox/",
        data={
            "action": "post",
            "handle": "b",
            "text": "답글",
            "reply_to": root["uri"],
            "csrf_token": token,
        },
    )
    assert timeline(bluesky_store)[0]["reply_parent"] == root["uri"]


def test_a_form_without_a_valid_csrf_token_is_refused(
    bluesky_app: Flask, bluesky_store: SandboxStore
) -> None:
    client = bluesky_app.test_client()
    client.get("/sandbox/")  # sets the cookie
    for token in (None, "forged.token", "x" * 10):
        data: dict[str, Any] = {"action": "post", "handle": "kim", "text": "hi"}
        if token:
            data["csrf_token"] = token
        response = client.post("/sandbox/", data=data)
        assert response.status_code == 400
        assert "The form expired" in response.get_data(as_text=True)
    assert timeline(bluesky_store) == []


def test_bad_form_input_is_a_400_with_a_message(bluesky_app: Flask) -> None:
    client = bluesky_app.test_client()
    token = form_token(client.get("/sandbox/").get_data(as_text=True))
    cases = [
        {"handle": "not a handle!", "text": "hi"},
        {"handle": "kim", "text": "   "},
        {"handle": "kim", "text": "가" * 301},
        {"handle": "kim", "text": "hi", "reply_to": "at://did:plc:nope/app.bsky.feed.post/x"},
        {"handle": "kim", "text": "hi", "quote": "nonsense"},
    ]
    for case in cases:
        response = client.post("/sandbox/", data={"action": "post", "csrf_token": token, **case})
        assert response.status_code == 400, case
        assert 'class="error"' in response.get_data(as_text=True)


def test_the_page_revokes_and_restores_the_app_password(
    bluesky_app: Flask, make_bluesky_connector: Any
) -> None:
    client = bluesky_app.test_client()
    token = form_token(client.get("/sandbox/").get_data(as_text=True))
    assert (
        client.post("/sandbox/", data={"action": "expire", "csrf_token": token}).status_code == 303
    )
    assert "revoked" in client.get("/sandbox/").get_data(as_text=True)
    with pytest.raises(FetchError) as caught:
        make_bluesky_connector().fetch_mentions(since_id=None, start_time=None)
    assert caught.value.auth
    client.post("/sandbox/", data={"action": "restore", "csrf_token": token})
    assert make_bluesky_connector().fetch_mentions(since_id=None, start_time=None) == []


def test_strangers_are_refused_everywhere_and_staff_see_only_the_page(tmp_path: Any) -> None:
    allowed: list[bool] = [False]
    app = create_sandbox_app(str(tmp_path / "b.sqlite"), ui_access=lambda environ: allowed[0])
    client = app.test_client()
    xrpc = client.get("/xrpc/com.atproto.identity.resolveHandle?handle=x", environ_base=STRANGER)
    assert xrpc.status_code == 403
    assert xrpc.get_json()["error"] == "Forbidden"
    assert client.get("/sandbox/", environ_base=STRANGER).status_code == 403
    allowed[0] = True
    assert client.get("/sandbox/", environ_base=STRANGER).status_code == 200
    assert client.get("/sandbox/sandbox.css", environ_base=STRANGER).status_code == 200
    assert client.get("/sandbox/timeline", environ_base=STRANGER).status_code == 403
    assert client.post("/sandbox/reset", environ_base=STRANGER).status_code == 403
    proxied = client.get(
        "/xrpc/com.atproto.identity.resolveHandle?handle=x",
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    assert proxied.status_code == 403


def test_pages_carry_security_headers(bluesky_app: Flask) -> None:
    response = bluesky_app.test_client().get("/sandbox/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie


def test_mounted_under_a_prefix_the_sdk_and_the_page_work_through_it(tmp_path: Any) -> None:
    host = Flask("host")
    sandbox = create_sandbox_app(str(tmp_path / "mounted.sqlite"))
    host.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
        host.wsgi_app, {"/bluesky-sandbox": sandbox}
    )
    page = host.test_client().get("/bluesky-sandbox/sandbox/")
    assert page.status_code == 200
    assert "Path=/bluesky-sandbox/sandbox/" in page.headers["Set-Cookie"]
    assert "http://localhost/bluesky-sandbox" in page.get_data(as_text=True)
    post_mention(
        str(tmp_path / "mounted.sqlite"), handle="kim", text=f"@{BLUESKY_HANDLE} #아이디어"
    )
    server = make_server("127.0.0.1", 0, host, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    connector = BlueskyConnector(
        handle=BLUESKY_HANDLE,
        app_password=BLUESKY_APP_PASSWORD,
        service_url=f"http://127.0.0.1:{server.server_port}/bluesky-sandbox",
        timeout=5,
    )
    try:
        [mention] = connector.fetch_mentions(since_id=None, start_time=None)
        assert mention.hashtags == ["아이디어"]
        assert connector.post_reply("고마워요", mention.id).id.startswith("at://did:plc:")
    finally:
        connector.close()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
