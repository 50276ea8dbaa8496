"""Issue 13 row 3: Secure cookies, HSTS and ProxyFix when the site is served over https."""

from __future__ import annotations

import re

from tests.accounts.helpers import (
    cheap_password,
    live_rows,
    log_in,
    page_text,
)
from tests.helpers import PASSWORD

# --- row 3: cookies and transport ---------------------------------------------------------------


def _set_cookies(response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


def test_https_public_url_makes_cookies_secure_and_sends_hsts(app_factory, make_user):
    app = app_factory(IDEABOARD_PUBLIC_URL="https://ideas.example.com")
    with app.app_context():
        user = cheap_password(make_user())
        client = app.test_client()
        https = {"base_url": "https://localhost", "headers": {"Referer": "https://localhost/login"}}
        page = page_text(client.get("/login", **https))
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
    response = log_in(client, cheap_password(make_user()), remember=True)
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
            user = cheap_password(make_user())
            client = app.test_client()
            response = log_in(client, user, headers=forwarded)
            assert response.status_code == 302
            assert live_rows(user)[0].ip == expected
