"""Which language a page speaks: the user's setting, the switcher, the browser, the site."""

from __future__ import annotations

import pytest

from ideaboard.accounts import services as accounts
from ideaboard.errors import ValidationFailed
from ideaboard.extensions import db
from tests.helpers import PASSWORD, csrf_token, login

KO = "ko-KR,ko;q=0.9"
EN = "en-US,en;q=0.9"


def _lang(client, path="/", **headers) -> str:  # type: ignore[no-untyped-def]
    html = client.get(path, headers=headers).get_data(as_text=True)
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def _switch(client, code: str, next_path: str | None = "/stats"):  # type: ignore[no-untyped-def]
    data = {"csrf_token": csrf_token(client)}
    if next_path is not None:
        data["next"] = next_path
    return client.post(f"/locale/{code}", data=data)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [(KO, "ko"), ("ko", "ko"), (EN, "en"), ("ja,ko;q=0.5", "ko"), ("fr,de", "en"), (None, "en")],
)
def test_the_browser_language_picks_the_page_language(client, accept, expected):
    headers = {"Accept-Language": accept} if accept else {}
    assert _lang(client, **headers) == expected


@pytest.mark.parametrize("default", ["ko", "ko-KR", "ko_KR"])
def test_the_site_default_applies_when_the_browser_says_nothing_we_speak(app_factory, default):
    client = app_factory(IDEABOARD_DEFAULT_LOCALE=default).test_client()
    assert _lang(client) == "ko"
    assert _lang(client, **{"Accept-Language": "fr"}) == "ko"
    assert _lang(client, **{"Accept-Language": EN}) == "en"


def test_the_switcher_sets_a_cookie_that_beats_the_browser(client):
    response = _switch(client, "ko")
    assert response.status_code == 302
    assert response.location == "/stats"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("locale=ko;")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert _lang(client, **{"Accept-Language": EN}) == "ko"
    _switch(client, "en")
    assert _lang(client, **{"Accept-Language": KO}) == "en"


def test_the_header_shows_the_switcher_in_both_languages(client):
    html = client.get("/stats", headers={"Accept-Language": EN}).get_data(as_text=True)
    assert 'action="/locale/ko"' in html
    assert 'lang="ko">한국어</button>' in html
    assert '<input type="hidden" name="next" value="/stats">' in html
    assert 'aria-current="true">English</span>' in html


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil", ""])
def test_the_switcher_only_goes_back_to_this_site(client, target):
    response = _switch(client, "ko", target)
    assert response.status_code == 302
    assert response.location == "/"


def test_the_switcher_goes_back_to_the_referring_page_without_next(client):
    token = csrf_token(client)
    response = client.post(
        "/locale/ko",
        data={"csrf_token": token},
        headers={"Referer": "http://localhost/ideas-in-action?x=1"},
    )
    assert response.location == "/ideas-in-action?x=1"


def test_the_switcher_refuses_unknown_languages_and_forged_requests(client):
    assert _switch(client, "fr").status_code == 404
    assert client.post("/locale/ko", data={"next": "/"}).status_code == 400  # no CSRF token


def test_the_switcher_changes_a_signed_in_users_setting(client, make_user):
    user = make_user()
    login(client, user)
    _switch(client, "ko")
    db.session.refresh(user)
    assert user.locale == "ko"
    fresh = client.application.test_client()  # another device: no cookie
    login(fresh, user)
    assert _lang(fresh, **{"Accept-Language": EN}) == "ko"


def test_the_profile_setting_beats_the_cookie_and_the_browser(client, make_user):
    user = make_user()
    login(client, user)
    _switch(client, "en")
    response = client.post("/me/locale", data={"locale": "ko", "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert response.headers["Set-Cookie"].startswith("locale=ko;")
    db.session.refresh(user)
    assert user.locale == "ko"
    client.set_cookie("locale", "en")
    page = client.get("/me", headers={"Accept-Language": EN}).get_data(as_text=True)
    assert '<html lang="ko">' in page
    assert "언어 설정을 저장했습니다." in page  # the flash speaks the language just chosen
    assert '<option lang="ko" selected value="ko">한국어</option>' in page


def test_choosing_the_browser_language_in_the_profile_clears_the_setting(client, make_user):
    user = make_user()
    login(client, user)
    client.post("/me/locale", data={"locale": "ko", "csrf_token": csrf_token(client)})
    response = client.post("/me/locale", data={"locale": "", "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert "locale=;" in response.headers["Set-Cookie"]  # the switcher's cookie goes too
    db.session.refresh(user)
    assert user.locale is None
    client.delete_cookie("locale")
    assert _lang(client, "/me", **{"Accept-Language": EN}) == "en"
    assert _lang(client, "/me", **{"Accept-Language": KO}) == "ko"


def test_the_profile_refuses_a_language_not_offered(client, make_user):
    user = make_user()
    login(client, user)
    response = client.post(
        "/me/locale",
        data={"locale": "fr", "csrf_token": csrf_token(client)},
        headers={"Accept-Language": KO},
    )
    assert response.status_code == 422
    assert "올바르지 않은 선택값입니다." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.locale is None


def test_set_locale_service_checks_the_offered_languages(app, make_user):
    user = make_user()
    accounts.set_locale(user, "ko", ["en", "ko"])
    assert user.locale == "ko"
    accounts.set_locale(user, "", ["en", "ko"])
    assert user.locale is None
    with pytest.raises(ValidationFailed):
        accounts.set_locale(user, "fr", ["en", "ko"])


def test_pages_vary_by_language_for_caches(client):
    vary = client.get("/").headers["Vary"]
    assert "Accept-Language" in vary
    assert "Cookie" in vary


def test_logging_in_switches_to_the_users_language_at_once(client, make_user):
    user = make_user()
    accounts.set_locale(user, "ko", ["en", "ko"])
    db.session.commit()
    response = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)},
        headers={"Accept-Language": EN},
    )
    assert response.status_code == 302
    page = client.get("/", headers={"Accept-Language": EN}).get_data(as_text=True)
    assert '<html lang="ko">' in page
    assert "로그인했습니다." in page
