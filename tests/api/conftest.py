"""API test fixtures: bearer tokens per role, a live app and a webhook receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ideaboard.accounts.models import User
from ideaboard.api import services as api_services
from ideaboard.extensions import db
from tests.api.helpers import Receiver


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
