from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - parsing our own feed in tests
from datetime import datetime

import pytest

from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.triage.services import change_stage, find_stage
from tests.helpers import login
from tests.insights.helpers import KOREAN_TITLE

ATOM = "{http://www.w3.org/2005/Atom}"


def _feed(response):
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.data)  # noqa: S314 - our own output
    assert root.tag == f"{ATOM}feed"
    return root


def _entries(root):
    return root.findall(f"{ATOM}entry")


def _text(element, path):
    found = element.find(path.replace("a:", ATOM))
    assert found is not None, path
    return found.text


# --- pages -----------------------------------------------------------------------------------


def test_stats_page_shows_the_figures_to_anonymous_visitors(client, build_board):
    build_board(utcnow())
    response = client.get("/stats")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    numbers = re.findall(r'<p class="stats-number">([^<]*)</p>', html)
    assert numbers == ["10", "2", "3 hours", "20 hours"]  # total, launched, median, p90
    assert "8 in the last 30 days" in html
    assert "cover the 6 ideas from the last 30 days that have an answer" in html
    assert "2 ideas from the last 30 days are still waiting" in html
    stage_rows = re.findall(
        r'--stage: [^"]+">([^<]+)</span></a>\s*<span class="stats-count">(\d+)', html
    )
    assert stage_rows == [
        ("New", "3"), ("Under Review", "2"), ("Planned", "1"), ("In Progress", "1"),
        ("Launched", "2"), ("Declined", "1"), ("Duplicate", "0"),
    ]  # fmt: skip
    assert re.search(r"<span>Website</span> <span class=\"stats-count\">8<", html)
    assert re.search(r"<span>X \(Twitter\)</span> <span class=\"stats-count\">2<", html)


def test_stats_chart_is_an_accessible_server_rendered_svg(client, build_board):
    build_board(utcnow())
    html = client.get("/stats").get_data(as_text=True)
    svg = html[html.index("<svg") : html.index("</svg>") + 6]
    assert 'role="img"' in svg
    assert 'aria-labelledby="stats-chart-title stats-chart-desc"' in svg
    assert '<title id="stats-chart-title">Ideas received and answered per week</title>' in svg
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", svg, re.S).group(1)
    assert "last 12 weeks" in desc
    assert "9 ideas received and 7 ideas answered" in desc  # J is older than 12 weeks
    assert svg.count('class="stats-bar-received"') == 12
    assert svg.count('class="stats-bar-answered"') == 12
    assert "<script" not in svg
    assert "http://" not in svg.replace("http://www.w3.org/", "")
    table = html[html.index('<div class="visually-hidden"><table class="stats-table">') :]
    rows = re.findall(r"<tr><th scope=\"row\">[^<]+</th><td>(\d+)</td><td>(\d+)</td></tr>", table)
    assert len(rows) == 12
    assert sum(int(r) for r, _ in rows) == 9
    assert sum(int(a) for _, a in rows) == 7


