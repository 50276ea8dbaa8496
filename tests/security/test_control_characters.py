"""Row 6: NUL and other control characters are refused with a 4xx on both databases.

On PostgreSQL a NUL byte that reaches a query is a `psycopg.DataError` (a 500); on SQLite it
was stored. Query parameters and one-line fields refuse C0, DEL and C1; text areas allow tab
and line breaks.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ideaboard.accounts.models import Role, User
from ideaboard.extensions import db
from ideaboard.ideas.models import Comment, Idea
from ideaboard.social.models import ReplyTemplate, SocialAccount
from tests.helpers import PASSWORD, login, post

BAD = ["\x00", "\x07", "\x1b", "\x7f", "\x85"]


def _is_4xx_with_message(response) -> bool:
    return 400 <= response.status_code < 500 and ("not allowed" in response.get_data(as_text=True))


PUBLIC_QUERIES = [
    ("/", "stage"),
    ("/", "category"),
    ("/", "q"),
    ("/", "sort"),
    ("/", "cursor"),
    ("/ideas/new", "title"),
    ("/login", "next"),
    ("/stats", "period"),
    ("/api/v1/ideas", "stage"),
    ("/api/v1/ideas", "category"),
    ("/api/v1/ideas", "q"),
]
STAFF_QUERIES = [
    ("/staff/", "stage"),
    ("/staff/", "category"),
    ("/staff/", "team"),
    ("/staff/", "source"),
    ("/staff/", "assignee"),
    ("/staff/", "q"),
    ("/staff/outbox", "state"),
]


def test_control_characters_in_public_query_parameters_are_4xx(client):
    wrong = [
        (path, name, char, response.status_code)
        for path, name in PUBLIC_QUERIES
        for char in BAD
        if not _is_4xx_with_message(response := client.get(path, query_string={name: f"new{char}"}))
    ]
    assert not wrong


def test_control_characters_in_staff_filters_are_4xx(client, make_user):
    login(client, make_user(Role.STAFF))
    wrong = [
        (path, name, char, response.status_code)
        for path, name in STAFF_QUERIES
        for char in BAD
        if not _is_4xx_with_message(response := client.get(path, query_string={name: f"new{char}"}))
    ]
    assert not wrong


def test_control_characters_in_parameter_names_are_4xx(client):
    assert _is_4xx_with_message(client.get("/?st\x00age=new"))
    assert _is_4xx_with_message(post(client, "/login", {"em\x00ail": "x"}))


@pytest.mark.parametrize("field", ["email", "password"])
def test_login_form_refuses_control_characters(client, make_user, field):
    user = make_user()
    for char in BAD:
        data = {"email": user.email, "password": PASSWORD}
        data[field] = data[field][:3] + char + data[field][3:]
        response = post(client, "/login", data)
        assert response.status_code == 422, char
        assert "contains characters that are not allowed" in response.get_data(as_text=True)


@pytest.mark.parametrize("field", ["email", "name", "password"])
def test_register_form_refuses_control_characters(client, field):
    for char in BAD:
        data = {"email": "ann@example.com", "name": "Ann", "password": "long password 1"}
        data[field] = data[field][:2] + char + data[field][2:]
        data["confirm"] = data["password"]
        response = post(client, "/register", data)
        assert response.status_code == 422, char
        assert "contains characters that are not allowed" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_comment_refuses_control_characters(client, make_user, make_idea):
    idea = make_idea()
    login(client, make_user())
    for char in BAD:
        response = post(client, f"/ideas/{idea.id}/comments", {"body": f"Nice{char} idea"})
        assert response.status_code == 422, char
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


def test_text_areas_keep_tabs_and_line_breaks(client, make_user, make_idea):
    idea = make_idea()
    login(client, make_user())
    response = post(client, f"/ideas/{idea.id}/comments", {"body": "Nice\tidea\r\nreally"})
    assert response.status_code == 302
    assert db.session.scalar(select(Comment.body)) == "Nice\tidea\nreally"


def test_one_line_fields_refuse_line_breaks(client, make_user):
    login(client, make_user())
    response = post(client, "/ideas/new", {"title": "A fine\ntitle"})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Idea)) == 0


def _account() -> SocialAccount:
    account = SocialAccount(remote_user_id="1500000000000000001", username="hanbit")
    db.session.add(account)
    db.session.commit()
    return account


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x85"], ids=["nul", "bell", "c1-next-line"])
@pytest.mark.parametrize("field", ["tags", "signature"])
def test_account_settings_refuse_control_characters(client, make_user, field, char):
    account = _account()
    login(client, make_user(Role.ADMIN))
    data = {"tags": "idea,아이디어", "signature": "IB", "moderation": "publish"}
    data[field] = data[field][:1] + char + data[field][1:]
    response = post(
        client, f"/staff/accounts/{account.id}", {f"a{account.id}-{k}": v for k, v in data.items()}
    )
    assert _is_4xx_with_message(response), response.status_code
    db.session.expire_all()
    assert db.session.get(SocialAccount, account.id).tags == "idea,아이디어"


def test_account_settings_still_save(client, make_user):
    account = _account()
    login(client, make_user(Role.ADMIN))
    data = {
        "tags": "idea, #제안",
        "signature": "IB",
        "moderation": "hold",
        "monthly_cap_usd": "12.5",
    }
    response = post(
        client, f"/staff/accounts/{account.id}", {f"a{account.id}-{k}": v for k, v in data.items()}
    )
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(SocialAccount, account.id)
    assert (saved.tags, saved.moderation, saved.monthly_cap_usd) == ("idea,제안", "hold", 12.5)


def test_reply_template_refuses_control_characters(client, make_user):
    login(client, make_user(Role.ADMIN))
    for char in BAD:
        text = f"Planned{char}: {{url}}"
        data = {"kind": "stage", "stage_slug": "planned", "lang": "en", "text": text}
        response = post(client, "/staff/reply-templates/", data)
        assert response.status_code < 500, char
    assert db.session.scalar(select(func.count()).select_from(ReplyTemplate)) == 0


def test_api_token_request_refuses_control_characters(client, make_user):
    user = make_user()
    for field in ("email", "password", "name"):
        for char in BAD:
            body = {"email": user.email, "password": PASSWORD, "name": "script"}
            body[field] = body[field][:2] + char + body[field][2:]
            response = client.post("/api/v1/tokens", json=body)
            assert response.status_code == 422, (field, char)
            assert list(response.get_json()["error"]["fields"]) == [field]


def test_api_body_keys_refuse_control_characters(client, make_user):
    response = client.post("/api/v1/tokens", json={"em\x00ail": "x", "password": "y"})
    assert response.status_code == 422


def test_every_form_of_the_app_has_the_input_guard(app):
    """Each form derives from ideaboard.forms.FlaskForm: its fields refuse control characters."""
    import flask_wtf

    from ideaboard import forms

    found, stack = [], list(flask_wtf.FlaskForm.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("ideaboard.") and cls is not forms.FlaskForm:
            found.append(cls)
    assert len(found) > 10
    unguarded = [
        f"{c.__module__}.{c.__name__}" for c in found if not issubclass(c, forms.FlaskForm)
    ]
    assert not unguarded, "derive these from ideaboard.forms.FlaskForm"
