"""Row 17: bidi controls are removed and text that shows nothing is refused, in every field.

The rules live in ideaboard/text.py `clean_text`, which every text input goes through.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ideaboard.accounts.models import User
from ideaboard.errors import ValidationFailed
from ideaboard.extensions import db
from ideaboard.ideas.models import Comment, Idea
from ideaboard.text import check_length, clean_text, is_invisible
from tests.helpers import login, post

BIDI = [
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",  # embeddings, pop, overrides
    "\u2066", "\u2067", "\u2068", "\u2069",  # isolates
    "\u200e", "\u200f", "\u061c",  # direction marks
]  # fmt: skip
INVISIBLE = [
    "\u200b" * 6,  # zero-width spaces
    "\u200c\u200d\u2060\ufeff\u200b\u200b",  # joiners, word joiner, BOM
    "\u3164" * 6,  # Hangul filler
    "\u115f\u1160" * 3,  # Hangul choseong/jungseong fillers
    "\u2800" * 6,  # braille blank
    "\u0301" * 6,  # lone combining accents
    "\u00a0\u2003\u3000" * 2,  # no-break, em and ideographic spaces
    "\u202e\u200b" * 3,  # a bidi override around zero-width spaces
]


@pytest.mark.parametrize("char", BIDI)
@pytest.mark.parametrize("multiline", [False, True])
def test_clean_text_removes_bidi_controls(char, multiline):
    text = clean_text(f"Dark{char} mode{char}", field="t", label="T", multiline=multiline)
    assert text == "Dark mode"


def test_clean_text_removes_the_extension_spoof():
    assert clean_text("invoice\u202egpj.exe", field="t", label="T") == "invoicegpj.exe"


@pytest.mark.parametrize("text", INVISIBLE)
@pytest.mark.parametrize("multiline", [False, True])
def test_clean_text_turns_invisible_text_into_nothing(text, multiline):
    assert is_invisible(text)
    cleaned = clean_text(text, field="title", label="Title", multiline=multiline)
    assert cleaned == ""
    with pytest.raises(ValidationFailed, match="required"):
        check_length(cleaned, field="title", label="Title", minimum=5, maximum=140)


@pytest.mark.parametrize(
    "text",
    [
        "가족 요금제 👨‍👩‍👧 공유",  # a ZWJ emoji sequence
        # a flag written with tag characters (format characters, ending in CANCEL TAG)
        "Scotland 🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f flag",
        "café au lait",
        "שלום עולם",  # right-to-left letters are text, not controls
        "x\u200by",  # a zero-width space between letters is kept
    ],
)
def test_clean_text_keeps_visible_text_as_it_is(text):
    assert clean_text(text, field="t", label="T") == text


@pytest.mark.parametrize("title", INVISIBLE)
def test_an_invisible_title_is_refused(client, make_user, title):
    login(client, make_user())
    response = post(client, "/ideas/new", {"title": title})
    assert response.status_code == 422
    assert "is required." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Idea)) == 0


def test_a_title_with_a_bidi_override_is_stored_without_it(client, make_user):
    login(client, make_user())
    response = post(client, "/ideas/new", {"title": "Export \u202etxt.exe reports"})
    assert response.status_code == 302
    assert db.session.scalar(select(Idea.title)) == "Export txt.exe reports"


def test_api_title_with_bidi_and_invisible_titles(client, make_user):
    from tests.helpers import PASSWORD

    user = make_user()
    token = client.post(
        "/api/v1/tokens", json={"email": user.email, "password": PASSWORD}
    ).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    response = client.post(
        "/api/v1/ideas", json={"title": "\u2067Dark mode please\u2069"}, headers=headers
    )
    assert response.status_code == 201
    assert response.get_json()["title"] == "Dark mode please"
    response = client.post("/api/v1/ideas", json={"title": "\u200b" * 10}, headers=headers)
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["title"]


@pytest.mark.parametrize("name", ["\u200b\u200b\u200b", "\u3164", "\u202e\u202e"])
def test_an_invisible_display_name_is_refused(client, name):
    data = {"email": "ann@example.com", "name": name, "password": "long password 1"}
    response = post(client, "/register", {**data, "confirm": data["password"]})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_a_display_name_keeps_its_letters_without_bidi(client):
    data = {"email": "ann@example.com", "name": "\u202eAnn\u202c", "password": "long password 1"}
    response = post(client, "/register", {**data, "confirm": data["password"]})
    assert response.status_code == 302
    assert db.session.scalar(select(User.name)) == "Ann"


def test_comments_lose_bidi_and_refuse_invisible_text(client, make_user, make_idea):
    idea = make_idea()
    login(client, make_user())
    response = post(client, f"/ideas/{idea.id}/comments", {"body": "\u200b\u2060\u200b"})
    assert response.status_code == 422
    response = post(client, f"/ideas/{idea.id}/comments", {"body": "Yes \u202eplease\u202c!"})
    assert response.status_code == 302
    assert db.session.scalar(select(Comment.body)) == "Yes please!"
