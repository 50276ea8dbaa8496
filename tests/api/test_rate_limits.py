"""Rate limits per token and per address, answered with 429 and Retry-After."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from ideaboard.accounts.models import User
from ideaboard.api import services
from ideaboard.extensions import db
from tests.helpers import PASSWORD


def test_api_limits_each_token_and_each_address(
    app_factory: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    limited = app_factory(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        IDEABOARD_API_LIMIT="3 per minute",
        IDEABOARD_API_LIMIT_TOKENS="2 per minute",
    )
    first, second = make_user(), make_user()
    with limited.app_context():
        secrets = []
        for user in (first, second):
            _token, secret = services.issue_token(db.session.get(User, user.id), "limit test")
            secrets.append(secret)
        db.session.commit()
    client = limited.test_client()
    one = {"Authorization": f"Bearer {secrets[0]}"}
    two = {"Authorization": f"Bearer {secrets[1]}"}
    assert [client.get("/api/v1/stages", headers=one).status_code for _ in range(3)] == [200] * 3
    refused = client.get("/api/v1/stages", headers=one)
    assert refused.status_code == 429
    assert refused.mimetype == "application/json"
    assert refused.get_json()["error"]["code"] == "too_many_requests"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert client.get("/api/v1/stages", headers=two).status_code == 200  # its own budget
    assert client.get("/api/v1/stages").status_code == 200  # the address has its own too
    login = {"email": first.email, "password": PASSWORD}
    assert [client.post("/api/v1/tokens", json=login).status_code for _ in range(3)] == [
        201,
        201,
        429,
    ]
