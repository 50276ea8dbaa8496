"""Submitting an idea through the form, and the similar-ideas lookup it uses."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.ideas.models import Follow, Idea
from tests.helpers import post
from tests.ideas.helpers import count_rows, field_error, page_text, redirects_to_login, sign_in

# --- submit ---------------------------------------------------------------------------------------


def test_anonymous_submit_page_redirects_to_login(client):
    response = client.get("/ideas/new")
    assert redirects_to_login(response)
    assert parse_qs(urlsplit(response.headers["Location"]).query)["next"] == ["/ideas/new"]


def test_anonymous_submit_post_redirects_to_login_and_stores_nothing(client):
    response = post(client, "/ideas/new", {"title": "A perfectly fine idea"})
    assert redirects_to_login(response)
    assert count_rows(Idea) == 0


def test_submit_page_shows_the_form_with_a_csrf_field_and_categories(client, make_user):
    sign_in(client, make_user())
    response = client.get("/ideas/new")
    assert response.status_code == 200
    page = page_text(response)
    assert re.search(r'<input[^>]*name="csrf_token"[^>]*type="hidden"[^>]*value="\w', page)
    assert 'name="title"' in page
    assert 'name="body"' in page
    assert '<option value="billing">Billing &amp; payments</option>' in page


def test_submit_stores_the_idea_in_nfc_and_the_author_follows_it(client, make_user):
    author = make_user()
    sign_in(client, author)
    title = unicodedata.normalize("NFD", "데이터 이월 서비스를 만들어 주세요")
    response = post(
        client,
        "/ideas/new",
        {"title": title, "body": "남은 데이터를 넘겨요.", "category": "product"},
    )
    assert response.status_code == 302
    idea = db.session.scalars(select(Idea)).one()
    assert response.headers["Location"] == f"/ideas/{idea.id}"
    assert idea.title == "데이터 이월 서비스를 만들어 주세요"
    assert unicodedata.is_normalized("NFC", idea.title)
    assert idea.category.slug == "product"
    assert idea.stage.slug == "new"
    assert idea.source == "web"
    assert idea.author_id == author.id
    assert db.session.get(Follow, (author.id, idea.id)) is not None
    assert idea.follower_count == 1
    page = page_text(client.get(response.headers["Location"]))
    assert "Thank you! Your idea is on the board." in page


@pytest.mark.parametrize(
    "title",
    [
        "데이터 이월 서비스",
        "Dark mode 🌙 please",
        "🌙🌙🌙🌙🌙",
        "五個字標題",
        "x" * 140,
        "가" * 140,
    ],
)
def test_submit_accepts_emoji_and_korean_titles(client, make_user, title):
    sign_in(client, make_user())
    response = post(client, "/ideas/new", {"title": title, "body": ""})
    assert response.status_code == 302
    assert db.session.scalars(select(Idea.title)).one() == title


def test_submit_counts_the_title_length_after_nfc_normalisation(client, make_user):
    sign_in(client, make_user())
    title = "가나다라마바사아자차" * 10
    response = post(client, "/ideas/new", {"title": unicodedata.normalize("NFD", title)})
    assert response.status_code == 302
    assert db.session.scalars(select(Idea.title)).one() == title


@pytest.mark.parametrize(
    ("title", "body", "category", "field", "message"),
    [
        ("", "", "", "title", "This field is required."),
        ("      ", "", "", "title", "This field is required."),
        ("abcd", "", "", "title", "at least 5 characters"),
        ("abcd    ", "", "", "title", "Title must be at least 5 characters long."),
        ("x" * 141, "", "", "title", "at most 140 characters"),
        ("x" * 10_000, "", "", "title", r"(at most 140|longer than)"),
        ("Null\x00byte title", "", "", "title", "Title contains characters that are not allowed."),
        ("Bell\x07 in the title", "", "", "title", "not allowed"),
        ("A fine title", "b" * 20_001, "", "body", "20000"),
        ("A fine title", "NUL \x00 in body", "", "body", "not allowed"),
        ("A fine title", "", "no-such-category", "category", "Not a valid choice"),
    ],
    ids=[
        "empty", "whitespace", "four-chars", "four-chars-padded", "141-chars", "10000-chars",
        "nul-title", "bell-title", "body-20001", "nul-body", "unknown-category",
    ],
)  # fmt: skip
def test_submit_with_bad_input_is_a_422_with_the_error_and_stores_nothing(
    client, make_user, title, body, category, field, message
):
    sign_in(client, make_user())
    response = post(client, "/ideas/new", {"title": title, "body": body, "category": category})
    assert response.status_code == 422
    assert re.search(message, field_error(page_text(response), field))
    assert count_rows(Idea) == 0
    assert count_rows(Follow) == 0


def test_submit_body_length_is_counted_after_newline_normalisation(client, make_user):
    sign_in(client, make_user())
    body = "\r\n".join(["y" * 99] * 200)  # 19,999 characters once newlines are normalised
    response = post(client, "/ideas/new", {"title": "A fine title", "body": body})
    assert response.status_code == 302
    assert len(db.session.scalars(select(Idea.body)).one()) == 19_999


def test_submit_body_of_exactly_20000_characters_is_accepted(client, make_user):
    sign_in(client, make_user())
    response = post(client, "/ideas/new", {"title": "A fine title", "body": "b" * 20_000})
    assert response.status_code == 302
    assert len(db.session.scalars(select(Idea.body)).one()) == 20_000


def test_submit_without_csrf_token_is_refused_and_stores_nothing(client, make_user):
    sign_in(client, make_user())
    response = client.post("/ideas/new", data={"title": "A perfectly fine idea"})
    assert response.status_code == 400
    assert "The form expired or was sent from another site." in page_text(response)
    assert count_rows(Idea) == 0


def test_submit_with_a_wrong_csrf_token_is_refused(client, make_user):
    sign_in(client, make_user())
    response = client.post(
        "/ideas/new", data={"title": "A perfectly fine idea", "csrf_token": "forged"}
    )
    assert response.status_code == 400
    assert count_rows(Idea) == 0


HOSTILE_BODY = """\
<script>alert("body")</script>

