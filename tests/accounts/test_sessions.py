"""Issue 13 row 2: sign-ins end on the server (logout, devices, sign out everywhere)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import event, update

from ideaboard.accounts import sessions
from ideaboard.accounts.models import UserSession
from ideaboard.database import utcnow
from ideaboard.extensions import db
from tests.accounts.helpers import (
    cheap_password,
    cookie,
    live_rows,
    log_in,
    log_out,
    page_text,
    signed_in,
)
from tests.helpers import login, post

# --- row 2: sessions end on the server -----------------------------------------------------------


def test_replaying_the_session_cookie_after_logout_signs_in_nobody(client, make_user):
    user = cheap_password(make_user())
    login(client, user)
    copied = cookie(client, "session")
    assert copied
    assert signed_in(client)
    log_out(client)
    client.set_cookie("session", copied)
    assert not signed_in(client)


def test_replaying_the_remember_cookie_alone_after_logout_signs_in_nobody(client, make_user):
    user = cheap_password(make_user())
    log_in(client, user, remember=True)
    remember = cookie(client, "remember_token")
    assert remember
    # The remember cookie alone (no session cookie) signs in while the sign-in lives ...
    client.delete_cookie("session")
    assert signed_in(client)
    log_out(client)
    # ... and not once it has ended.
    client.delete_cookie("session")
    client.set_cookie("remember_token", remember)
    assert not signed_in(client)


def test_remember_token_differs_per_login_and_lasts_thirty_days(app, make_user):
    user = cheap_password(make_user())
    tokens = []
    for _ in range(2):
        client = app.test_client()
        response = log_in(client, user, remember=True)
        header = next(
            h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")
        )
        tokens.append(cookie(client, "remember_token"))
        expires = re.search(r"Max-Age=(\d+)|Expires=([^;]+)", header)
        assert expires
        assert str(user.id) != tokens[-1].split("|")[0]  # never the bare user id
    assert tokens[0] != tokens[1]
    rows = live_rows(user)
    assert len(rows) == 2
    assert all(r.remember for r in rows)
    for row in rows:
        lifetime = row.expires_at - row.created_at
        assert timedelta(days=29) < lifetime <= timedelta(days=30)
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)


def test_the_session_row_keeps_a_hash_not_the_secret(client, make_user):
    user = cheap_password(make_user())
    log_in(client, user, remember=True)
    row = live_rows(user)[0]
    remember = cookie(client, "remember_token")
    secret = remember.split("|")[0].split(".", 1)[1]
    assert row.token_hash == sessions.hash_secret(secret)
    assert secret not in row.token_hash
    assert row.ip == "127.0.0.1"


def test_an_expired_or_tampered_sign_in_loads_nobody(client, make_user):
    user = cheap_password(make_user())
    login(client, user)
    assert signed_in(client)
    db.session.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert not signed_in(client)
    for key in ("1", "1.", "x.y", f"{2**40}.abc", "1." + "a" * 500, "١.abc"):
        with client.application.test_request_context("/"):
            assert sessions.load(key) is None


def test_a_deactivated_user_is_signed_out_everywhere(client, make_user):
    user = cheap_password(make_user())
    login(client, user)
    user.active = False
    db.session.commit()
    assert not signed_in(client)


def test_loading_the_user_is_one_query(app, make_user):
    user = cheap_password(make_user())
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
    user = cheap_password(make_user())
    login(client, user)
    row_id = live_rows(user)[0].id
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
    user = cheap_password(make_user())
    phone, laptop = app.test_client(), app.test_client()
    login(phone, user)
    log_in(
        laptop,
        user,
        headers={"User-Agent": "Mozilla/5.0 (Windows NT 10.0) Chrome/120.0 Safari/537.36"},
    )
    page = page_text(laptop.get("/me"))
    assert "Signed-in devices" in page
    assert "Chrome · Windows" in page
    assert page.count("This device") == 1
    rows = live_rows(user)
    phone_row = next(r for r in rows if "Windows" not in r.user_agent)
    laptop_row = next(r for r in rows if "Windows" in r.user_agent)
    assert f"/me/sessions/{phone_row.id}/revoke" in page
    assert f"/me/sessions/{laptop_row.id}/revoke" not in page  # this device: log out instead
    response = post(laptop, f"/me/sessions/{phone_row.id}/revoke")
    assert response.status_code == 302
    assert not signed_in(phone)
    assert signed_in(laptop)


def test_nobody_can_sign_out_another_users_device(app, make_user):
    ann, bob = cheap_password(make_user()), cheap_password(make_user())
    ann_client, bob_client = app.test_client(), app.test_client()
    login(ann_client, ann)
    login(bob_client, bob)
    bob_row = live_rows(bob)[0]
    assert post(ann_client, f"/me/sessions/{bob_row.id}/revoke").status_code == 404
    assert signed_in(bob_client)


def test_sign_out_everywhere_else_keeps_only_this_device(app, make_user):
    user = cheap_password(make_user())
    clients = [app.test_client() for _ in range(3)]
    for client in clients:
        log_in(client, user, remember=True)
    response = post(clients[0], "/me/sessions/revoke-others")
    assert response.status_code == 302
    assert "2 other devices are signed out." in page_text(clients[0].get("/me"))
    assert [signed_in(c) for c in clients] == [True, False, False]
    assert len(live_rows(user)) == 1
