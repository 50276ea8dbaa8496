"""API test fixtures: bearer tokens per role, JSON helpers, a live app and a webhook receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ideaboard.accounts.models import User
from ideaboard.api import services as api_services
from ideaboard.extensions import db

ROLES = ("anonymous", "customer", "staff", "admin")


@pytest.fixture
def token_for(app: Flask) -> Callable[[User], str]:
    """Issue a bearer token for a user; return its secret."""

    def make(user: User) -> str:
        _token, secret = api_services.issue_token(user, "test")
        db.session.commit()
        return secret

    return make


@pytest.fixture
def headers_for(
    make_user: Callable[..., User], token_for: Callable[[User], str]
) -> Callable[[str], dict[str, str]]:
    """Return Authorization headers for a new user of the role ({} for anonymous)."""

    def make(role: str) -> dict[str, str]:
        if role == "anonymous":
            return {}
        return {"Authorization": f"Bearer {token_for(make_user(role))}"}

    return make


def call(
    client: FlaskClient,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """Send a JSON request to the API; every answer under /api/ must be JSON (or the docs page)."""
    kwargs: dict[str, Any] = {"headers": headers or {}}
    if body is not None:
        kwargs["json"] = body
    response = client.open(path, method=method, **kwargs)
    if not path.startswith("/api/v1/docs"):
        assert response.mimetype == "application/json", (path, response.status_code)
    return response


@dataclass
class Receiver:
    """A loopback HTTP server that records webhook deliveries and answers as scripted."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str], float]] = field(default_factory=list)

    def answer(self, status: int, headers: dict[str, str] | None = None, delay: float = 0) -> None:
        """Queue the answer to the next delivery (default: 204)."""
        self.answers.append((status, headers or {}, delay))

    @property
    def last(self) -> dict[str, Any]:
        return self.requests[-1]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """Serve a webhook receiver on 127.0.0.1 (random port) in a thread."""
    box: list[Receiver] = []
    stop = threading.Event()

    @Request.application
    def wsgi(request: Request) -> Response:
        rec = box[0]
        body = request.get_data()
        rec.requests.append(
            {"headers": dict(request.headers), "body": body, "json": json.loads(body or b"null")}
        )
        status, headers, delay = rec.answers.pop(0) if rec.answers else (204, {}, 0.0)
        if delay:
            stop.wait(delay)
        return Response("" if status == 204 else f"answer {status}", status, headers)

    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    box.append(Receiver(url=f"http://127.0.0.1:{server.server_port}/hook"))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.daemon = True
    thread.start()
    try:
        yield box[0]
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def live_app(app_factory: Callable[..., Flask]) -> Iterator[tuple[Flask, str]]:
    """Serve a second app on the test's database on 127.0.0.1; yield it and its base URL."""
    served = app_factory(IDEABOARD_PUBLIC_URL="http://127.0.0.1")
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.daemon = True
    thread.start()
    try:
        yield served, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