def test_stats_page_formats_for_the_visitors_locale(client, build_board):
    build_board(utcnow())
    html = client.get("/stats", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert '<html lang="ko">' in html
    assert '<p class="stats-number">3시간</p>' in html


def test_stats_page_on_an_empty_board(client):
    response = client.get("/stats")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "No idea from the last 30 days has an answer yet." in html
    assert 'role="img"' in html


def test_ideas_in_action_lists_launches_newest_first_with_note_and_people(client, build_board):
    board = build_board(utcnow())
    response = client.get("/ideas-in-action")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    escaped = "데이터 이월 서비스 &amp; &lt;더 많은&gt; 혜택"
    assert html.index(escaped) < html.index("Idea I for the board")
    assert f'id="idea-{board.ideas["E"].id}"' in html
    assert "<strong>Shipped</strong> in the March release — 고맙습니다!" in html
    assert "Suggested by Hana Lee" in html
    assert "Jiwoo Park (JP)" in html
    assert "Hidden spam idea" not in html
    assert "Hidden launch note" not in html
    assert KOREAN_TITLE not in html  # the raw < > never reach the page unescaped


def _launch_card(html: str, idea_id: int) -> str:
    start = html.index(f'id="idea-{idea_id}"')
    return html[start : html.index("</li>", start)]


@pytest.mark.parametrize(
    ("headers", "suggested", "launched"),
    [
        ({}, "Suggested by Hana Lee 3 weeks ago", "Launched 2 days ago"),
        ({"Accept-Language": "ko"}, "Hana Lee님이 3주 전 제안", "2일 전 출시"),
    ],
)
def test_ideas_in_action_dates_the_suggestion_and_labels_the_launch(
    client, build_board, headers, suggested, launched
):
    """Next to "Suggested by" is the date the idea was suggested, not the launch date."""
    board = build_board(utcnow())
    idea, launch = board.ideas["E"], board.changes["E:launched"]
    card = _launch_card(
        client.get("/ideas-in-action", headers=headers).get_data(as_text=True), idea.id
    )
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", card))
    assert suggested in text
    assert launched in text
    when = re.search(
        r'<span class="insights-suggested">.*?<time[^>]*datetime="([^"]+)"', card, re.S
    )
    assert when.group(1) == idea.created_at.isoformat()
    at = re.search(r'<span class="insights-launched">.*?<time[^>]*datetime="([^"]+)"', card, re.S)
    assert at.group(1) == launch.created_at.isoformat()
    assert idea.created_at != launch.created_at


def test_ideas_in_action_dates_an_x_suggestion_too(client, build_board):
    board = build_board(utcnow())
    idea = board.ideas["D"]
    change_stage(idea, find_stage("launched"), "Out now", board.staff, check_workflow=False)
    db.session.commit()
    card = _launch_card(client.get("/ideas-in-action").get_data(as_text=True), idea.id)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", card))
    assert "Suggested on X by" in text
    assert "1 week ago" in text
    assert "Launched just now" in text


def test_ideas_in_action_when_nothing_launched(client):
    response = client.get("/ideas-in-action")
    assert response.status_code == 200
    assert "Nothing has launched yet." in response.get_data(as_text=True)


def test_every_page_links_the_new_pages_and_the_feed(client):
    html = client.get("/").get_data(as_text=True)
    assert '<a href="/ideas-in-action">Ideas in Action</a>' in html
    assert '<a href="/stats">Stats</a>' in html
    assert re.search(
        r'<link rel="alternate" type="application/atom\+xml" title="[^"]+" '
        r'href="https://ideas.example.com/feeds/status.atom">',
        html,
    )


# --- Atom feeds ------------------------------------------------------------------------------


def test_site_feed_is_atom_with_the_public_status_updates(client, build_board):
    board = build_board(utcnow())
    root = _feed(client.get("/feeds/status.atom"))
    assert _text(root, "a:id").startswith("tag:")
    assert _text(root, "a:title") == "IdeaBoard: status updates"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {
        "self": "https://ideas.example.com/feeds/status.atom",
        "alternate": "https://ideas.example.com/",
    }
    entries = _entries(root)
    assert len(entries) == 9  # every change but the one on the hidden idea
    ids = [_text(e, "a:id") for e in entries]
    assert len(set(ids)) == 9
    assert all(i.startswith("tag:") for i in ids)
    assert _text(root, "a:updated") == _text(entries[0], "a:updated")
    assert datetime.fromisoformat(_text(root, "a:updated")).utcoffset().total_seconds() == 0
    assert _text(entries[0], "a:title") == "Under Review: Idea A for the board"
    titles = [_text(e, "a:title") for e in entries]
    assert not any("Hidden" in t for t in titles)

    change = board.changes["E:launched"]
    [launch] = [e for e in entries if _text(e, "a:title") == f"Launched: {KOREAN_TITLE}"]
    link = launch.find(f"{ATOM}link")
    assert (
        link.get("href")
        == f"https://ideas.example.com/ideas/{board.ideas['E'].id}#status-{change.id}"
    )
    assert _text(launch, "a:author/a:name") == "Jiwoo Park"
    content = launch.find(f"{ATOM}content")
    assert content.get("type") == "html"
    assert content.text == change.note_html
    assert "<strong>Shipped</strong>" in content.text
    assert _text(launch, "a:id").endswith(f":status-change/{change.id}")


def test_feed_keeps_korean_as_utf8_and_escapes_markup(client, build_board):
    build_board(utcnow())
    data = client.get("/feeds/status.atom").data
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert "Launched: 데이터 이월 서비스 &amp; &lt;더 많은&gt; 혜택".encode() in data
    assert b"&lt;strong&gt;Shipped&lt;/strong&gt;" in data  # HTML content travels escaped


def test_feed_ids_are_stable_between_requests(client, build_board):
    build_board(utcnow())
    first = [_text(e, "a:id") for e in _entries(_feed(client.get("/feeds/status.atom")))]
    again = [_text(e, "a:id") for e in _entries(_feed(client.get("/feeds/status.atom")))]
    assert first == again


def test_site_feed_with_no_updates_is_still_valid(client):
    root = _feed(client.get("/feeds/status.atom"))
    assert _entries(root) == []
    assert _text(root, "a:updated")
    assert _text(root, "a:author/a:name")  # an author for the feed, as Atom requires


def test_idea_feed_has_only_that_ideas_updates(client, build_board):
    board = build_board(utcnow())
    idea = board.ideas["E"]
    root = _feed(client.get(f"/ideas/{idea.id}/status.atom"))
    assert _text(root, "a:title") == f"Status updates: {KOREAN_TITLE}"
    self_link = root.find(f"{ATOM}link[@rel='self']")
    assert self_link.get("href") == f"https://ideas.example.com/ideas/{idea.id}/status.atom"
    assert [_text(e, "a:title") for e in _entries(root)] == [
        f"Launched: {KOREAN_TITLE}",
        f"Under Review: {KOREAN_TITLE}",
    ]


def test_idea_feed_of_an_unanswered_idea_has_no_entries(client, build_board):
    board = build_board(utcnow())
    root = _feed(client.get(f"/ideas/{board.ideas['F'].id}/status.atom"))
    assert _entries(root) == []


@pytest.mark.parametrize("as_staff", [False, True])
def test_idea_feed_is_404_for_unknown_and_hidden_ideas(client, build_board, make_user, as_staff):
    board = build_board(utcnow())
    if as_staff:
        login(client, make_user("staff"))
    assert client.get("/ideas/999999/status.atom").status_code == 404
    assert client.get(f"/ideas/{board.ideas['H'].id}/status.atom").status_code == 404


@pytest.mark.parametrize(
    ("language", "label"),
    [("en", r"[A-Z][a-z]{2} \d{1,2}"), ("ko", r"\d{1,2}\. \d{1,2}\.")],
)
def test_stats_chart_dates_are_short_html_labels_in_the_readers_language(
    client, build_board, language, label
):
    """The axis dates are HTML (they keep their size on a phone), short: "11. 30." in Korean."""
    build_board(utcnow())
    html = client.get("/stats", headers={"Accept-Language": language}).get_data(as_text=True)
    axis = re.search(r'<ol class="stats-chart-x" aria-hidden="true">(.*?)</ol>', html, re.S)
    dates = re.findall(r"<li [^>]*>([^<]+)</li>", axis.group(1))
    assert len(dates) == 12
    assert all(re.fullmatch(label, d) for d in dates), dates
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert "<text" not in svg  # nothing in the drawing shrinks with it
    # Narrow screens keep every second, then every third week, counted back from this one.
    classes = re.findall(r'<li class="([^"]*)"', axis.group(1))
    assert ["stats-every-2" in c for c in classes][::-1] == [n % 2 == 0 for n in range(12)]
    assert ["stats-every-3" in c for c in classes][::-1] == [n % 3 == 0 for n in range(12)]
