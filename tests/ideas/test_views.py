"""The public board through the test client: tabs, search, pages, submit, vote, comment, follow."""

from __future__ import annotations

import base64
import html
import json
import re
import unicodedata
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from ideaboard.accounts.models import Role
from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.ideas import services
from ideaboard.ideas.models import Comment, Follow, Idea, Notification, Vote
from ideaboard.ideas.ranking import hot_rank
from ideaboard.text import render_markdown
from ideaboard.triage.models import Stage
from ideaboard.triage.services import change_stage, find_stage
from tests.helpers import PASSWORD, login, post

JSON = {"Accept": "application/json"}
# One hash round: the login form is exercised for real, without scrypt's 0.1 s per login.
CHEAP_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
T0 = utcnow().replace(microsecond=0) - timedelta(days=10)


def sign_in(client, user) -> None:
    """Log the client in through the real login form, with a cheap password hash."""
    user.password_hash = CHEAP_HASH
    db.session.commit()
    login(client, user)


def _count(model, *criteria) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model).where(*criteria)) or 0)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _titles(page: str) -> list[str]:
    """Return the idea titles of a board page, in the order shown."""
    found = re.findall(r'<h2 class="idea-title"><a href="[^"]*">([^<]*)</a>', page)
    return [html.unescape(t) for t in found]


def _stage(slug: str) -> Stage:
    stage = db.session.scalar(select(Stage).where(Stage.slug == slug))
    assert stage is not None
    return stage


def _rank(idea: Idea, *, score: int, created_at) -> Idea:
    """Give an idea an exact score and creation time, and the rank that goes with them."""
    idea.score = score
    idea.up_count = max(score, 0)
    idea.down_count = max(-score, 0)
    idea.created_at = created_at
    idea.hot = hot_rank(score, created_at)
    db.session.commit()
    return idea


def _cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _field_error(page: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    assert match, f"no error shown for {field}"
    return html.unescape(match.group(1))


def _redirects_to_login(response) -> bool:
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


# --- the board ------------------------------------------------------------------------------------


@pytest.fixture
def three_ideas(make_idea) -> dict[str, Idea]:
    """Three ideas whose order differs in every tab."""
    charlie = _rank(make_idea(title="Charlie middle"), score=2, created_at=T0 + timedelta(days=2))
    alpha = _rank(make_idea(title="Alpha old popular"), score=5, created_at=T0)
    bravo = _rank(make_idea(title="Bravo brand new"), score=0, created_at=T0 + timedelta(days=3))
    return {"alpha": alpha, "bravo": bravo, "charlie": charlie}


@pytest.mark.parametrize(
    ("query", "tab", "order"),
    [
        ("", "trending", ["Bravo brand new", "Charlie middle", "Alpha old popular"]),
        ("?sort=trending", "trending", ["Bravo brand new", "Charlie middle", "Alpha old popular"]),
        ("?sort=top", "top", ["Alpha old popular", "Charlie middle", "Bravo brand new"]),
        ("?sort=new", "new", ["Bravo brand new", "Alpha old popular", "Charlie middle"]),
    ],
)
def test_board_tab_lists_ideas_in_its_order_and_marks_the_tab(
    client, three_ideas, query, tab, order
):
    response = client.get(f"/{query}")
    assert response.status_code == 200
    page = _text(response)
    assert _titles(page) == order
    current = re.findall(r'<a href="([^"]*)"\s+aria-current="page"', page)
    assert len(current) == 1
    assert f"sort={tab}" in current[0]


def test_board_shows_score_stage_and_author_on_each_card(client, make_user, make_idea):
    idea = make_idea(make_user(name="Minji Kim"), title="Dark mode for the app", category="app")
    _rank(idea, score=4, created_at=T0)
    page = _text(client.get("/"))
    card = page[page.index(f'id="idea-{idea.id}"') :]
    card = card[: card.index("</li>")]
    assert "Dark mode for the app" in card
    assert "<span data-score-value>4</span>" in card
    assert '<span class="stage-badge"' in card
    assert ">New</span>" in card
    assert '<span class="category">App' in card
    assert "Minji Kim" in card


def test_category_and_stage_names_from_the_database_are_html_escaped(client, make_idea):
    idea = make_idea(title="Idea with odd names", category="app")
    idea.category.name = "<i>Apps</i> & web"
    idea.stage.name = "<u>New</u>"
    db.session.commit()
    for path in ("/", f"/ideas/{idea.id}"):
        page = _text(client.get(path))
        assert "<i>Apps</i>" not in page
        assert "<u>New</u>" not in page
        assert "&lt;u&gt;New&lt;/u&gt;" in page


def test_empty_board_invites_the_first_idea(client):
    page = _text(client.get("/"))
    assert "No ideas here yet." in page
    assert _titles(page) == []


@pytest.mark.parametrize("sort", ["hot", "TOP", "best", "<script>x</script>"])
def test_board_with_an_unknown_sort_is_a_400_with_a_message(client, three_ideas, sort):
    response = client.get("/", query_string={"sort": sort})
    assert response.status_code == 400
    page = _text(response)
    assert "Sort by trending, top or new." in page
    assert "<script>x</script>" not in page
    assert _titles(page) == []


def test_board_filters_by_stage(client, make_idea):
    planned = make_idea(title="Planned idea here")
    planned.stage = _stage("planned")
    db.session.commit()
    make_idea(title="Brand new idea here")
    page = _text(client.get("/?stage=planned"))
    assert _titles(page) == ["Planned idea here"]
    assert '<option value="planned" selected>' in page
    assert _titles(_text(client.get("/?stage=launched"))) == []


def test_board_filters_by_category(client, make_idea):
    make_idea(title="Billing idea here", category="billing")
    make_idea(title="App idea here", category="app")
    make_idea(title="Idea without category")
    assert _titles(_text(client.get("/?category=billing"))) == ["Billing idea here"]
    assert _titles(_text(client.get("/?category=app&stage=new"))) == ["App idea here"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("stage=nope", "There is no stage called nope."),
        ("category=nope", "There is no category called nope."),
        ("stage=%3Cb%3Ebold%3C%2Fb%3E", "There is no stage called &lt;b&gt;bold&lt;/b&gt;."),
    ],
)
def test_board_with_an_unknown_filter_is_a_400_with_a_message(client, make_idea, query, message):
    make_idea()
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    page = _text(response)
    assert message in page
    assert "<b>bold</b>" not in page
    assert _titles(page) == []


