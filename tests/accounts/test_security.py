"""Issue 13, rows 2, 3, 8 and 14: server-side sign-ins, transport security, sign-in throttling,
password rules and CSRF token rotation/expiry — through the Flask test client."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ideaboard.accounts import services, sessions
from ideaboard.accounts.models import SignInFailures, User, UserSession
from ideaboard.database import utcnow
from ideaboard.errors import ValidationFailed
from ideaboard.extensions import db
from tests.helpers import PASSWORD, csrf_token, login, post

CHEAP_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
NEW_PASSWORD = "a fresh long passphrase"
LOCKED = "Too many failed sign-ins for this account."


def _text(response) -> str:
    return response.get_data(as_text=True)


def _cheap(user: User) -> User:
    user.password_hash = CHEAP_HASH
    db.session.commit()
    return user


def _signed_in(client) -> bool:
    response = client.get("/me")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def _cookie(client, name: str) -> str | None:
    cookie = client.get_cookie(name)
    return cookie.value if cookie is not None else None


def _login(client, user: User, *, remember: bool = False, password: str = PASSWORD, **kwargs):
    data = {"email": user.email, "password": password}
    if remember:
        data["remember"] = "y"
    return post(client, "/login", data, **kwargs)


def _logout(client) -> None:
    response = post(client, "/logout")
    assert response.status_code == 302


def _live_rows(user: User) -> list[UserSession]:
    db.session.rollback()  # a fresh snapshot (and fresh objects)
    return list(sessions.live_sessions(user))


# --- row 2: sessions end on the server -----------------------------------------------------------


def test_replaying_the_session_cookie_after_logout_signs_in_nobody(client, make_user):
    user = _cheap(make_user())
    login(client, user)
    copied = _cookie(client, "session")
    assert copied
    assert _signed_in(client)
    _logout(client)
    client.set_cookie("session", copied)
    assert not _signed_in(client)


def test_replaying_the_remember_cookie_alone_after_logout_signs_in_nobody(client, make_user):
    user = _cheap(make_user())
    _login(client, user, remember=True)
    remember = _cookie(client, "remember_token")
    assert remember
    # The remember cookie alone (no session cookie) signs in while the sign-in lives ...
    client.delete_cookie("session")
    assert _signed_in(client)
    _logout(client)
    # ... and not once it has ended.
    client.delete_cookie("session")
    client.set_cookie("remember_token", remember)
    assert not _signed_in(client)


def test_remember_token_differs_per_login_and_lasts_thirty_days(app, make_user):
    user = _cheap(make_user())
    tokens = []
    for _ in range(2):
        client = app.test_client()
        response = _login(client, user, remember=True)
        header = next(
            h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")
        )
        tokens.append(_cookie(client, "remember_token"))
        expires = re.search(r"Max-Age=(\d+)|Expires=([^;]+)", header)
        assert expires
        assert str(user.id) != tokens[-1].split("|")[0]  # never the bare user id
    assert tokens[0] != tokens[1]
    rows = _live_rows(user)
    assert len(rows) == 2
    assert all(r.remember for r in rows)
    for row in rows:
        lifetime = row.expires_at - row.created_at
        assert timedelta(days=29) < lifetime <= timedelta(days=30)
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)


def test_the_session_row_keeps_a_hash_not_the_secret(client, make_user):
    user = _cheap(make_user())
    _login(client, user, remember=True)
    row = _live_rows(user)[0]
    remember = _cookie(client, "remember_token")
    secret = remember.split("|")[0].split(".", 1)[1]
    assert row.token_hash == sessions.hash_secret(secret)
    assert secret not in row.token_hash
    assert row.ip == "127.0.0.1"


def test_an_expired_or_tampered_sign_in_loads_nobody(client, make_user):
    user = _cheap(make_user())
    login(client, user)
    assert _signed_in(client)
    db.session.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert not _signed_in(client)
    for key in ("1", "1.", "x.y", f"{2**40}.abc", "1." + "a" * 500, "١.abc"):
        with client.application.test_request_context("/"):
            assert sessions.load(key) is None


def test_a_deactivated_user_is_signed_out_everywhere(client, make_user):
    user = _cheap(make_user())
    login(client, user)
    user.active = False
    db.session.commit()
    assert not _signed_in(client)


def test_loading_the_user_is_one_query(app, make_user):
    user = _cheap(make_user())
    with app.test_request_context("/", method="POST"):
        sessions.start(user, remember=False)
        key = user.get_id()
    db.session.commit()
    user_id = user.id
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    db.session.expunge_all()
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with app.test_request_context("/"):
            loaded = sessions.load(key)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert loaded is not None
    assert loaded.id == user_id
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    assert len(statements) == 1


def test_last_seen_is_written_at_most_every_few_minutes(client, make_user):
    user = _cheap(make_user())
    login(client, user)
    row_id = _live_rows(user)[0].id
    past = utcnow() - timedelta(minutes=2)
    db.session.execute(update(UserSession).values(last_seen_at=past))
    db.session.commit()
    client.get("/me")
    db.session.rollback()  # end the test's read snapshot: the touch is another transaction
    assert db.session.get(UserSession, row_id).last_seen_at == past  # too recent to rewrite
    older = utcnow() - timedelta(minutes=10)
    db.session.execute(update(UserSession).values(last_seen_at=older))
    db.session.commit()
    client.get("/me")
    db.session.rollback()  # end the test's read snapshot: the touch is another transaction
    assert db.session.get(UserSession, row_id).last_seen_at > older + timedelta(minutes=9)


def test_profile_lists_devices_and_signs_one_out(app, make_user):
    user = _cheap(make_user())
    phone, laptop = app.test_client(), app.test_client()
    login(phone, user)
    _login(
        laptop,
        user,
        headers={"User-Agent": "Mozilla/5.0 (Windows NT 10.0) Chrome/120.0 Safari/537.36"},
    )
    page = _text(laptop.get("/me"))
    assert "Signed-in devices" in page
    assert "Chrome · Windows" in page
    assert page.count("This device") == 1
    rows = _live_rows(user)
    phone_row = next(r for r in rows if "Windows" not in r.user_agent)
    laptop_row = next(r for r in rows if "Windows" in r.user_agent)
    assert f"/me/sessions/{phone_row.id}/revoke" in page
    assert f"/me/sessions/{laptop_row.id}/revoke" not in page  # this device: log out instead
    response = post(laptop, f"/me/sessions/{phone_row.id}/revoke")
    assert response.status_code == 302
    assert not _signed_in(phone)
    assert _signed_in(laptop)


def test_nobody_can_sign_out_another_users_device(app, make_user):
    ann, bob = _cheap(make_user()), _cheap(make_user())
    ann_client, bob_client = app.test_client(), app.test_client()
    login(ann_client, ann)
    login(bob_client, bob)
    bob_row = _live_rows(bob)[0]
    assert post(ann_client, f"/me/sessions/{bob_row.id}/revoke").status_code == 404
    assert _signed_in(bob_client)


def test_sign_out_everywhere_else_keeps_only_this_device(app, make_user):
    user = _cheap(make_user())
    clients = [app.test_client() for _ in range(3)]
    for client in clients:
        _login(client, user, remember=True)
    response = post(clients[0], "/me/sessions/revoke-others")
    assert response.status_code == 302
    assert "2 other devices are signed out." in _text(clients[0].get("/me"))
    assert [_signed_in(c) for c in clients] == [True, False, False]
    assert len(_live_rows(user)) == 1


# --- row 3: cookies and transport ---------------------------------------------------------------


def _set_cookies(response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


def test_https_public_url_makes_cookies_secure_and_sends_hsts(app_factory, make_user):
    app = app_factory(IDEABOARD_PUBLIC_URL="https://ideas.example.com")
    with app.app_context():
        user = _cheap(make_user())
        client = app.test_client()
        https = {"base_url": "https://localhost", "headers": {"Referer": "https://localhost/login"}}
        page = _text(client.get("/login", **https))
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        data = {"email": user.email, "password": PASSWORD, "remember": "y", "csrf_token": token}
        response = client.post("/login", data=data, **https)
        assert response.status_code == 302
        cookies = _set_cookies(response)
        for name in ("session", "remember_token"):
            assert "; Secure" in cookies[name], cookies[name]
            assert "; HttpOnly" in cookies[name]
            assert "SameSite=Lax" in cookies[name]
        hsts = response.headers["Strict-Transport-Security"]
        assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 365 * 24 * 3600
        assert "Strict-Transport-Security" in client.get("/", **https).headers


def test_http_public_url_keeps_plain_cookies_and_no_hsts(client, make_user):
    response = _login(client, _cheap(make_user()), remember=True)
    cookies = _set_cookies(response)
    assert "Secure" not in cookies["session"]
    assert "HttpOnly" in cookies["session"]
    assert "SameSite=Lax" in cookies["session"]
    assert "Strict-Transport-Security" not in response.headers


def test_proxy_fix_trusts_the_configured_proxy(app_factory, make_user):
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    for hops, expected in ((1, "203.0.113.9"), (0, "127.0.0.1")):
        app = app_factory(IDEABOARD_PROXY_FIX=hops)
        with app.app_context():
            user = _cheap(make_user())
            client = app.test_client()
            response = _login(client, user, headers=forwarded)
            assert response.status_code == 302
            assert _live_rows(user)[0].ip == expected


# --- row 8: per-account throttling and password rules --------------------------------------------


def test_login_form_locks_an_account_after_repeated_failures(app_factory, make_user):
    app = app_factory(IDEABOARD_SIGNIN_MAX_FAILURES=3)
    with app.app_context():
        user, other = _cheap(make_user()), _cheap(make_user())
        client = app.test_client()
        for _ in range(3):
            assert _login(client, user, password="wrong password here").status_code == 422
        response = _login(client, user)  # even the right password is refused now
        assert response.status_code == 429
        assert 0 < int(response.headers["Retry-After"]) <= 900
        assert LOCKED in html.unescape(_text(response))
        assert not _signed_in(client)
        assert _login(client, other).status_code == 302  # other accounts are not affected
        # The lock lifts after its time.
        db.session.execute(
            update(SignInFailures).values(locked_until=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        _logout(client)
        assert _login(client, user).status_code == 302


def test_the_lock_is_shared_by_every_process(app_factory, make_user):
    """Two app instances on one database stand for two worker processes."""
    first = app_factory(IDEABOARD_SIGNIN_MAX_FAILURES=4)
    second = app_factory(IDEABOARD_SIGNIN_MAX_FAILURES=4)
    with first.app_context():
        user = _cheap(make_user())
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
        user = _cheap(make_user())
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
        assert _login(client, user).status_code == 429


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
    user = _cheap(make_user())
    here, elsewhere = app.test_client(), app.test_client()
    login(here, user)
    _login(elsewhere, user, remember=True)
    page = _text(here.get("/me"))
    for field in ("current_password", "new_password", "new_password_confirm"):
        assert f'name="{field}"' in page
    response = _change(here, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    db.session.expire_all()
    assert check_password_hash(db.session.get(User, user.id).password_hash, NEW_PASSWORD)
    assert _signed_in(here)
    elsewhere.delete_cookie("session")  # the remember cookie is dead too
    assert not _signed_in(elsewhere)
    _logout(here)
    assert _login(here, user).status_code == 422
    assert _login(here, user, password=NEW_PASSWORD).status_code == 302


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
    user = _cheap(make_user())
    login(client, user)
    response = _change(client, current, new, confirm)
    assert response.status_code == 422
    error = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', _text(response), re.S)
    assert error
    assert message in html.unescape(error.group(1))
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == CHEAP_HASH


def test_wrong_current_passwords_count_towards_the_lock(app_factory, make_user):
    app = app_factory(IDEABOARD_SIGNIN_MAX_FAILURES=2)
    with app.app_context():
        user = _cheap(make_user())
        client = app.test_client()
        login(client, user)
        for _ in range(2):
            assert _change(client, "wrong password here", NEW_PASSWORD).status_code == 422
        assert _change(client, PASSWORD, NEW_PASSWORD).status_code == 429


# --- row 14: CSRF tokens rotate at login and expire -----------------------------------------------


def test_a_csrf_token_from_before_login_is_refused_after_login(client, make_user):
    user = _cheap(make_user())
    before = csrf_token(client)
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": before}
    )
    assert response.status_code == 302
    after = csrf_token(client)
    assert after != before
    stale = client.post("/me/locale", data={"locale": "ko", "csrf_token": before})
    assert stale.status_code == 400
    fresh = client.post("/me/locale", data={"locale": "ko", "csrf_token": after})
    assert fresh.status_code == 302


def test_a_csrf_token_is_dropped_at_logout(client, make_user):
    login(client, _cheap(make_user()))
    token = csrf_token(client)
    client.post("/logout", data={"csrf_token": token})
    response = client.post("/register", data={"email": "x@example.com", "csrf_token": token})
    assert response.status_code == 400


SAME_SITE = {"Origin": "http://localhost"}  # what a browser sends with a form on our page


def _expire_tokens(monkeypatch, seconds: int) -> None:
    """Move itsdangerous's clock (which Flask-WTF's token timestamps use) forward."""
    from itsdangerous.timed import TimestampSigner

    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) + seconds)


def test_csrf_tokens_expire_after_eight_hours(client, make_user, monkeypatch):
    assert client.application.config["WTF_CSRF_TIME_LIMIT"] == 8 * 3600
    login(client, _cheap(make_user()))
    token = csrf_token(client)
    _expire_tokens(monkeypatch, 8 * 3600 + 60)
    response = client.post(
        "/me/locale", data={"locale": "ko", "csrf_token": token}, headers=SAME_SITE
    )
    assert response.status_code == 400
    assert "This form expired" in html.unescape(_text(response))


def test_an_expired_form_keeps_the_text_and_sends_it_again(client, make_user, monkeypatch):
    login(client, _cheap(make_user()))
    token = csrf_token(client)
    _expire_tokens(monkeypatch, 9 * 3600)
    text = "Dark mode <b>please</b>\nfor the night shift & more"
    response = client.post(
        "/ideas/new?from=test",
        data={"title": "A dark mode for the app", "body": text, "csrf_token": token},
        headers=SAME_SITE,
    )
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    page = _text(response)
    assert "This form expired — your text is kept" in html.unescape(page)
    assert 'action="/ideas/new?from=test"' in page
    assert "<b>please</b>" not in page  # escaped, never markup
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    assert html.unescape(fields["body"]) == text
    assert html.unescape(fields["title"]) == "A dark mode for the app"
    assert fields["csrf_token"] != token
    again = client.post(
        "/ideas/new?from=test", data={k: html.unescape(v) for k, v in fields.items()}
    )
    assert again.status_code == 302
    from ideaboard.ideas.models import Idea

    assert db.session.scalar(select(Idea.body)) == text


def test_an_expired_form_never_keeps_passwords(client, make_user):
    user = _cheap(make_user())
    response = client.post(
        "/login",
        data={"email": user.email, "password": "my secret words", "csrf_token": "stale-token"},
        headers={"Referer": "http://localhost/login"},
    )
    assert response.status_code == 400
    page = _text(response)
    assert "my secret words" not in page
    assert "stale-token" not in page
    assert 'name="email"' in page
    assert 'name="password"' not in page


def test_json_callers_still_get_the_json_csrf_error(client, make_user):
    login(client, _cheap(make_user()))
    response = client.post(
        "/api/v1/ideas", json={"title": "A dark mode"}, headers={"X-CSRFToken": "stale"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"
    response = client.post(
        "/me/locale", data={"locale": "ko"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"


@pytest.mark.parametrize(
    "headers", [{"Origin": "https://evil.example"}, {"Origin": "null"}, {}], ids=str
)
def test_a_form_from_another_site_gets_no_resend_button(client, make_user, headers):
    """A forged cross-site post must not become one click away from going through."""
    login(client, _cheap(make_user()))
    response = client.post("/me/sessions/revoke-others", data={"title": "spam"}, headers=headers)
    assert response.status_code == 400
    page = html.unescape(_text(response))
    assert "The form expired or was sent from another site." in page
    assert "Send it again" not in page
    assert 'value="spam"' not in page
