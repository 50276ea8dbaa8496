"""Registration, login, logout and the profile page through the test client."""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from ideaboard.accounts.models import Role, User
from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.ideas import services as idea_services
from tests.helpers import PASSWORD, csrf_token, login, post

NEW_PASSWORD = "s3cret-pass phrase"
WRONG_LOGIN = "The e-mail address or the password is wrong."
# One hash round: tests not about the password check skip scrypt's 0.1 s per login.
CHEAP_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")


def _text(response) -> str:
    return response.get_data(as_text=True)


def _users() -> int:
    return int(db.session.scalar(select(func.count()).select_from(User)) or 0)


def _field_error(page: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    assert match, f"no error shown for {field}"
    return html.unescape(match.group(1))


def _is_logged_in(client) -> bool:
    response = client.get("/me")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def _cheap(user: User) -> User:
    user.password_hash = CHEAP_HASH
    db.session.commit()
    return user


def _register(client, **fields):
    data = {"email": "minji@example.com", "name": "김민지", "password": NEW_PASSWORD}
    data.update(fields)
    data.setdefault("confirm", data["password"])
    return post(client, "/register", data)


# --- register -------------------------------------------------------------------------------------


def test_register_page_shows_the_form_with_a_csrf_field(client):
    response = client.get("/register")
    assert response.status_code == 200
    page = _text(response)
    assert re.search(r'<input[^>]*name="csrf_token"[^>]*value="\w', page)
    for field in ("email", "name", "password", "confirm"):
        assert f'name="{field}"' in page


NEUTRAL_REGISTERED = "If this address was not registered yet, your account is ready: sign in."


def test_register_stores_the_customer_and_sends_them_to_sign_in(client):
    response = _register(client, email="  Minji.Kim@Example.COM ", name="  김민지  ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    user = db.session.scalars(select(User)).one()
    assert user.email == "minji.kim@example.com"
    assert user.name == "김민지"
    assert user.role == Role.CUSTOMER
    assert user.password_hash.startswith("scrypt:")
    assert NEW_PASSWORD not in user.password_hash
    assert NEUTRAL_REGISTERED in _text(client.get("/login"))
    assert not _is_logged_in(client)  # not signed in automatically: the answer must be neutral
    response = post(client, "/login", {"email": "minji.kim@example.com", "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert _is_logged_in(client)


def test_register_stores_a_decomposed_name_in_nfc(client):
    response = _register(client, name=unicodedata.normalize("NFD", "김민지"))
    assert response.status_code == 302
    assert db.session.scalars(select(User.name)).one() == "김민지"


def test_register_with_a_taken_email_answers_exactly_as_for_a_new_one(client, make_user):
    """Issue 13 row 13: the form must not tell which addresses have accounts."""
    make_user(email="ann@example.com", name="Ann")
    taken = _register(client, email="ANN@Example.com", name="Ann again")
    taken_page = _text(client.get(taken.headers["Location"]))
    fresh = _register(client, email="new-person@example.com", name="New person")
    fresh_page = _text(client.get(fresh.headers["Location"]))
    assert (taken.status_code, taken.headers["Location"]) == (302, "/login")
    assert (fresh.status_code, fresh.headers["Location"]) == (302, "/login")
    assert NEUTRAL_REGISTERED in taken_page
    assert NEUTRAL_REGISTERED in fresh_page
    for page in (taken_page, fresh_page):
        assert "already exists" not in page
    assert _users() == 2
    assert db.session.scalar(select(User.name).where(User.email == "ann@example.com")) == "Ann"
    assert not _is_logged_in(client)


def test_register_with_a_taken_email_hashes_a_password_too(client, make_user, monkeypatch):
    """The taken path does the same slow work, so its timing does not tell either."""
    from ideaboard.accounts import services

    calls: list[str] = []
    real = services.generate_password_hash

    def counting(password: str, **kwargs: object) -> str:
        calls.append(password)
        return real(password, method="pbkdf2:sha256:1")

    monkeypatch.setattr(services, "generate_password_hash", counting)
    make_user(email="ann@example.com")
    _register(client, email="ann@example.com", name="Ann again")
    _register(client, email="bob@example.com", name="Bob")
    assert calls == [NEW_PASSWORD, NEW_PASSWORD]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "This is not a valid e-mail address."),
        ({"email": "ann@"}, "email", "This is not a valid e-mail address."),
        ({"email": "ann@example"}, "email", "This is not a valid e-mail address."),
        ({"email": "a b@example.com"}, "email", "This is not a valid e-mail address."),
        ({"email": ""}, "email", "This field is required."),
        ({"name": ""}, "name", "This field is required."),
        ({"name": "   "}, "name", "This field is required."),
        ({"name": "Null\x00Byte"}, "name", "Display name contains characters that are not"),
        ({"name": "x" * 81}, "name", "80"),
        ({"password": "", "confirm": ""}, "password", "This field is required."),
        ({"password": "short9chr", "confirm": "short9chr"}, "password", "10"),
        ({"password": "p" * 201}, "password", "200"),
        ({"password": "pass\x00word-long"}, "password", "not allowed"),
        ({"password": "password123", "confirm": "password123"}, "password", "most common"),
        ({"password": "qwertyuiop", "confirm": "qwertyuiop"}, "password", "most common"),
        ({"confirm": "something else"}, "confirm", "The passwords differ."),
        ({"confirm": ""}, "confirm", "This field is required."),
    ],
    ids=[
        "invalid-email", "no-domain", "no-tld", "space-in-email", "empty-email", "empty-name",
        "whitespace-name", "nul-name", "81-char-name", "empty-password", "short-password",
        "201-char-password", "nul-password", "common-password", "common-keyboard-password",
        "mismatched-confirm", "empty-confirm",
    ],
)  # fmt: skip
def test_register_with_bad_input_is_a_422_and_stores_nothing(client, fields, field, message):
    response = _register(client, **fields)
    assert response.status_code == 422
    assert message in _field_error(_text(response), field)
    assert _users() == 0
    assert not _is_logged_in(client)


def test_register_counts_the_name_length_after_nfc_normalisation(client):
    name = "민" * 30  # 30 characters; 90 code points once decomposed
    response = _register(client, name=unicodedata.normalize("NFD", name))
    assert response.status_code == 302
    assert db.session.scalars(select(User.name)).one() == name


def test_register_accepts_a_name_of_exactly_80_characters(client):
    assert _register(client, name="가" * 80).status_code == 302
    assert db.session.scalars(select(User.name)).one() == "가" * 80


def test_register_without_csrf_token_is_refused_and_stores_nothing(client):
    response = client.post(
        "/register",
        data={"email": "a@example.com", "name": "A", "password": NEW_PASSWORD,
              "confirm": NEW_PASSWORD},
    )  # fmt: skip
    assert response.status_code == 400
    assert _users() == 0


def test_register_page_when_logged_in_goes_to_the_board(client, make_user):
    login(client, _cheap(make_user()))
    response = client.get("/register")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


# --- login ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["ann@example.com", "ANN@EXAMPLE.COM", "Ann@Example.Com", "  ann@example.com  "]
)
def test_login_with_the_right_password_works_whatever_the_email_case(client, make_user, typed):
    _cheap(make_user(email="ann@example.com"))
    response = post(client, "/login", {"email": typed, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "You are logged in." in _text(client.get("/"))
    assert _is_logged_in(client)


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("ann@example.com", "wrong password"),
        ("nobody@example.com", "wrong password"),
        ("nobody@example.com", PASSWORD),
        ("ann@example.com", PASSWORD.upper()),
    ],
    ids=["wrong-password", "unknown-email", "unknown-email-right-password", "password-case"],
)
def test_login_failure_is_a_422_that_does_not_tell_whether_the_email_exists(
    client, make_user, email, password
):
    _cheap(make_user(email="ann@example.com"))
    response = post(client, "/login", {"email": email, "password": password})
    assert response.status_code == 422
    page = _text(response)
    # The same words whether or not the address has an account.
    assert _field_error(page, "password") == WRONG_LOGIN
    assert not re.search(r'id="email-error"', page)
    assert not re.search(r"no account|not registered|unknown|does not exist", page, re.I)
    assert not _is_logged_in(client)


