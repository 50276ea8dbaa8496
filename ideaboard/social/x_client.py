"""The tweepy client factory: real X by default, or any base URL (the sandbox, a test server).

tweepy 4.17 builds every URL as ``"https://api.twitter.com" + route`` and sends it through
the public ``client.session`` (a ``requests.Session``) with ``session.request(...)``. The
client here gets a Session subclass that rewrites the host *before* the request is prepared, so
the OAuth 1.0a signature (computed while preparing) covers the URL actually sent; an
``HTTPAdapter`` would only see the already-signed request. The same session puts a default
timeout on every request, since tweepy passes none and a hung connection would otherwise block
the worker for ever.
"""

from __future__ import annotations

from typing import Any

import requests
import tweepy

from ..config import check_x_api_url

TWEEPY_HOSTS = ("https://api.twitter.com", "https://api.x.com")


class XSession(requests.Session):
    """A requests Session that sends X API calls to api_url and never waits without a timeout."""

    def __init__(self, *, api_url: str | None = None, timeout: float = 10.0) -> None:
        check_x_api_url(api_url)  # never send signed requests over plain http off this machine
        super().__init__()
        self.api_url = api_url.rstrip("/") if api_url else None
        self.timeout = timeout

    def rewrite(self, url: str) -> str:
        """Return url with X's host replaced by api_url (path and query kept)."""
        if self.api_url is not None:
            for host in TWEEPY_HOSTS:
                if url == host or url.startswith(host + "/"):
                    return self.api_url + url[len(host) :]
        return url

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """Rewrite the URL, default the timeout, then send as requests.Session does."""
        if isinstance(url, bytes):
            url = url.decode()
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, self.rewrite(url), *args, **kwargs)


def make_x_client(
    *,
    bearer_token: str | None,
    consumer_key: str | None,
    consumer_secret: str | None,
    access_token: str | None,
    access_token_secret: str | None,
    api_url: str | None = None,
    timeout: float = 10.0,
) -> tweepy.Client:
    """Build a tweepy v2 Client (no waiting on rate limits) aimed at X or at api_url."""
    client = tweepy.Client(
        bearer_token=bearer_token,
        consumer_key=consumer_key,
        consumer_secret=consumer_secret,
        access_token=access_token,
        access_token_secret=access_token_secret,
        wait_on_rate_limit=False,
    )
    client.session.close()
    client.session = XSession(api_url=api_url, timeout=timeout)
    return client