@pytest.fixture
def searchable(make_idea) -> None:
    make_idea(title="데이터 이월 서비스", body="남은 데이터를 다음 달로 넘겨 주세요.")
    make_idea(title="Dark Mode for the app", body="Easier on the eyes at night.")
    make_idea(title="Cheaper roaming in Japan", body="Roaming fees are too high.")


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("데이터 이월", ["데이터 이월 서비스"]),
        ("이월", ["데이터 이월 서비스"]),
        ("데이터", ["데이터 이월 서비스"]),
        (unicodedata.normalize("NFD", "데이터 이월"), ["데이터 이월 서비스"]),
        ("dark mode", ["Dark Mode for the app"]),
        ("DARK MODE", ["Dark Mode for the app"]),
        ("dArK", ["Dark Mode for the app"]),
        ("roaming FEES", ["Cheaper roaming in Japan"]),
        ("at", ["Dark Mode for the app"]),
    ],
)
def test_board_search_finds_korean_and_english_ideas(client, searchable, q, expected):
    response = client.get("/", query_string={"q": q})
    assert response.status_code == 200
    assert _titles(_text(response)) == expected


def test_board_search_keeps_the_query_in_the_box(client, searchable):
    page = _text(client.get("/", query_string={"q": "데이터 이월"}))
    assert 'value="데이터 이월"' in page


@pytest.mark.parametrize("q", ["zebra", "데이터 zebra", "이월 zebra", "%", "_"])
def test_board_search_without_a_match_shows_the_empty_message(client, searchable, q):
    response = client.get("/", query_string={"q": q})
    assert response.status_code == 200
    page = _text(response)
    assert _titles(page) == []
    assert f'No idea matches "{q}".' in page
    assert "No ideas here yet." not in page


def test_board_search_escapes_the_query_in_the_empty_message(client):
    page = _text(client.get("/", query_string={"q": "<script>alert(1)</script>"}))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def _follow_pages(test_client, first_url: str) -> list[list[str]]:
    pages: list[list[str]] = []
    url: str | None = first_url
    while url is not None:
        response = test_client.get(url)
        assert response.status_code == 200, url
        page = _text(response)
        pages.append(_titles(page))
        assert len(pages) < 20, "the pages never end"
        match = re.search(r'<a rel="next" href="([^"]+)"', page)
        url = html.unescape(match.group(1)) if match else None
    return pages


