"""Row 9: values a field cannot take are a 4xx with a message, never a 500.

Files sent in multipart bodies (no page takes uploads), numbers that are not numbers to
int() ("²" is a digit to str.isdigit()), numbers past the INTEGER columns, and decimals that
are not finite (sNaN made the range check raise).
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from ideaboard.accounts.models import Role, User
from ideaboard.extensions import db
from ideaboard.ideas.models import Comment
from ideaboard.inputs import parse_row_id
from ideaboard.social.models import SocialAccount
from tests.helpers import PASSWORD, csrf_token, login, post


def _file() -> tuple[io.BytesIO, str]:
    return io.BytesIO(b"not text"), "note.txt"


@pytest.mark.parametrize("field", ["email", "password", "next"])
def test_a_file_in_a_login_field_is_a_400(client, make_user, field):
    user = make_user()
    data = {"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)}
    data[field] = _file()
    response = client.post("/login", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "does not accept file uploads" in response.get_data(as_text=True)


@pytest.mark.parametrize("field", ["email", "name", "password", "confirm"])
def test_a_file_in_a_register_field_is_a_400_and_stores_nothing(client, field):
    data = {
        "email": "ann@example.com",
        "name": "Ann",
        "password": "long password 1",
        "confirm": "long password 1",
        "csrf_token": csrf_token(client),
    }
    data[field] = _file()
    response = client.post("/register", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_a_file_in_a_comment_is_a_400_and_stores_nothing(client, make_user, make_idea):
    idea = make_idea()
    login(client, make_user())
    data = {"body": _file(), "csrf_token": csrf_token(client)}
    response = client.post(
        f"/ideas/{idea.id}/comments", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


def test_a_file_in_an_api_call_is_a_4xx(client):
    response = client.post(
        "/api/v1/tokens", data={"email": _file()}, content_type="multipart/form-data"
    )
    assert 400 <= response.status_code < 500
    assert response.get_json()["error"]["code"]


def test_a_text_multipart_form_still_works(client, make_user):
    user = make_user()
    data = {"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)}
    response = client.post("/login", data=data, content_type="multipart/form-data")
    assert response.status_code == 302


BAD_IDS = ["²", "٣", "99999999999999999999", "2147483648", "0", "-1", "1.5", "1e3", " 1", "0x1"]


def test_staff_inbox_assignee_filter_refuses_what_is_not_a_user_id(client, make_user):
    login(client, make_user(Role.STAFF))
    for value in BAD_IDS:
        response = client.get("/staff/", query_string={"assignee": value})
        assert response.status_code == 400, value
        assert "Unknown assignee." in response.get_data(as_text=True)
    assert client.get("/staff/", query_string={"assignee": "2147483647"}).status_code == 200


def test_bulk_stage_refuses_what_is_not_an_idea_number(client, make_user, make_idea):
    idea = make_idea()
    login(client, make_user(Role.STAFF))
    for value in ("²", "٣", "-1", "1.5", "1e3", " 1", "0x1", "", "1\u200b"):
        data = {"ideas": [str(idea.id), value], "stage": "planned", "note": "Planned."}
        response = post(client, "/staff/bulk-stage", data)
        assert response.status_code == 422, value
        assert "not idea numbers" in response.get_data(as_text=True)
    # Numbers past the id range name no idea: skipped like a deleted idea, no database error.
    for value in ("99999999999999999999", "2147483648", "9" * 5000):
        data = {"ideas": value, "stage": "planned", "note": "Planned."}
        assert post(client, "/staff/bulk-stage", data).status_code == 302, value
    db.session.refresh(idea)
    assert idea.stage.slug == "new"


def test_workflow_transitions_refuse_what_is_not_a_stage_id(client, make_user):
    login(client, make_user(Role.ADMIN))
    for value in ("²-1", "1-²", "99999999999999999999-1", "1-2147483648"):
        response = post(client, "/staff/workflow/transitions", {"allow": value})
        assert response.status_code == 422, value


def test_merge_target_past_the_id_range_is_a_form_error(client, make_user, make_idea):
    idea = make_idea()
    login(client, make_user(Role.STAFF))
    for value in ("99999999999999999999", "²", "sNaN"):
        response = post(client, f"/staff/ideas/{idea.id}/merge", {"merge-target": value})
        assert 400 <= response.status_code < 500, value


def test_vote_value_that_is_not_a_number_is_422(client, make_user, make_idea):
    idea = make_idea()
    login(client, make_user())
    for value in ("²", "99999999999999999999", "NaN", "1e3"):
        response = post(client, f"/ideas/{idea.id}/vote", {"value": value})
        assert response.status_code == 422, value


@pytest.mark.parametrize(
    ("cap", "message"),
    [
        ("sNaN", "must be a number"),
        ("NaN", "must be a number"),
        ("-NaN", "must be a number"),
        ("inf", "must be a number"),
        ("-Infinity", "must be a number"),
        ("1e999", "100000"),
        ("-1", "0"),
        ("abc", "Not a valid decimal value"),
    ],
)
def test_monthly_cap_that_is_not_a_usable_number_is_a_4xx(client, make_user, cap, message):
    account = SocialAccount(remote_user_id="1500000000000000001", username="hanbit")
    db.session.add(account)
    db.session.commit()
    login(client, make_user(Role.ADMIN))
    prefix = f"a{account.id}-"
    data = {"tags": "idea", "signature": "IB", "moderation": "publish", "monthly_cap_usd": cap}
    response = post(
        client, f"/staff/accounts/{account.id}", {prefix + k: v for k, v in data.items()}
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SocialAccount, account.id).monthly_cap_usd is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", 1), ("2147483647", 2147483647), ("2147483648", None), ("²", None), ("", None),
     ("0", None), ("-1", None), ("+1", None), ("1 ", None), ("１", None), (None, None)],
)  # fmt: skip
def test_parse_row_id(raw, expected):
    assert parse_row_id(raw) == expected
