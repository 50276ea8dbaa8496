"""make_x_client: host rewriting before OAuth signing, and a timeout on every request."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote

import requests
import tweepy
from oauthlib.oauth1.rfc5849 import signature, utils
from requests_oauthlib import OAuth1

from ideaboard.social.x_client import XSession, make_x_client


def test_client_does_not_wait_on_rate_limits_and_uses_rewriting_session() -> None:
    client = make_x_client(
        bearer_token="b",
        consumer_key="ck",
        consumer_secret="cs",
        access_token="at",
        access_token_secret="ats",
        api_url="http://127.0.0.1:9/sandbox/",
        timeout=2.5,
    )
    try:
        assert isinstance(client, tweepy.Client)
        assert client.wait_on_rate_limit is False
        assert isinstance(client.session, XSession)
        session = client.session
        assert session.rewrite("https://api.twitter.com/2/users/me?x=1") == (
            "http://127.0.0.1:9/sandbox/2/users/me?x=1"
        )
        assert session.rewrite("https://example.com/2/users/me") == "https://example.com/2/users/me"
    finally:
        client.session.close()


def test_oauth_signature_covers_the_rewritten_url(monkeypatch: Any) -> None:
    session = XSession(api_url="http://127.0.0.1:9", timeout=1.5)
    sent: dict[str, Any] = {}

    def fake_send(request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        sent["url"] = request.url
        sent["auth"] = request.headers["Authorization"]
        sent["timeout"] = kwargs.get("timeout")
        response = requests.Response()
        response.status_code = 200
        return response

    monkeypatch.setattr(session, "send", fake_send)
    try:
        session.request(
            "GET",
            "https://api.twitter.com/2/users/me",
            params={"user.fields": "name"},
            auth=OAuth1("ck", "cs", "at", "ats"),
        )
    finally:
        session.close()
    assert sent["url"] == "http://127.0.0.1:9/2/users/me?user.fields=name"
    assert sent["timeout"] == 1.5
    header = sent["auth"].decode() if isinstance(sent["auth"], bytes) else sent["auth"]
    params = [(k, unquote(v)) for k, v in utils.parse_authorization_header(header)]
    signed = SimpleNamespace(
        uri=sent["url"],
        http_method="GET",
        params=[(k, v) for k, v in params if k != "oauth_signature"] + [("user.fields", "name")],
        signature=dict(params)["oauth_signature"],
    )
    assert signature.verify_hmac_sha1(signed, "cs", "ats")


def test_without_api_url_requests_still_go_to_x() -> None:
    session = XSession(timeout=3)
    try:
        assert (
            session.rewrite("https://api.twitter.com/2/tweets")
            == "https://api.twitter.com/2/tweets"
        )
    finally:
        session.close()
