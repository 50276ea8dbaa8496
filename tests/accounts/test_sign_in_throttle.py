"""Issue 13 row 8: per-account sign-in throttling, password rules and the password change."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash

from ideaboard.accounts import services
from ideaboard.accounts.models import SignInFailures, User
from ideaboard.database import utcnow
from ideaboard.errors import ValidationFailed
from ideaboard.extensions import db
from tests.accounts.helpers import (
    CHEAP_HASH,
    LOCKED,
    NEW_PASSWORD,
    cheap_password,
    log_in,
    log_out,
    page_text,
    signed_in,
)
from tests.helpers import PASSWORD, login, post

# --- row 8: per-account throttling and password rules --------------------------------------------


def test_login_form_locks_an_account_after_repeated_failures(app_factory, make_user):
    app = app_factory(IDEABOARD_SIGNIN_MAX_FAILURES=3)
    with app.app_context():
        user, other = cheap_password(make_user()), cheap_password(make_user())
        client = app.test_client()
        for _ in range(3):
            assert log_in(client, user, password="wrong password here").status_code == 422
        response = log_in(client, user)  # even the right password is refused now
        assert response.status_code == 429
        assert 0 < int(response.headers["Retry-After"]) <= 900
        assert LOCKED in html.unescape(page_text(response))
        assert not signed_in(client)
        assert log_in(client, other).status_code == 302  # other accounts are not affected
        # The lock lifts after its time.
        db.session.execute(
            update(SignInFailures).values(locked_until=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        log_out(client)
        assert log_in(client, user).status_code == 302


def test_the_lock_is_shared_by_every_process(app_factory, make_user):
    """Two app instances on one database stand for two worker processes."""
    first = app_factory(IDEABOARD_SIGNIN_MAX_FAILURES=4)
    second = app_factory(IDEABOARD_SIGNIN_MAX_FAILURES=4)
    with first.app_context():
        user = cheap_password(make_user())
        email = user.email
        for app in (first, second, first, second):
            with app.app_context():
                client = app.test_client()
                data = {"email": email, "password": "wrong password here"}
                assert post(client, "/login", data).status_code == 422
        with second.app_context():
            client = second.test_client()
            data = {"email": email, "password": PASSWORD}
            assert post(client, "/login", data).status_code == 429


def test_unknown_addresses_are_locked_alike(app_factory):
    app = app_factory(IDEABOARD_SIGNIN_MAX_FAILURES=2)
    with app.app_context():
        client = app.test_client()
        data = {"email": "nobody@example.com", "password": "wrong password here"}
        statuses = [post(client, "/login", data).status_code for _ in range(3)]
        assert statuses == [422, 422, 429]


def test_token_api_is_throttled_per_account(app_factory, make_user):
    app = app_factory(IDEABOARD_SIGNIN_MAX_FAILURES=2)
    with app.app_context():
        user = cheap_password(make_user())
        client = app.test_client()
        wrong = {"email": user.email.upper(), "password": "wrong password here"}
        for _ in range(2):
            assert client.post("/api/v1/tokens", json=wrong).status_code == 401
        response = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD})
        assert response.status_code == 429
        assert 0 < int(response.headers["Retry-After"]) <= 900
        error = response.get_json()["error"]
        assert error["code"] == "too_many_attempts"
        assert LOCKED in error["message"]
        # The form shares the count with the API.
        assert log_in(client, user).status_code == 429


@pytest.mark.parametrize("password", ["12345678", "password", "password123", "qwertyuiop",
                                      "Password123", "short-pw"])  # fmt: skip
def test_short_and_common_passwords_are_refused(app, password):
    with pytest.raises(ValidationFailed) as raised:
        services.register_user("ann@example.com", "Ann", password)
    assert raised.value.field == "password"
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_the_common_list_comes_from_the_package_and_spares_good_passwords(app):
    assert services.is_common_password("12345678")
    assert services.is_common_password("PASSWORD")
    assert not services.is_common_password("ideaboard-demo")  # the demo's password stays valid
    assert not services.is_common_password(PASSWORD)
    services.register_user("ann@example.com", "Ann", "ideaboard-demo")


def test_cli_create_user_refuses_a_common_password(app):
    result = app.test_cli_runner().invoke(
        args=["ideaboard", "create-user", "--email", "a@example.com", "--password", "password123"]
    )
    assert result.exit_code != 0
    assert "most common" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def _change(client, current: str, new: str, confirm: str | None = None):
    return post(
        client,
        "/me/password",
        {
            "current_password": current,
            "new_password": new,
            "new_password_confirm": new if confirm is None else confirm,
        },
    )


def test_password_change_form_revokes_other_sessions(app, make_user):
    user = cheap_password(make_user())
    here, elsewhere = app.test_client(), app.test_client()
    login(here, user)
    log_in(elsewhere, user, remember=True)
    page = page_text(here.get("/me"))
    for field in ("current_password", "new_password", "new_password_confirm"):
        assert f'name="{field}"' in page
    response = _change(here, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    db.session.expire_all()
    assert check_password_hash(db.session.get(User, user.id).password_hash, NEW_PASSWORD)
    assert signed_in(here)
    elsewhere.delete_cookie("session")  # the remember cookie is dead too
    assert not signed_in(elsewhere)
    log_out(here)
    assert log_in(here, user).status_code == 422
    assert log_in(here, user, password=NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field", "message"),
    [
        (
            "wrong password here",
            NEW_PASSWORD,
            None,
            "current_password",
            "current password is wrong",
        ),
        (PASSWORD, "password123", None, "new_password", "most common"),
        (PASSWORD, "short-pw", None, "new_password", "10"),
        (PASSWORD, NEW_PASSWORD, "something else", "new_password_confirm", "differ"),
    ],
    ids=["wrong-current", "common", "short", "mismatch"],
)
def test_password_change_refuses_bad_input(client, make_user, current, new, confirm, field,
                                           message):  # fmt: skip
    user = cheap_password(make_user())
    login(client, user)
    response = _change(client, current, new, confirm)
    assert response.status_code == 422
    error = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page_text(response), re.S)
    assert error
    assert message in html.unescape(error.group(1))
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == CHEAP_HASH


def test_wrong_current_passwords_count_towards_the_lock(app_factory, make_user):
    app = app_factory(IDEABOARD_SIGNIN_MAX_FAILURES=2)
    with app.app_context():
        user = cheap_password(make_user())
        client = app.test_client()
        login(client, user)
        for _ in range(2):
            assert _change(client, "wrong password here", NEW_PASSWORD).status_code == 422
        assert _change(client, PASSWORD, NEW_PASSWORD).status_code == 429