def test_a_registered_account_logs_out_and_back_in_with_its_password(client):
    assert _register(client, email="Jun@Example.com").status_code == 302
    assert post(client, "/logout").status_code == 302
    assert not _is_logged_in(client)
    response = post(client, "/login", {"email": "JUN@example.com", "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert _is_logged_in(client)


def test_login_of_a_deactivated_account_is_refused_with_the_same_message(client, make_user):
    user = make_user(email="gone@example.com")
    user.active = False
    db.session.commit()
    response = post(client, "/login", {"email": "gone@example.com", "password": PASSWORD})
    assert response.status_code == 422
    assert _field_error(_text(response), "password") == WRONG_LOGIN
    assert not _is_logged_in(client)


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"email": ""}, "email"), ({"password": ""}, "password")],
)
def test_login_with_an_empty_field_is_a_422(client, make_user, fields, field):
    make_user(email="ann@example.com")
    data = {"email": "ann@example.com", "password": PASSWORD, **fields}
    response = post(client, "/login", data)
    assert response.status_code == 422
    assert _field_error(_text(response), field) == "This field is required."
    assert not _is_logged_in(client)


def test_login_without_csrf_token_is_refused(client, make_user):
    make_user(email="ann@example.com")
    response = client.post("/login", data={"email": "ann@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert not _is_logged_in(client)


def test_login_page_carries_the_next_parameter_in_the_form(client):
    response = client.get("/login?next=/ideas/new")
    assert response.status_code == 200
    assert re.search(r'<input[^>]*name="next"[^>]*value="/ideas/new"', _text(response))


def test_a_page_that_needs_login_sends_its_path_as_next(client):
    response = client.get("/me")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == ["/me"]


@pytest.mark.parametrize("target", ["/me", "/ideas/new", "/?sort=top&q=%EC%9D%B4%EC%9B%94"])
def test_login_follows_a_next_path_on_this_site(client, make_user, target):
    user = _cheap(make_user())
    response = post(client, "/login", {"email": user.email, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == target


def _stays_on_site(location: str) -> bool:
    """Tell whether a browser would resolve this Location on our own host."""
    parts = urlsplit(location)
    if parts.scheme or parts.netloc:
        return parts.netloc == "localhost"
    return location.startswith("/") and not location.startswith("//") and "\\" not in location


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "http:evil.example",
        "javascript:alert(1)",
        "evil.example",
        " //evil.example",
    ],
)
def test_login_never_follows_a_next_to_another_site(client, make_user, target):
    user = _cheap(make_user())
    response = post(client, "/login", {"email": user.email, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert _stays_on_site(location), location
    assert "evil.example" not in urlsplit(location).netloc


@pytest.mark.parametrize("target", ["/\r\nX-Injected: 1", "/me\n"])
def test_login_with_control_characters_in_next_goes_to_the_board_not_a_500(
    client, make_user, target
):
    user = _cheap(make_user())
    response = post(client, "/login", {"email": user.email, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "X-Injected" not in response.headers


def test_login_page_when_already_logged_in_goes_to_a_safe_next(client, make_user):
    login(client, _cheap(make_user()))
    assert client.get("/login?next=/me").headers["Location"] == "/me"
    assert client.get("/login?next=//evil.example").headers["Location"] == "/"


# --- logout ---------------------------------------------------------------------------------------


def test_logout_by_get_is_not_allowed_and_keeps_the_session(client, make_user):
    login(client, _cheap(make_user()))
    response = client.get("/logout")
    assert response.status_code == 405
    assert _is_logged_in(client)


def test_logout_without_csrf_token_is_refused_and_keeps_the_session(client, make_user):
    login(client, _cheap(make_user()))
    response = client.post("/logout")
    assert response.status_code == 400
    assert _is_logged_in(client)


def test_logout_with_csrf_token_ends_the_session(client, make_user):
    login(client, _cheap(make_user(name="Ann")))
    token = csrf_token(client)
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = _text(client.get("/"))
    assert "You are logged out." in page
    assert '<a href="/me">Ann</a>' not in page
    assert not _is_logged_in(client)


# --- profile --------------------------------------------------------------------------------------


def test_profile_requires_login(client):
    response = client.get("/me?tab=votes")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


@pytest.fixture
def activity(make_user, make_idea):
    """A user with one idea of their own, an up vote, a down vote and a plain follow."""
    me = _cheap(make_user(name="Minji Kim", email="minji@example.com"))
    others = make_user(name="Someone Else")
    ideas = {
        "mine": make_idea(me, title="My own idea about data"),
        "liked": make_idea(others, title="Idea I voted up"),
        "disliked": make_idea(others, title="Idea I voted down"),
        "followed": make_idea(others, title="Idea I only follow"),
        "untouched": make_idea(others, title="Idea I never touched"),
    }
    idea_services.cast_vote(me, ideas["liked"], 1)
    idea_services.cast_vote(me, ideas["disliked"], -1)
    idea_services.follow_idea(me, ideas["followed"])
    db.session.commit()
    return me, ideas


def _row(page: str, title: str) -> str:
    match = re.search(
        rf'<li class="simple-row">(?:(?!</li>).)*{re.escape(title)}.*?</li>', page, re.S
    )
    assert match, f"{title!r} is not listed"
    return match.group(0)


def test_profile_ideas_tab_lists_my_own_ideas_only(client, activity):
    me, _ideas = activity
    login(client, me)
    response = client.get("/me")
    assert response.status_code == 200
    page = _text(response)
    assert "<h1>Minji Kim</h1>" in page
    assert "minji@example.com" in page
    assert "My ideas (1)" in page
    assert "My votes (2)" in page
    assert "Following (4)" in page
    assert re.search(r'href="/me\?tab=ideas"\s+aria-current="page"', page)
    assert "New" in _row(page, "My own idea about data")
    for title in ("Idea I voted up", "Idea I only follow", "Idea I never touched"):
        assert title not in page


def test_profile_votes_tab_shows_each_vote_with_its_direction(client, activity):
    me, ideas = activity
    login(client, me)
    page = _text(client.get("/me?tab=votes"))
    assert re.search(r'href="/me\?tab=votes"\s+aria-current="page"', page)
    up = _row(page, "Idea I voted up")
    down = _row(page, "Idea I voted down")
    assert "▲ up" in up
    assert "▼" not in up
    assert "score 1" in up
    assert "▼ down" in down
    assert "▲" not in down
    assert "score -1" in down
    assert f'href="/ideas/{ideas["liked"].id}"' in up
    for title in ("My own idea about data", "Idea I only follow", "Idea I never touched"):
        assert title not in page


def test_profile_follows_tab_lists_followed_ideas(client, activity):
    me, _ideas = activity
    login(client, me)
    page = _text(client.get("/me?tab=follows"))
    # Submitting and voting follow an idea, as does the follow button.
    for title in ("My own idea about data", "Idea I voted up", "Idea I voted down",
                  "Idea I only follow"):  # fmt: skip
        _row(page, title)
    assert "Idea I never touched" not in page


def test_profile_with_an_unknown_tab_shows_my_ideas(client, activity):
    me, _ideas = activity
    login(client, me)
    response = client.get("/me?tab=<script>")
    assert response.status_code == 200
    page = _text(response)
    assert re.search(r'href="/me\?tab=ideas"\s+aria-current="page"', page)
    _row(page, "My own idea about data")
    assert "<script>" not in page.split("<main", 1)[1]


def test_profile_of_a_new_user_shows_the_empty_messages(client, make_user):
    login(client, _cheap(make_user()))
    assert "You have not shared an idea yet." in _text(client.get("/me"))
    assert "You have not voted yet." in _text(client.get("/me?tab=votes"))
    assert "You do not follow any idea." in _text(client.get("/me?tab=follows"))


def test_profile_leaves_hidden_ideas_out_of_votes_and_follows(client, activity):
    me, ideas = activity
    ideas["liked"].hidden_at = utcnow()
    db.session.commit()
    login(client, me)
    assert "Idea I voted up" not in _text(client.get("/me?tab=votes"))
    assert "Idea I voted up" not in _text(client.get("/me?tab=follows"))
