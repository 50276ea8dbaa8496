"""Bearer tokens (hashed, revocable, role-carrying) and session-cookie requests with CSRF."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from ideaboard.accounts.models import Role, User
from ideaboard.api import services
from ideaboard.api.models import ApiToken
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from tests.api.helpers import call
from tests.helpers import csrf_token, login, post


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_token_is_stored_as_a_sha256_hash_with_a_prefix(
    app: object, make_user: Callable[..., User]
) -> None:
    user = make_user()
    token, secret = services.issue_token(user, "zendesk sync")
    db.session.commit()
    assert secret.startswith("ib_")
    assert len(secret) > 40
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:12]
    assert token.name == "zendesk sync"
    stored = db.session.scalars(select(ApiToken.token_hash, ApiToken.prefix)).all()
    assert secret not in stored


@pytest.mark.parametrize(
    "header",
    ["Bearer ib_unknown", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "bearer"],
)
def test_bad_authorization_is_401_even_where_anyone_may_call(
    client: FlaskClient, header: str
) -> None:
    response = call(client, "GET", "/api/v1/ideas", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_is_refused(
    client: FlaskClient, make_user: Callable[..., User], token_for: Callable[[User], str]
) -> None:
    user = make_user()
    secret = token_for(user)
    before = call(client, "POST", "/api/v1/ideas", {"title": "Before revoking"}, _bearer(secret))
    assert before.status_code == 201
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    services.revoke_token(user, token.id)
    db.session.commit()
    response = call(client, "POST", "/api/v1/ideas", {"title": "After revoking"}, _bearer(secret))
    assert response.status_code == 401


def test_token_of_a_deactivated_account_is_refused(
    client: FlaskClient, make_user: Callable[..., User], token_for: Callable[[User], str]
) -> None:
    user = make_user()
    secret = token_for(user)
    user.active = False
    db.session.commit()
    assert call(client, "GET", "/api/v1/ideas", headers=_bearer(secret)).status_code == 401


def test_token_follows_the_owner_s_current_role(
    client: FlaskClient, make_user: Callable[..., User], token_for: Callable[[User], str]
) -> None:
    user = make_user()
    secret = token_for(user)
    assert call(client, "GET", "/api/v1/outbox", headers=_bearer(secret)).status_code == 403
    user.role = Role.STAFF.value
    db.session.commit()
    assert call(client, "GET", "/api/v1/outbox", headers=_bearer(secret)).status_code == 200


def test_last_used_is_written_at_most_once_a_minute(
    client: FlaskClient, make_user: Callable[..., User], token_for: Callable[[User], str]
) -> None:
    user = make_user()
    secret = token_for(user)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert token.last_used_at is None
    call(client, "GET", "/api/v1/stages", headers=_bearer(secret))
    db.session.refresh(token)
    first = token.last_used_at
    assert first is not None
    call(client, "GET", "/api/v1/stages", headers=_bearer(secret))
    db.session.refresh(token)
    assert token.last_used_at == first
    token.last_used_at = first - timedelta(minutes=2)
    db.session.commit()
    call(client, "GET", "/api/v1/stages", headers=_bearer(secret))
    db.session.refresh(token)
    assert token.last_used_at > first - timedelta(seconds=1)


def test_session_cookie_request_needs_the_csrf_header_for_writes(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user()
    login(client, user)
    assert call(client, "GET", "/api/v1/outbox").status_code == 403  # the session is the user
    refused = call(client, "POST", "/api/v1/ideas", {"title": "From the page script"})
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "csrf_failed"
    token = csrf_token(client)
    accepted = call(
        client, "POST", "/api/v1/ideas", {"title": "From the page script"}, {"X-CSRFToken": token}
    )
    assert accepted.status_code == 201
    assert accepted.get_json()["author"]["name"] == user.name


def test_bearer_request_needs_no_csrf_token_and_wins_over_the_cookie(
    client: FlaskClient, make_user: Callable[..., User], token_for: Callable[[User], str]
) -> None:
    login(client, make_user(name="Cookie Person"))
    other = make_user(name="Token Person")
    headers = _bearer(token_for(other))
    created = call(client, "POST", "/api/v1/ideas", {"title": "Sent by a script"}, headers)
    assert created.status_code == 201
    assert created.get_json()["author"]["name"] == "Token Person"


def test_profile_creates_shows_once_lists_and_revokes_tokens(
    client: FlaskClient, make_user: Callable[..., User], make_idea: Callable[..., Idea]
) -> None:
    user = make_user()
    login(client, user)
    page = post(client, "/me/tokens", {"name": "zendesk sync"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    secret = re.search(r'<code id="new-token">([^<]+)</code>', html).group(1)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert token.name == "zendesk sync"
    assert token.prefix == secret[:12]
    assert call(client, "GET", "/api/v1/ideas", headers=_bearer(secret)).status_code == 200
    again = client.get("/me").get_data(as_text=True)
    assert secret not in again
    assert f"{token.prefix}…" in again
    assert "zendesk sync" in again
    assert client.post(f"/me/tokens/{token.id}/revoke").status_code == 400  # no CSRF token
    revoked = post(client, f"/me/tokens/{token.id}/revoke", follow_redirects=True)
    assert revoked.status_code == 200
    assert "zendesk sync" not in revoked.get_data(as_text=True)
    assert call(client, "GET", "/api/v1/ideas", headers=_bearer(secret)).status_code == 401


def test_profile_refuses_revoking_someone_else_s_token(
    client: FlaskClient, make_user: Callable[..., User], token_for: Callable[[User], str]
) -> None:
    owner = make_user()
    token_for(owner)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == owner.id))
    login(client, make_user())
    assert post(client, f"/me/tokens/{token.id}/revoke").status_code == 404
    db.session.refresh(token)
    assert token.revoked_at is None


def test_profile_token_needs_a_name(client: FlaskClient, make_user: Callable[..., User]) -> None:
    login(client, make_user())
    assert post(client, "/me/tokens", {"name": ""}).status_code == 422
    assert post(client, "/me/tokens", {"name": "x" * 81}).status_code == 422


def test_too_many_tokens_is_a_conflict(
    client: FlaskClient, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "TOKENS_MAX", 2)
    user = make_user()
    body = {"email": user.email, "password": "correct horse battery"}
    assert [call(client, "POST", "/api/v1/tokens", body).status_code for _ in range(3)] == [
        201,
        201,
        409,
    ]