<img src=x onerror="alert(1)">

<a href="https://evil.example/" onclick="steal()">raw link</a>

[a good link](https://example.com/page) and [a bad one](javascript:alert(2))

**bold** text
"""


def test_submitted_html_is_shown_escaped_and_links_are_nofollow(client, make_user):
    sign_in(client, make_user())
    response = post(
        client, "/ideas/new", {"title": "<b>Bold</b> move for us", "body": HOSTILE_BODY}
    )
    assert response.status_code == 302
    page = page_text(client.get(response.headers["Location"]))
    assert "<script>alert" not in page
    assert not re.search(r"<[^>]*\son\w+\s*=", page), "an event handler attribute survived"
    assert "<img" not in page
    assert 'href="javascript' not in page
    assert '<a href="https://evil.example/"' not in page
    assert re.search(
        r'<a href="https://example\.com/page" rel="nofollow ugc noopener">a good link</a>', page
    )
    assert "<strong>bold</strong>" in page
    # The text is kept, only made harmless.
    assert "&lt;script&gt;" in page
    assert "<h1>&lt;b&gt;Bold&lt;/b&gt; move for us</h1>" in page


# --- similar --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("데이터 이월", ["데이터 이월 서비스"]),
        ("이월", ["데이터 이월 서비스"]),
        ("dark mode", ["Dark Mode for the app"]),
        ("ROAMING fees japan", ["Cheaper roaming in Japan"]),
        ("a", []),
        ("", []),
        (" x ", []),
        ("zebra crossing", []),
    ],
)
def test_similar_returns_matching_ideas_as_json(client, searchable, title, expected):
    response = client.get("/ideas/similar", query_string={"title": title})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    items = response.get_json()["items"]
    assert [item["title"] for item in items] == expected
    for item in items:
        idea = db.session.get(Idea, item["id"])
        assert item["url"] == f"/ideas/{idea.id}"
        assert item["score"] == idea.score
        assert item["stage"] == "New"


def test_similar_leaves_out_hidden_ideas(client, make_idea):
    hidden = make_idea(title="Roll over unused data")
    hidden.hidden_at = utcnow()
    db.session.commit()
    response = client.get("/ideas/similar", query_string={"title": "roll over unused data"})
    assert response.get_json()["items"] == []
