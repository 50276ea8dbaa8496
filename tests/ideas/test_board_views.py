"""The public board through the test client: tabs, filters, search, pages of ideas."""

from __future__ import annotations

import base64
import html
import json
import re
import unicodedata
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from ideaboard.accounts.models import Role
from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.ideas import services
from ideaboard.ideas.models import Idea
from ideaboard.ideas.ranking import hot_rank
from tests.ideas.helpers import page_text, sign_in, stage_by_slug

T0 = utcnow().replace(microsecond=0) - timedelta(days=10)


def _titles(page: str) -> list[str]:
    """Return the idea titles of a board page, in the order shown."""
    found = re.findall(r'<h2 class="idea-title"><a href="[^"]*">([^<]*)</a>', page)
    return [html.unescape(t) for t in found]


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
        # New is by date: Charlie was stored first but dated after Alpha.
        ("?sort=new", "new", ["Bravo brand new", "Charlie middle", "Alpha old popular"]),
    ],
)
def test_board_tab_lists_ideas_in_its_order_and_marks_the_tab(
    client, three_ideas, query, tab, order
):
    response = client.get(f"/{query}")
    assert response.status_code == 200
    page = page_text(response)
    assert _titles(page) == order
    current = re.findall(r'<a href="([^"]*)"\s+aria-current="page"', page)
    assert len(current) == 1
    assert f"sort={tab}" in current[0]


def test_board_shows_score_stage_and_author_on_each_card(client, make_user, make_idea):
    idea = make_idea(make_user(name="Minji Kim"), title="Dark mode for the app", category="app")
    _rank(idea, score=4, created_at=T0)
    page = page_text(client.get("/"))
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
        page = page_text(client.get(path))
        assert "<i>Apps</i>" not in page
        assert "<u>New</u>" not in page
        assert "&lt;u&gt;New&lt;/u&gt;" in page


def test_empty_board_invites_the_first_idea(client):
    page = page_text(client.get("/"))
    assert "No ideas here yet." in page
    assert _titles(page) == []


@pytest.mark.parametrize("sort", ["hot", "TOP", "best", "<script>x</script>"])
def test_board_with_an_unknown_sort_is_a_400_with_a_message(client, three_ideas, sort):
    response = client.get("/", query_string={"sort": sort})
    assert response.status_code == 400
    page = page_text(response)
    assert "Sort by trending, top or new." in page
    assert "<script>x</script>" not in page
    assert _titles(page) == []


def test_board_filters_by_stage(client, make_idea):
    planned = make_idea(title="Planned idea here")
    planned.stage = stage_by_slug("planned")
    db.session.commit()
    make_idea(title="Brand new idea here")
    page = page_text(client.get("/?stage=planned"))
    assert _titles(page) == ["Planned idea here"]
    assert '<option value="planned" selected>' in page
    assert _titles(page_text(client.get("/?stage=launched"))) == []


def test_board_filters_by_category(client, make_idea):
    make_idea(title="Billing idea here", category="billing")
    make_idea(title="App idea here", category="app")
    make_idea(title="Idea without category")
    assert _titles(page_text(client.get("/?category=billing"))) == ["Billing idea here"]
    assert _titles(page_text(client.get("/?category=app&stage=new"))) == ["App idea here"]


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
    page = page_text(response)
    assert message in page
    assert "<b>bold</b>" not in page
    assert _titles(page) == []


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
    assert _titles(page_text(response)) == expected


def test_board_search_keeps_the_query_in_the_box(client, searchable):
    page = page_text(client.get("/", query_string={"q": "데이터 이월"}))
    assert 'value="데이터 이월"' in page


@pytest.mark.parametrize("q", ["zebra", "데이터 zebra", "이월 zebra", "%", "_"])
def test_board_search_without_a_match_shows_the_empty_message(client, searchable, q):
    response = client.get("/", query_string={"q": q})
    assert response.status_code == 200
    page = page_text(response)
    assert _titles(page) == []
    assert f'No idea matches "{q}".' in page
    assert "No ideas here yet." not in page


def test_board_search_escapes_the_query_in_the_empty_message(client):
    page = page_text(client.get("/", query_string={"q": "<script>alert(1)</script>"}))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def _follow_pages(test_client, first_url: str) -> list[list[str]]:
    pages: list[list[str]] = []
    url: str | None = first_url
    while url is not None:
        response = test_client.get(url)
        assert response.status_code == 200, url
        page = page_text(response)
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
        "new": lambda i: (i.created_at, i.id),
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
    first = page_text(small_client.get("/?sort=new"))
    assert "« First page" not in first
    next_url = html.unescape(re.search(r'<a rel="next" href="([^"]+)"', first).group(1))
    assert parse_qs(urlsplit(next_url).query)["sort"] == ["new"]
    second = page_text(small_client.get(next_url))
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
    assert "This page link is not valid; start from the first page." in page_text(response)


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
    assert _titles(page_text(client.get("/"))) == ["Visible idea here"]
    sign_in(client, make_user(Role.STAFF))
    page = page_text(client.get("/?sort=new"))
    assert _titles(page) == ["Hidden spam idea", "Visible idea here"]
    assert '<span class="hidden-mark">Hidden</span>' in page


def test_board_shows_the_viewers_own_vote_pressed(client, make_user, make_idea):
    voter = make_user()
    idea = make_idea(title="Idea I voted for")
    services.cast_vote(voter, idea, -1)
    db.session.commit()
    sign_in(client, voter)
    page = page_text(client.get("/"))
    assert re.search(r'class="vote-down"\s+aria-pressed="true"', page)
    assert re.search(r'class="vote-up"\s+aria-pressed="false"', page)


@pytest.mark.parametrize("sort", ["top", "new"])
def test_board_cursor_with_an_id_past_32_bits_is_a_400(client, sort):
    import base64
    import json

    values = [5, 2**40] if sort == "top" else [2**40]
    cursor = base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")
    assert client.get(f"/?sort={sort}&cursor={cursor}").status_code == 400
