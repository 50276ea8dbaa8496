"""The Bluesky sandbox's XRPC surface on its own: shapes, error bodies and statuses, bounded
inputs (a 4xx with a message for every bad request, never a 500)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from sandboxes.bluesky import MAX_BODY_BYTES, SandboxStore, set_faults
from tests.social.bluesky.helpers import BLUESKY_APP_PASSWORD, BLUESKY_HANDLE

MentionFn = Callable[..., dict[str, Any]]


def _login(client: FlaskClient) -> dict[str, Any]:
    response = client.post(
        "/xrpc/com.atproto.server.createSession",
        json={"identifier": BLUESKY_HANDLE, "password": BLUESKY_APP_PASSWORD},
    )
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def _auth(session: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['accessJwt']}"}


def _record(text: str = "안녕하세요", **extra: Any) -> dict[str, Any]:
    return {
        "$type": "app.bsky.feed.post",
        "text": text,
        "createdAt": "2026-08-01T00:00:00Z",
        **extra,
    }


def test_create_session_answers_tokens_handle_and_did(bluesky_app: Flask) -> None:
    session = _login(bluesky_app.test_client())
    assert session["handle"] == BLUESKY_HANDLE
    assert session["did"].startswith("did:plc:")
    assert session["accessJwt"].count(".") == 2
    assert session["refreshJwt"] != session["accessJwt"]


def test_notifications_have_the_lexicon_shape(
    bluesky_app: Flask, bluesky_mention: MentionFn
) -> None:
    post = bluesky_mention(f"@{BLUESKY_HANDLE} 와이파이 #아이디어 https://a.example/x")
    client = bluesky_app.test_client()
    session = _login(client)
    body = client.get(
        "/xrpc/app.bsky.notification.listNotifications?limit=5", headers=_auth(session)
    ).get_json()
    [item] = body["notifications"]
    assert item["uri"] == post["uri"]
    assert item["cid"].startswith("bafyrei")
    assert item["reason"] == "mention"
    assert item["isRead"] is False
    assert item["author"]["did"] == post["did"]
    assert item["author"]["handle"] == "minji.bsky.social"
    assert item["author"]["displayName"] == "minji"
    record = item["record"]
    assert record["$type"] == "app.bsky.feed.post"
    assert record["langs"] == ["ko"]
    kinds = [f["features"][0]["$type"] for f in record["facets"]]
    assert kinds == [
        "app.bsky.richtext.facet#mention",
        "app.bsky.richtext.facet#tag",
        "app.bsky.richtext.facet#link",
    ]
    assert "cursor" not in body  # a short page is the last


def test_a_record_over_300_graphemes_is_refused_with_invalid_request(
    bluesky_app: Flask,
) -> None:
    client = bluesky_app.test_client()
    session = _login(client)
    response = client.post(
        "/xrpc/com.atproto.repo.createRecord",
        headers=_auth(session),
        json={
            "repo": session["did"],
            "collection": "app.bsky.feed.post",
            "record": _record("가" * 301),
        },
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "InvalidRequest"
    assert "300 graphemes" in response.get_json()["message"]


def test_tokens_are_required_checked_and_typed(bluesky_app: Flask) -> None:
    client = bluesky_app.test_client()
    url = "/xrpc/app.bsky.notification.listNotifications"
    assert client.get(url).status_code == 401
    assert client.get(url).get_json()["error"] == "AuthRequired"
    bad = client.get(url, headers={"Authorization": "Bearer a.b.c"})
    assert bad.status_code == 400
    assert bad.get_json()["error"] == "InvalidToken"
    session = _login(client)
    refresh_as_access = client.get(
        url, headers={"Authorization": f"Bearer {session['refreshJwt']}"}
    )
    assert refresh_as_access.status_code == 400
    assert refresh_as_access.get_json()["error"] == "InvalidToken"
    refreshed = client.post(
        "/xrpc/com.atproto.server.refreshSession",
        headers={"Authorization": f"Bearer {session['refreshJwt']}"},
    )
    assert refreshed.status_code == 200
    again = client.post(
        "/xrpc/com.atproto.server.refreshSession",
        headers={"Authorization": f"Bearer {session['refreshJwt']}"},
    )
    assert again.status_code == 400  # a refresh token works once
    assert again.get_json()["error"] == "ExpiredToken"


def test_a_wrong_password_is_authentication_required(bluesky_app: Flask) -> None:
    response = bluesky_app.test_client().post(
        "/xrpc/com.atproto.server.createSession",
        json={"identifier": BLUESKY_HANDLE, "password": "nope-nope-nope-nope"},
    )
    assert response.status_code == 401
    assert response.get_json() == {
        "error": "AuthenticationRequired",
        "message": "Invalid identifier or password",
    }


def test_get_post_thread_of_a_missing_post_is_not_found(bluesky_app: Flask) -> None:
    response = bluesky_app.test_client().get(
        "/xrpc/app.bsky.feed.getPostThread?uri=at://did:plc:abc/app.bsky.feed.post/3kabc"
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "NotFound"


BAD_QUERIES = [
    "/xrpc/app.bsky.feed.getPosts",
    "/xrpc/app.bsky.feed.getPosts?uris=notauri",
    "/xrpc/app.bsky.feed.getPosts?" + "&".join(["uris=at://did:plc:a/app.bsky.feed.post/x"] * 26),
    "/xrpc/app.bsky.feed.getPostThread",
    "/xrpc/app.bsky.feed.getPostThread?uri=at://did:plc:a/app.bsky.feed.post/x&depth=-1",
    "/xrpc/app.bsky.feed.getPostThread?uri=at://did:plc:a/app.bsky.feed.post/x&depth=99999999999",
    "/xrpc/app.bsky.feed.getPostThread?uri=" + "a" * 5000,
    "/xrpc/com.atproto.identity.resolveHandle",
    "/xrpc/com.atproto.identity.resolveHandle?handle=nobody.example",
    "/xrpc/app.bsky.actor.getProfile?actor=nobody.example",
    "/xrpc/com.atproto.server.createSession",  # GET on a procedure
]


@pytest.mark.parametrize("url", BAD_QUERIES)
def test_bad_queries_are_400_with_an_xrpc_body(bluesky_app: Flask, url: str) -> None:
    response = bluesky_app.test_client().get(url)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"]
    assert body["message"]


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=abc",
        "cursor=nope",
        "cursor=" + "9" * 300,
        "reasons=" + "x" * 41,
    ],
)
def test_bad_notification_parameters_are_400(bluesky_app: Flask, query: str) -> None:
    client = bluesky_app.test_client()
    session = _login(client)
    response = client.get(
        f"/xrpc/app.bsky.notification.listNotifications?{query}", headers=_auth(session)
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "InvalidRequest"


BAD_BODIES: list[Any] = [
    None,
    [],
    "text",
    {"collection": "app.bsky.feed.post", "record": _record()},
    {"repo": "{did}", "collection": "app.bsky.feed.like", "record": _record()},
    {"repo": "someone.else.example", "collection": "app.bsky.feed.post", "record": _record()},
    {"repo": "{did}", "collection": "app.bsky.feed.post", "record": "text"},
    {
        "repo": "{did}",
        "collection": "app.bsky.feed.post",
        "record": {"$type": "app.bsky.feed.post"},
    },
    {"repo": "{did}", "collection": "app.bsky.feed.post", "record": _record(text=5)},
    {
        "repo": "{did}",
        "collection": "app.bsky.feed.post",
        "record": {**_record(), "createdAt": "yesterday"},
    },
    {"repo": "{did}", "collection": "app.bsky.feed.post", "record": _record(langs=["ko"] * 4)},
    {"repo": "{did}", "collection": "app.bsky.feed.post", "record": _record(langs=["한국어"])},
    {"repo": "{did}", "collection": "app.bsky.feed.post", "record": _record("가" * 1001)},
    {
        "repo": "{did}",
        "collection": "app.bsky.feed.post",
        "record": _record(
            facets=[
                {
                    "index": {"byteStart": 0, "byteEnd": 999},
                    "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "x"}],
                }
            ]
        ),
    },
    {
        "repo": "{did}",
        "collection": "app.bsky.feed.post",
        "record": _record(facets=[{"index": {"byteStart": 3, "byteEnd": 1}, "features": [{}]}]),
    },
    {"repo": "{did}", "collection": "app.bsky.feed.post", "record": _record(facets="x")},
    {
        "repo": "{did}",
        "collection": "app.bsky.feed.post",
        "record": _record(reply={"root": {"uri": "x", "cid": "y"}}),
    },
    {
        "repo": "{did}",
        "collection": "app.bsky.feed.post",
        "record": _record(embed={"$type": "app.bsky.embed.record", "record": {}}),
    },
    {"repo": "{did}", "collection": "app.bsky.feed.post", "rkey": "../x", "record": _record()},
    {"repo": ["list"], "collection": "app.bsky.feed.post", "record": _record()},
    {"repo": "{did}", "collection": "app.bsky.feed.post", "rkey": "k" * 101, "record": _record()},
    {
        "repo": "{did}",
        "collection": "app.bsky.feed.post",
        "record": {**_record(), "createdAt": "0001-01-01T00:00:00+01:00"},
    },
    {
        "repo": "{did}",
        "collection": "app.bsky.feed.post",
        "record": _record(facets=[{"index": {"byteStart": 0, "byteEnd": 1}, "features": ["x"]}]),
    },
    {
        "repo": "{did}",
        "collection": "app.bsky.feed.post",
        "record": _record(
            facets=[
                {
                    "index": {"byteStart": 0, "byteEnd": 1},
                    "features": [{"$type": "app.bsky.richtext.facet#mention", "did": 7}],
                }
            ]
        ),
    },
    {
        "repo": "{did}",
        "collection": "app.bsky.feed.post",
        "record": _record(embed={"$type": "app.bsky.embed.recordWithMedia", "record": "x"}),
    },
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_bad_create_record_bodies_are_400_never_500(bluesky_app: Flask, body: Any) -> None:
    client = bluesky_app.test_client()
    session = _login(client)
    payload = json.loads(json.dumps(body).replace("{did}", session["did"]))
    response = client.post(
        "/xrpc/com.atproto.repo.createRecord", headers=_auth(session), json=payload
    )
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["error"] == "InvalidRequest"


def test_oversized_and_deeply_nested_bodies_are_refused(bluesky_url: str) -> None:
    url = f"{bluesky_url}/xrpc/com.atproto.server.createSession"
    big = requests.post(
        url,
        data=b'{"a":"' + b"x" * MAX_BODY_BYTES + b'"}',
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert big.status_code == 413
    deep = requests.post(
        url,
        data=b"[" * 30_000 + b"]" * 30_000,
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert deep.status_code == 400
    junk = requests.post(
        url, data=b"\xff\xfe", headers={"Content-Type": "application/json"}, timeout=5
    )
    assert junk.status_code == 400


def test_unknown_methods_are_501_method_not_implemented(bluesky_app: Flask) -> None:
    response = bluesky_app.test_client().get("/xrpc/app.bsky.feed.getTimeline")
    assert response.status_code == 501
    assert response.get_json()["error"] == "MethodNotImplemented"


def test_every_answer_carries_ratelimit_headers(bluesky_app: Flask) -> None:
    response = bluesky_app.test_client().post(
        "/xrpc/com.atproto.server.createSession",
        json={"identifier": BLUESKY_HANDLE, "password": BLUESKY_APP_PASSWORD},
    )
    assert response.headers["ratelimit-limit"] == "30"
    assert response.headers["ratelimit-policy"] == "30;w=300"
    assert int(response.headers["ratelimit-remaining"]) == 29
    assert int(response.headers["ratelimit-reset"]) > 0


def test_injected_faults_answer_xrpc_error_bodies(
    bluesky_app: Flask, bluesky_store: SandboxStore
) -> None:
    set_faults(bluesky_store, error_rate=1.0, error_status=503, seed=3)
    response = bluesky_app.test_client().get("/xrpc/com.atproto.identity.resolveHandle?handle=x")
    assert response.status_code == 503
    assert set(response.get_json()) == {"error", "message"}
    set_faults(bluesky_store, burst_429=1)
    limited = bluesky_app.test_client().get("/xrpc/com.atproto.identity.resolveHandle?handle=x")
    assert limited.status_code == 429
    assert limited.get_json()["error"] == "RateLimitExceeded"
    assert limited.headers["ratelimit-remaining"] == "0"


def test_fault_switches_are_validated(bluesky_app: Flask) -> None:
    client = bluesky_app.test_client()
    for body in ({"error_rate": 2}, {"endpoint": "nope"}, {"bogus": 1}, {"seed": True}):
        assert client.post("/sandbox/faults", json=body).status_code == 400
    assert client.post("/sandbox/faults", json={"latency_ms": 1}).status_code == 200
    assert client.delete("/sandbox/faults").get_json()["data"]["latency_ms"] == 0


ODD_VALUES: list[Any] = [
    None,
    0,
    -1,
    True,
    1e308,
    "",
    "x" * 5000,
    "가" * 400,
    [],
    {},
    [{}],
    [None],
    {"$type": 1},
    {"uri": "at://did:plc:a/app.bsky.feed.post/x", "cid": "bafyreiaaaaaaaa"},
    [{"index": {"byteStart": 0, "byteEnd": 1}, "features": [{"$type": "x"}]}],
    "2026-13-45T99:99:99Z",
    "at://did:plc:a/app.bsky.feed.post/x",
]
PATHS = [
    ("repo",),
    ("collection",),
    ("rkey",),
    ("record",),
    ("record", "text"),
    ("record", "createdAt"),
    ("record", "langs"),
    ("record", "facets"),
    ("record", "reply"),
    ("record", "reply", "root"),
    ("record", "reply", "parent"),
    ("record", "embed"),
    ("record", "embed", "record"),
    ("record", "$type"),
    ("validate",),
    ("swapCommit",),
]


def test_odd_values_anywhere_in_a_create_record_body_never_cause_a_500(
    bluesky_app: Flask,
) -> None:
    rng = random.Random(18)  # noqa: S311 - reproducible test data
    client = bluesky_app.test_client()
    session = _login(client)
    parent = {
        "uri": f"at://{session['did']}/app.bsky.feed.post/3kaaaaaaaaaa2",
        "cid": "bafyrei" + "a" * 52,
    }
    statuses = set()
    for _ in range(300):
        body: dict[str, Any] = {
            "repo": session["did"],
            "collection": "app.bsky.feed.post",
            "record": _record(
                reply={"root": dict(parent), "parent": dict(parent)},
                embed={"$type": "app.bsky.embed.record", "record": dict(parent)},
            ),
        }
        for _ in range(rng.randint(1, 3)):
            path = rng.choice(PATHS)
            target: Any = body
            for key in path[:-1]:
                target = target.get(key) if isinstance(target, dict) else None
            if isinstance(target, dict):
                target[path[-1]] = rng.choice(ODD_VALUES)
        response = client.post(
            "/xrpc/com.atproto.repo.createRecord", headers=_auth(session), json=body
        )
        statuses.add(response.status_code)
        assert response.status_code < 500, (body, response.get_data(as_text=True))
    assert 400 in statuses
    assert client.get("/sandbox/").status_code == 200  # whatever was stored still renders


def test_profile_handle_resolution_and_delete_record(
    bluesky_app: Flask, bluesky_mention: MentionFn
) -> None:
    client = bluesky_app.test_client()
    session = _login(client)
    assert client.get(
        f"/xrpc/com.atproto.identity.resolveHandle?handle={BLUESKY_HANDLE.upper()}"
    ).get_json() == {"did": session["did"]}
    profile = client.get(f"/xrpc/app.bsky.actor.getProfile?actor={BLUESKY_HANDLE}").get_json()
    assert profile["did"] == session["did"]
    assert profile["displayName"] == "Hanbit Telecom"
    me = client.get("/xrpc/com.atproto.server.getSession", headers=_auth(session)).get_json()
    assert me == {"handle": BLUESKY_HANDLE, "did": session["did"], "active": True}
    created = client.post(
        "/xrpc/com.atproto.repo.createRecord",
        headers=_auth(session),
        json={"repo": BLUESKY_HANDLE, "collection": "app.bsky.feed.post", "record": _record()},
    ).get_json()
    assert created["validationStatus"] == "valid"
    assert created["uri"].startswith(f"at://{session['did']}/app.bsky.feed.post/")
    rkey = created["uri"].rsplit("/", 1)[1]
    deleted = client.post(
        "/xrpc/com.atproto.repo.deleteRecord",
        headers=_auth(session),
        json={"repo": session["did"], "collection": "app.bsky.feed.post", "rkey": rkey},
    )
    assert deleted.status_code == 200
    gone = client.get(f"/xrpc/app.bsky.feed.getPosts?uris={created['uri']}").get_json()
    assert gone == {"posts": []}
    other = bluesky_mention()
    foreign = client.post(
        "/xrpc/com.atproto.repo.deleteRecord",
        headers=_auth(session),
        json={"repo": other["did"], "collection": "app.bsky.feed.post", "rkey": "x"},
    )
    assert foreign.status_code == 400  # only one's own repository
