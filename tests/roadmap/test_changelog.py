"""The changelog: launches with their release notes, the Atom feed, and each voter's own marks."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - parsing our own feed in tests
from datetime import UTC, datetime

import pytest
from babel.messages.pofile import read_po

from ideaboard import i18n
from ideaboard.extensions import db
from ideaboard.insights import roadmap as rules
from tests.helpers import login
from tests.i18n.pages import readable_text
from tests.roadmap.helpers import KOREAN_TITLE, PUBLIC_URL, D, H, build_board

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
ATOM = "{http://www.w3.org/2005/Atom}"
VOTED = "You voted for this"
NEW = "New since your last visit"


@pytest.fixture
def board(clock, make_user, make_idea):
    clock.set(NOW)
    return build_board(NOW, make_user, make_idea)


def _signed_in(app, user):
    client = app.test_client()
    login(client, user)
    return client


def _titles(html: str) -> list[str]:
    return re.findall(r'<h2 class="idea-title"><a href="[^"]+">([^<]+)</a>', html)


def _entry(html: str, idea_id: int) -> str:
    match = re.search(
        rf'<li class="card changelog-entry[^"]*" id="launch-\d+">\s*<h2 class="idea-title">'
        rf'<a href="/ideas/{idea_id}">.*?</li>',
        html,
        re.S,
    )
    assert match is not None, idea_id
    return match[0]


# --- the rules -------------------------------------------------------------------------------


def test_changelog_lists_launches_newest_first_with_the_latest_launch_note(app, board):
    page = rules.changelog()
    assert [item.idea.id for item in page.items] == [board.ideas["L1"].id, board.ideas["L2"].id]
    l2 = page.items[1]
    assert l2.change.id == board.changes["L2:launched"].id
    assert l2.change.note == "The second launch note"  # not the first launch, not the reopening
    assert l2.change.created_at == NOW - 5 * D
    assert page.has_next is False


def test_changelog_pages_and_filters(app, board):
    first = rules.changelog(size=1)
    assert [i.idea.id for i in first.items] == [board.ideas["L1"].id]
    assert first.has_next
    second = rules.changelog(page=2, size=1)
    assert [i.idea.id for i in second.items] == [board.ideas["L2"].id]
    assert not second.has_next
    billing = rules.changelog(rules.parse_category("billing"))
    assert [i.idea.id for i in billing.items] == [board.ideas["L2"].id]


def test_voted_for_is_per_user_and_counts_only_up_votes(app, board):
    ideas = [board.ideas[k] for k in ("L1", "L2", "P1")]
    assert rules.voted_for(board.voter, ideas) == {board.ideas["L1"].id, board.ideas["P1"].id}
    assert rules.voted_for(board.other, ideas) == {board.ideas["L2"].id, board.ideas["P1"].id}
    assert rules.voted_for(board.staff, ideas) == set()


def test_new_launches_voted_counts_since_the_last_visit(app, board, clock):
    # Never visited: launches since sign-up; the hidden one (LH) does not count.
    assert rules.new_launches_voted(board.voter) == 1  # L1
    assert rules.new_launches_voted(board.other) == 1  # L2
    rules.mark_changelog_seen(board.other, NOW - 3 * D)
    assert rules.new_launches_voted(board.other) == 0  # L2 launched at now-5d
    rules.mark_changelog_seen(board.voter)
    assert board.voter.changelog_seen_at == NOW
    assert rules.new_launches_voted(board.voter) == 0


@pytest.mark.parametrize("raw", ["0", "-1", "501", "abc", "1.5", "١", "9" * 30])
def test_a_bad_page_number_is_refused(app, raw):
    with pytest.raises(rules.BadFilter, match="page number"):
        rules.parse_page(raw)


# --- the page ----------------------------------------------------------------------------------


def test_changelog_page_shows_the_release_notes(client, board):
    response = client.get("/changelog")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    escaped = KOREAN_TITLE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert _titles(html) == [escaped, "Idea L2 on the roadmap"]
    l1 = _entry(html, board.ideas["L1"].id)
    assert "<strong>Shipped</strong> in the March release — 고맙습니다!" in l1
    assert "<script>" not in html.split("</head>")[1].split("<footer")[0].replace(
        '<script src="', ""
    )
    assert "Launched on March 3, 2026" in l1
    assert "1 vote" in l1
    assert "The second launch note" in html
    assert "The first launch note" not in html
    assert "Hidden launch note" not in html
    assert "Merged launch note" not in html
    assert 'rel="alternate" type="application/atom+xml" title="IdeaBoard changelog"' in html
    assert f'href="{PUBLIC_URL}/changelog.atom"' in html
    assert VOTED not in html
    assert NEW not in html


def test_changelog_category_filter_and_bad_input(client, board):
    html = client.get("/changelog?category=billing").get_data(as_text=True)
    assert _titles(html) == ["Idea L2 on the roadmap"]
    assert f'href="{PUBLIC_URL}/changelog.atom?category=billing"' in html
    for query in ({"category": "nope"}, {"page": "0"}, {"page": "x" * 100}):
        response = client.get("/changelog", query_string=query)
        assert response.status_code == 400, query
        assert '<p class="error" role="alert">' in response.get_data(as_text=True)


def test_changelog_pager_links(app, client, board, monkeypatch):
    monkeypatch.setattr(rules, "CHANGELOG_PAGE_SIZE", 1)
    monkeypatch.setattr(rules.changelog, "__defaults__", (None, 1, 1))
    first = client.get("/changelog").get_data(as_text=True)
    assert 'rel="next" href="/changelog?page=2"' in first
    second = client.get("/changelog?page=2").get_data(as_text=True)
    assert _titles(second) == ["Idea L2 on the roadmap"]
    assert 'rel="prev" href="/changelog"' in second
    assert 'rel="next"' not in second


def test_a_voter_sees_their_marks_and_the_badge_until_they_visit(app, board, clock):
    voter = _signed_in(app, board.voter)
    board_page = voter.get("/").get_data(as_text=True)
    assert '<span class="count-badge" aria-hidden="true">1</span>' in board_page
    assert "1 new launch you voted for" in board_page

    html = voter.get("/changelog").get_data(as_text=True)
    l1 = _entry(html, board.ideas["L1"].id)
    l2 = _entry(html, board.ideas["L2"].id)
    assert VOTED in l1
    assert VOTED not in l2
    assert NEW in l1
    assert NEW in l2
    assert "count-badge" not in html.split("</nav>")[0].split("/changelog")[1].split("</a>")[0]
    db.session.expire_all()
    assert board.voter.changelog_seen_at == NOW

    clock.set(NOW + H)
    again = voter.get("/changelog").get_data(as_text=True)
    assert VOTED in _entry(again, board.ideas["L1"].id)
    assert NEW not in again
    assert "new launch you voted for" not in voter.get("/").get_data(as_text=True)


def test_a_filtered_or_later_page_does_not_count_as_a_visit(app, board):
    voter = _signed_in(app, board.voter)
    voter.get("/changelog?category=app")
    voter.get("/changelog?page=2")
    db.session.expire_all()
    assert board.voter.changelog_seen_at is None


def test_marks_never_reach_another_user_or_the_anonymous_cache(app, board):
    voter = _signed_in(app, board.voter)
    assert VOTED in voter.get("/changelog").get_data(as_text=True)
    # The voter's page is not what anonymous visitors get from the cache, before or after.
    anonymous = app.test_client().get("/changelog").get_data(as_text=True)
    assert VOTED not in anonymous
    assert NEW not in anonymous
    assert "count-badge" not in anonymous
    other = _signed_in(app, board.other)
    html = other.get("/changelog").get_data(as_text=True)
    assert VOTED in _entry(html, board.ideas["L2"].id)
    assert VOTED not in _entry(html, board.ideas["L1"].id)
    assert VOTED in voter.get("/changelog").get_data(as_text=True)  # after the anonymous copy
    assert VOTED not in app.test_client().get("/changelog").get_data(as_text=True)


def test_roadmap_shows_no_personal_marks_and_is_cached_for_visitors(app, board):
    voter = _signed_in(app, board.voter)
    signed_in = voter.get("/roadmap").get_data(as_text=True)
    assert "1 new launch you voted for" in signed_in
    anonymous = app.test_client().get("/roadmap").get_data(as_text=True)
    assert "new launch you voted for" not in anonymous
    assert "Idea P1 on the roadmap" in anonymous


# --- the Atom feed -----------------------------------------------------------------------------


def _feed(response) -> ET.Element:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert response.data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = ET.fromstring(response.data)  # noqa: S314 - our own output
    assert root.tag == f"{ATOM}feed"
    return root


def _text(element: ET.Element, tag: str) -> str:
    found = element.find(f"{ATOM}{tag}")
    assert found is not None, tag
    assert found.text is not None, tag
    return found.text


def test_changelog_feed_is_valid_atom_with_the_release_notes(client, board):
    root = _feed(client.get("/changelog.atom"))
    assert _text(root, "id") == "tag:ideas.example.com,2026:changelog"
    assert _text(root, "title") == "IdeaBoard changelog"
    assert _text(root, "updated") == "2026-03-03T12:00:00Z"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {"self": f"{PUBLIC_URL}/changelog.atom", "alternate": f"{PUBLIC_URL}/changelog"}
    entries = root.findall(f"{ATOM}entry")
    assert [_text(e, "title") for e in entries] == [KOREAN_TITLE, "Idea L2 on the roadmap"]
    first = entries[0]
    launch = board.changes["L1:launched"]
    assert _text(first, "id") == f"tag:ideas.example.com,2026-03-03:launch/{launch.id}"
    assert _text(first, "updated") == "2026-03-03T12:00:00Z"
    assert _text(first, "published") == "2026-03-03T12:00:00Z"
    content = first.find(f"{ATOM}content")
    assert content is not None
    assert content.get("type") == "html"
    assert "<strong>Shipped</strong>" in (content.text or "")
    assert "고맙습니다" in (content.text or "")
    assert "<script>" not in (content.text or "")
    link = first.find(f"{ATOM}link")
    assert link is not None
    assert link.get("href") == f"{PUBLIC_URL}/ideas/{board.ideas['L1'].id}"
    category = first.find(f"{ATOM}category")
    assert category is not None
    assert category.get("term") == "app"
    assert _text(entries[1].find(f"{ATOM}author"), "name") == "Jiwoo Park"
    # Korean is UTF-8 in the bytes, markup in titles escaped.
    raw = client.get("/changelog.atom").data.decode("utf-8")
    assert KOREAN_TITLE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in raw
    assert "Hidden launch note" not in raw
    assert "Merged launch note" not in raw


def test_changelog_feed_ids_are_stable_and_filterable(client, board):
    one = client.get("/changelog.atom").data
    two = client.get("/changelog.atom").data
    assert one == two
    root = _feed(client.get("/changelog.atom?category=billing"))
    assert _text(root, "id") == "tag:ideas.example.com,2026:changelog/billing"
    assert [_text(e, "title") for e in root.findall(f"{ATOM}entry")] == ["Idea L2 on the roadmap"]
    assert client.get("/changelog.atom?category=nope").status_code == 400


def test_an_empty_changelog_feed_is_still_valid(client):
    root = _feed(client.get("/changelog.atom"))
    assert root.findall(f"{ATOM}entry") == []
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", _text(root, "updated"))


# --- Korean ------------------------------------------------------------------------------------


def _english_ui() -> list[str]:
    """Our English UI texts of two words or more (as tests/i18n/test_pages.py checks)."""
    path = i18n.TRANSLATIONS_DIR / "en" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as source:
        catalog = read_po(source)
    texts = [t for m in catalog for t in ([m.id] if isinstance(m.id, str) else list(m.id))]
    return [t for t in texts if t and "%(" not in t and "<" not in t and len(t.split()) >= 2]


@pytest.mark.parametrize("path", ["/roadmap", "/roadmap?category=app", "/changelog"])
def test_korean_readers_get_the_pages_in_korean(app, board, path):
    voter = _signed_in(app, board.voter)  # so the marks and the badge are on the page too
    voter.get("/stats")  # shows (and so ends) the English "You are logged in."
    html = voter.get(path, headers={"Accept-Language": "ko-KR,ko;q=0.9"}).get_data(as_text=True)
    text = readable_text(html)
    leftovers = [phrase for phrase in _english_ui() if phrase in text]
    assert not leftovers
    if path == "/changelog":
        for korean in ("업데이트 내역", "내가 투표한 아이디어", "지난 방문 이후 새로 출시", "출시"):
            assert korean in text
    else:
        for korean in ("로드맵", "계획됨", "진행 중", "출시됨", "이 단계에서"):
            assert korean in text