@pytest.mark.parametrize("sort", ["trending", "top", "new"])
def test_more_ideas_links_visit_every_idea_exactly_once(app_factory, make_idea, sort):
    ideas = []
    for n in range(10):
        # Shared scores and creation times, so ties must be broken by the id.
        idea = make_idea(title=f"Paged idea {n:02d}")
        ideas.append(_rank(idea, score=n % 3, created_at=T0 + timedelta(hours=n // 4)))
    key = {
        "trending": lambda i: (i.hot, i.id),
        "top": lambda i: (i.score, i.id),
        "new": lambda i: (i.id,),
    }[sort]
    expected = [i.title for i in sorted(ideas, key=key, reverse=True)]
    small = app_factory(IDEABOARD_PAGE_SIZE=3)
    pages = _follow_pages(small.test_client(), f"/?sort={sort}")
    assert [len(p) for p in pages] == [3, 3, 3, 1]
    seen = [t for p in pages for t in p]
    assert seen == expected
    assert len(set(seen)) == 10


def test_more_ideas_links_keep_the_search_and_filters(app_factory, make_idea):
    for n in range(5):
        make_idea(title=f"Roaming idea {n}", category="product")
    make_idea(title="Roaming but another category", category="app")
    make_idea(title="Something else entirely", category="product")
    small = app_factory(IDEABOARD_PAGE_SIZE=2)
    pages = _follow_pages(small.test_client(), "/?sort=top&q=roaming&category=product")
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sorted(t for p in pages for t in p) == [f"Roaming idea {n}" for n in range(5)]


def test_a_later_page_links_back_to_the_first(app_factory, make_idea):
    for _ in range(3):
        make_idea()
    small = app_factory(IDEABOARD_PAGE_SIZE=2)
    small_client = small.test_client()
    first = _text(small_client.get("/?sort=new"))
    assert "« First page" not in first
    next_url = html.unescape(re.search(r'<a rel="next" href="([^"]+)"', first).group(1))
    assert parse_qs(urlsplit(next_url).query)["sort"] == ["new"]
    second = _text(small_client.get(next_url))
    assert "« First page" in second
    assert 'rel="next"' not in second


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "!!!", "데이터", _cursor(["x", 1]), _cursor([1, 2, 3]), _cursor({"a": 1})],
)
def test_board_with_a_garbage_cursor_is_a_400_not_a_500(client, make_idea, cursor):
    make_idea()
    response = client.get("/", query_string={"sort": "top", "cursor": cursor})
    assert response.status_code == 400
    assert "This page link is not valid; start from the first page." in _text(response)


@pytest.mark.parametrize("sort", ["trending", "top", "new"])
def test_board_with_a_cursor_holding_a_huge_integer_is_a_400_not_a_500(client, make_idea, sort):
    make_idea()
    values = {"trending": [1.5, 2**64], "top": [2**64, 1], "new": [2**64]}[sort]
    response = client.get("/", query_string={"sort": sort, "cursor": _cursor(values)})
    assert response.status_code == 400


def test_board_hides_hidden_ideas_from_customers_and_marks_them_for_staff(
    client, make_user, make_idea
):
    make_idea(title="Visible idea here")
    hidden = make_idea(title="Hidden spam idea")
    hidden.hidden_at = utcnow()
    db.session.commit()
    assert _titles(_text(client.get("/"))) == ["Visible idea here"]
    sign_in(client, make_user(Role.STAFF))
    page = _text(client.get("/?sort=new"))
    assert _titles(page) == ["Hidden spam idea", "Visible idea here"]
    assert '<span class="hidden-mark">Hidden</span>' in page


def test_board_shows_the_viewers_own_vote_pressed(client, make_user, make_idea):
    voter = make_user()
    idea = make_idea(title="Idea I voted for")
    services.cast_vote(voter, idea, -1)
    db.session.commit()
    sign_in(client, voter)
    page = _text(client.get("/"))
    assert re.search(r'class="vote-down"\s+aria-pressed="true"', page)
    assert re.search(r'class="vote-up"\s+aria-pressed="false"', page)


# --- submit ---------------------------------------------------------------------------------------


def test_anonymous_submit_page_redirects_to_login(client):
    response = client.get("/ideas/new")
    assert _redirects_to_login(response)
    assert parse_qs(urlsplit(response.headers["Location"]).query)["next"] == ["/ideas/new"]


def test_anonymous_submit_post_redirects_to_login_and_stores_nothing(client):
    response = post(client, "/ideas/new", {"title": "A perfectly fine idea"})
    assert _redirects_to_login(response)
    assert _count(Idea) == 0


def test_submit_page_shows_the_form_with_a_csrf_field_and_categories(client, make_user):
    sign_in(client, make_user())
    response = client.get("/ideas/new")
    assert response.status_code == 200
    page = _text(response)
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
    page = _text(client.get(response.headers["Location"]))
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
    assert re.search(message, _field_error(_text(response), field))
    assert _count(Idea) == 0
    assert _count(Follow) == 0


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
    assert "The form expired or was sent from another site." in _text(response)
    assert _count(Idea) == 0


def test_submit_with_a_wrong_csrf_token_is_refused(client, make_user):
    sign_in(client, make_user())
    response = client.post(
        "/ideas/new", data={"title": "A perfectly fine idea", "csrf_token": "forged"}
    )
    assert response.status_code == 400
    assert _count(Idea) == 0


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
    page = _text(client.get(response.headers["Location"]))
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


# --- idea page ------------------------------------------------------------------------------------


def test_idea_page_shows_title_stage_author_empty_timeline_and_comments(
    client, make_user, make_idea
):
    idea = make_idea(make_user(name="Minji Kim"), title="Dark mode for the app", body="*Please*")
    services.add_comment(make_user(name="Jun Park"), idea, "Yes, **my eyes** hurt.")
    db.session.commit()
    response = client.get(f"/ideas/{idea.id}")
    assert response.status_code == 200
    page = _text(response)
    assert "<h1>Dark mode for the app</h1>" in page
    assert re.search(r'<span class="stage-badge"[^>]*>New</span>', page)
    assert "Suggested by Minji Kim" in page
    assert "<em>Please</em>" in page
    assert "No status updates yet." in page
    assert "1 comment" in page
    assert "<strong>Jun Park</strong>" in page
    assert "Yes, <strong>my eyes</strong> hurt." in page
    assert "Log in to vote and comment." in page
    assert "2 followers" in page


def test_idea_page_for_an_unknown_id_is_a_404(client):
    response = client.get("/ideas/999999")
    assert response.status_code == 404
    assert "There is no idea with this number." in _text(response)


def test_hidden_idea_page_is_a_404_for_customers_and_shown_to_staff(client, make_user, make_idea):
    idea = make_idea(title="Hidden spam idea")
    idea.hidden_at = utcnow()
    db.session.commit()
    assert client.get(f"/ideas/{idea.id}").status_code == 404
    sign_in(client, make_user(Role.STAFF))
    response = client.get(f"/ideas/{idea.id}")
    assert response.status_code == 200
    assert "Hidden spam idea" in _text(response)


def test_imported_idea_page_credits_the_social_author_and_links_the_post(client):
    now = utcnow()
    body = "@brand please let unused data roll over #idea"
    idea = Idea(
        title="Let unused data roll over",
        body=body,
        body_html=render_markdown(body),
        stage=services.default_stage(),
        source="x",
        source_url="https://x.com/minji/status/1234567890",
        source_author_name="Minji Kim",
        source_author_handle="minji",
        created_at=now,
        updated_at=now,
        hot=hot_rank(0, now),
    )
    db.session.add(idea)
    db.session.commit()
    page = _text(client.get(f"/ideas/{idea.id}"))
    assert "Suggested on X by Minji Kim" in page
    assert '<a href="https://x.com/minji/status/1234567890" rel="nofollow noopener">@minji</a>' in (
        page
    )
    assert "See the original post on X" in page
    assert "Suggested by" not in page
    board = _text(client.get("/"))
    assert "𝕏 @minji" in board


# --- vote -----------------------------------------------------------------------------------------


def _vote(client, idea_id: int, value, **kwargs):
    return post(client, f"/ideas/{idea_id}/vote", {"value": value}, **kwargs)


def test_vote_as_json_goes_up_changes_to_down_and_is_withdrawn(client, make_user, make_idea):
    voter = make_user()
    idea = make_idea()
    sign_in(client, voter)

    response = _vote(client, idea.id, "1", headers=JSON)
    assert response.status_code == 200
    assert response.get_json() == {"score": 1, "up": 1, "down": 0, "my_vote": 1}
    assert db.session.scalars(select(Vote.value).where(Vote.user_id == voter.id)).all() == [1]

    response = _vote(client, idea.id, "-1", headers=JSON)
    assert response.get_json() == {"score": -1, "up": 0, "down": 1, "my_vote": -1}
    assert db.session.scalars(select(Vote.value).where(Vote.user_id == voter.id)).all() == [-1]

    response = _vote(client, idea.id, "0", headers=JSON)
    assert response.get_json() == {"score": 0, "up": 0, "down": 0, "my_vote": 0}
    assert _count(Vote) == 0
    db.session.refresh(idea)
    assert (idea.score, idea.up_count, idea.down_count) == (0, 0, 0)


def test_voting_up_twice_keeps_one_vote(client, make_user, make_idea):
    idea = make_idea()
    sign_in(client, make_user())
    _vote(client, idea.id, "1", headers=JSON)
    response = _vote(client, idea.id, "1", headers=JSON)
    assert response.get_json() == {"score": 1, "up": 1, "down": 0, "my_vote": 1}
    assert _count(Vote) == 1


def test_votes_of_two_people_add_up(client, make_user, make_idea):
    idea = make_idea()
    services.cast_vote(make_user(), idea, 1)
    db.session.commit()
    sign_in(client, make_user())
    response = _vote(client, idea.id, "1", headers=JSON)
    assert response.get_json() == {"score": 2, "up": 2, "down": 0, "my_vote": 1}


def test_voting_follows_the_idea(client, make_user, make_idea):
    voter = make_user()
    idea = make_idea()
    sign_in(client, voter)
    _vote(client, idea.id, "1", headers=JSON)
    assert db.session.get(Follow, (voter.id, idea.id)) is not None


@pytest.mark.parametrize("value", ["7", "abc", "", "1.5", "-2", "2", "1e0", None])
def test_vote_with_a_bad_value_is_a_422_json_error_and_stores_nothing(
    client, make_user, make_idea, value
):
    idea = make_idea()
    sign_in(client, make_user())
    data = {} if value is None else {"value": value}
    response = post(client, f"/ideas/{idea.id}/vote", data, headers=JSON)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert error["message"] == "A vote is 1 (up), -1 (down) or 0 (withdraw)."
    assert _count(Vote) == 0
    db.session.refresh(idea)
    assert idea.score == 0


def test_vote_from_a_plain_form_redirects_back_to_the_page_it_came_from(
    client, make_user, make_idea
):
    idea = make_idea()
    sign_in(client, make_user())
    response = post(client, f"/ideas/{idea.id}/vote", {"value": "1", "next": "/?sort=top"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/?sort=top"
    assert _count(Vote) == 1


def test_vote_from_a_plain_form_without_next_goes_to_the_idea(client, make_user, make_idea):
    idea = make_idea()
    sign_in(client, make_user())
    response = _vote(client, idea.id, "-1")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/ideas/{idea.id}"
    page = _text(client.get(response.headers["Location"]))
    assert re.search(r'class="vote-down"\s+aria-pressed="true"', page)


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example", "/\\evil.example", "javascript:x"]
)
def test_vote_never_redirects_to_another_site(client, make_user, make_idea, target):
    idea = make_idea()
    sign_in(client, make_user())
    response = post(client, f"/ideas/{idea.id}/vote", {"value": "1", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_vote_with_a_newline_in_next_redirects_to_the_board_not_a_500(client, make_user, make_idea):
    idea = make_idea()
    sign_in(client, make_user())
    response = post(client, f"/ideas/{idea.id}/vote", {"value": "1", "next": "/\r\nX-Injected: 1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_anonymous_vote_redirects_to_login_and_stores_nothing(client, make_idea):
    idea = make_idea()
    response = _vote(client, idea.id, "1")
    assert _redirects_to_login(response)
    assert _count(Vote) == 0


def test_vote_on_a_closed_stage_is_a_409_json_error(client, make_user, make_idea):
    idea = make_idea()
    idea.stage = _stage("launched")
    db.session.commit()
    sign_in(client, make_user())
    response = _vote(client, idea.id, "1", headers=JSON)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "voting_closed"
    assert _count(Vote) == 0
    page = _text(client.get(f"/ideas/{idea.id}"))
    assert "Voting is closed for this idea." in page
    assert re.search(r'class="vote-up"[^>]*\sdisabled', page)


def test_vote_without_csrf_token_is_refused_and_stores_nothing(client, make_user, make_idea):
    idea = make_idea()
    sign_in(client, make_user())
    response = client.post(f"/ideas/{idea.id}/vote", data={"value": "1"}, headers=JSON)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"
    assert _count(Vote) == 0


def test_vote_on_an_unknown_idea_is_a_404(client, make_user):
    sign_in(client, make_user())
    response = _vote(client, 999_999, "1", headers=JSON)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_vote_on_a_hidden_idea_is_a_404_for_customers(client, make_user, make_idea):
    idea = make_idea()
    idea.hidden_at = utcnow()
    db.session.commit()
    sign_in(client, make_user())
    response = _vote(client, idea.id, "1", headers=JSON)
    assert response.status_code == 404
    assert _count(Vote) == 0


# --- comments -------------------------------------------------------------------------------------


def test_comment_is_posted_shown_and_counted(client, make_user, make_idea):
    commenter = make_user(name="Jun Park")
    idea = make_idea()
    sign_in(client, commenter)
    response = post(client, f"/ideas/{idea.id}/comments", {"body": "I would use this *daily*."})
    assert response.status_code == 302
    comment = db.session.scalars(select(Comment)).one()
    assert response.headers["Location"] == f"/ideas/{idea.id}#comment-{comment.id}"
    assert comment.author_id == commenter.id
    assert comment.is_official is False
    db.session.refresh(idea)
    assert idea.comment_count == 1
    assert db.session.get(Follow, (commenter.id, idea.id)) is not None
    page = _text(client.get(f"/ideas/{idea.id}"))
    assert "Your comment is posted." in page
    assert "I would use this <em>daily</em>." in page
    assert "1 comment" in page
    assert 'class="official-badge"' not in page
    assert _count(Notification) == 0


def test_staff_comment_is_official_and_notifies_followers_but_not_its_author(
    client, make_user, make_idea
):
    author = make_user()
    voter = make_user()
    staff = make_user(Role.STAFF, name="Sora Lee")
    idea = make_idea(author)
    services.cast_vote(voter, idea, 1)
    services.follow_idea(staff, idea)  # staff following the idea must still not self-notify
    db.session.commit()
    sign_in(client, staff)
    response = post(client, f"/ideas/{idea.id}/comments", {"body": "We are looking into it."})
    assert response.status_code == 302
    comment = db.session.scalars(select(Comment)).one()
    assert comment.is_official is True
    notified = db.session.scalars(select(Notification.user_id).order_by(Notification.user_id))
    assert list(notified) == sorted([author.id, voter.id])
    for note in db.session.scalars(select(Notification)):
        assert (note.kind, note.comment_id, note.actor_id) == (
            "official_comment",
            comment.id,
            staff.id,
        )
    page = _text(client.get(f"/ideas/{idea.id}"))
    assert re.search(
        r'<li class="comment official" id="comment-\d+">.*?<span class="official-badge">Official',
        page,
        re.S,
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "This field is required."),
        ("   \n\t ", "This field is required."),
        ("x" * 5_001, "5000"),
        ("Null \x00 byte", "not allowed"),
    ],
    ids=["empty", "whitespace", "5001-chars", "nul"],
)
def test_comment_with_bad_input_is_a_422_and_stores_nothing(
    client, make_user, make_idea, body, message
):
    idea = make_idea()
    sign_in(client, make_user())
    response = post(client, f"/ideas/{idea.id}/comments", {"body": body})
    assert response.status_code == 422
    assert message in _field_error(_text(response), "body")
    assert _count(Comment) == 0
    db.session.refresh(idea)
    assert idea.comment_count == 0


@pytest.mark.parametrize(
    ("body", "stored"),
    [
        # Browsers send textarea newlines as CRLF: 5,099 code points, 4,999 characters.
        ("\r\n".join(["x" * 49] * 100), "\n".join(["x" * 49] * 100)),
        # Decomposed Korean: 6,000 code points, 2,000 characters.
        (unicodedata.normalize("NFD", "민" * 2_000), "민" * 2_000),
    ],
    ids=["crlf-newlines", "nfd-korean"],
)
def test_comment_length_is_counted_after_normalisation(client, make_user, make_idea, body, stored):
    idea = make_idea()
    sign_in(client, make_user())
    response = post(client, f"/ideas/{idea.id}/comments", {"body": body})
    assert response.status_code == 302
    assert db.session.scalars(select(Comment.body)).one() == stored


def test_comment_of_exactly_5000_characters_is_accepted(client, make_user, make_idea):
    idea = make_idea()
    sign_in(client, make_user())
    response = post(client, f"/ideas/{idea.id}/comments", {"body": "y" * 5_000})
    assert response.status_code == 302
    assert len(db.session.scalars(select(Comment.body)).one()) == 5_000


def test_anonymous_comment_redirects_to_login_and_stores_nothing(client, make_idea):
    idea = make_idea()
    response = post(client, f"/ideas/{idea.id}/comments", {"body": "Me too"})
    assert _redirects_to_login(response)
    assert _count(Comment) == 0


def test_comment_without_csrf_token_is_refused(client, make_user, make_idea):
    idea = make_idea()
    sign_in(client, make_user())
    response = client.post(f"/ideas/{idea.id}/comments", data={"body": "Me too"})
    assert response.status_code == 400
    assert _count(Comment) == 0


def test_comment_on_an_unknown_idea_is_a_404(client, make_user):
    sign_in(client, make_user())
    assert post(client, "/ideas/999999/comments", {"body": "Me too"}).status_code == 404
    assert _count(Comment) == 0


# --- follow ---------------------------------------------------------------------------------------


def test_follow_and_unfollow_buttons_change_the_follow_rows_and_count(client, make_user, make_idea):
    follower = make_user()
    idea = make_idea()
    sign_in(client, follower)
    assert "Follow this idea" in _text(client.get(f"/ideas/{idea.id}"))

    response = post(client, f"/ideas/{idea.id}/follow")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/ideas/{idea.id}"
    assert db.session.get(Follow, (follower.id, idea.id)) is not None
    db.session.refresh(idea)
    assert idea.follower_count == 2
    page = _text(client.get(f"/ideas/{idea.id}"))
    assert "Following ✓ — stop following" in page
    assert "2 followers" in page

    # Following again changes nothing.
    post(client, f"/ideas/{idea.id}/follow")
    db.session.refresh(idea)
    assert idea.follower_count == 2
    assert _count(Follow, Follow.idea_id == idea.id) == 2

    response = post(client, f"/ideas/{idea.id}/unfollow")
    assert response.status_code == 302
    assert db.session.get(Follow, (follower.id, idea.id)) is None
    db.session.refresh(idea)
    assert idea.follower_count == 1

    # Unfollowing again never goes below the real count.
    post(client, f"/ideas/{idea.id}/unfollow")
    db.session.refresh(idea)
    assert idea.follower_count == 1
    assert "1 follower" in _text(client.get(f"/ideas/{idea.id}"))


def test_follow_without_csrf_token_is_refused(client, make_user, make_idea):
    idea = make_idea()
    follower = make_user()
    sign_in(client, follower)
    assert client.post(f"/ideas/{idea.id}/follow").status_code == 400
    assert db.session.get(Follow, (follower.id, idea.id)) is None


def test_anonymous_follow_redirects_to_login(client, make_idea):
    idea = make_idea()
    assert _redirects_to_login(post(client, f"/ideas/{idea.id}/follow"))
    assert _count(Follow) == 1  # only the author


def test_follow_of_an_unknown_idea_is_a_404(client, make_user):
    sign_in(client, make_user())
    assert post(client, "/ideas/999999/follow").status_code == 404
    assert _count(Follow) == 0


# --- notifications --------------------------------------------------------------------------------


@pytest.fixture
def fresh_client(app_factory):
    """A client whose every request gets its own app context, as in production.

    The `client` fixture runs inside the test's app context, so `g` (where the unread count
    is cached per request) would outlive a request there.
    """
    return app_factory().test_client()


def test_notifications_page_requires_login(client):
    assert _redirects_to_login(client.get("/notifications"))
    assert _redirects_to_login(post(client, "/notifications/read"))


def test_notifications_list_official_answers_and_mark_all_read_clears_the_count(
    fresh_client, make_user, make_idea
):
    me = make_user()
    staff = make_user(Role.STAFF)
    first = make_idea(me, title="My first idea")
    second = make_idea(me, title="My second idea")
    services.add_comment(staff, first, "We like it.")
    services.add_comment(staff, second, "Planned for spring.")
    db.session.commit()

    sign_in(fresh_client, me)
    page = _text(fresh_client.get("/notifications"))
    assert re.search(r'<span class="count-badge"[^>]*>2</span>', page)
    assert page.count('<li class="notification unread">') == 2
    assert "Official answer on" in page
    assert page.index("My second idea") < page.index("My first idea")  # newest first
    assert "Mark all as read" in page

    response = post(fresh_client, "/notifications/read")
    assert response.status_code == 302
    assert response.headers["Location"] == "/notifications"
    db.session.rollback()  # see what the request committed
    assert _count(Notification, Notification.read_at.is_(None)) == 0
    assert _count(Notification) == 2

    page = _text(fresh_client.get("/notifications"))
    assert 'class="count-badge"' not in page
    assert "unread" not in page.split("<main", 1)[1]
    assert "My first idea" in page
    assert "Mark all as read" not in page


def test_stage_change_shows_on_the_timeline_and_in_the_followers_notifications(
    fresh_client, make_user, make_idea
):
    me = make_user()
    staff = make_user(Role.STAFF, name="Sora Lee", initials="SL")
    idea = make_idea(me, title="Dark mode for the app")
    change_stage(idea, find_stage("under-review"), "We are **looking** at it.", staff)
    db.session.commit()

    sign_in(fresh_client, me)
    page = _text(fresh_client.get(f"/ideas/{idea.id}"))
    assert "No status updates yet." not in page
    timeline = page[page.index('id="timeline-heading"') : page.index('id="comments-heading"')]
    assert re.search(r'<span class="stage-badge"[^>]*>Under Review</span>', timeline)
    assert "Sora Lee (SL)" in timeline
    assert "We are <strong>looking</strong> at it." in timeline

    page = _text(fresh_client.get("/notifications"))
    assert re.search(r'<span class="count-badge"[^>]*>1</span>', page)
    assert "New status for" in page
    assert f'href="/ideas/{idea.id}#status-' in page


def test_mark_all_read_touches_only_my_notifications(fresh_client, make_user, make_idea):
    me, other = make_user(), make_user()
    staff = make_user(Role.STAFF)
    services.add_comment(staff, make_idea(me), "Answer for me.")
    services.add_comment(staff, make_idea(other), "Answer for someone else.")
    db.session.commit()
    sign_in(fresh_client, me)
    post(fresh_client, "/notifications/read")
    db.session.rollback()
    unread = Notification.read_at.is_(None)
    assert _count(Notification, Notification.user_id == me.id, unread) == 0
    assert _count(Notification, Notification.user_id == other.id, unread) == 1


def test_mark_all_read_without_csrf_token_is_refused(client, make_user, make_idea):
    me = make_user()
    services.add_comment(make_user(Role.STAFF), make_idea(me), "Answer.")
    db.session.commit()
    sign_in(client, me)
    assert client.post("/notifications/read").status_code == 400
    assert _count(Notification, Notification.read_at.is_(None)) == 1


def test_empty_notifications_page_says_so(client, make_user):
    sign_in(client, make_user())
    response = client.get("/notifications")
    assert response.status_code == 200
    assert "Nothing yet. Follow ideas to hear when our team answers them." in _text(response)


@pytest.mark.parametrize(
    "idea_id", ["0", "2147483648", "9223372036854775807", "99999999999999999999"]
)
def test_idea_numbers_outside_the_database_range_are_404_not_500(client, idea_id):
    assert client.get(f"/ideas/{idea_id}").status_code == 404
    assert client.get(f"/ideas/{idea_id}/status.atom").status_code == 404


@pytest.mark.parametrize("sort", ["top", "new"])
def test_board_cursor_with_an_id_past_32_bits_is_a_400(client, sort):
    import base64
    import json

    values = [5, 2**40] if sort == "top" else [2**40]
    cursor = base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")
    assert client.get(f"/?sort={sort}&cursor={cursor}").status_code == 400
