"""Board and idea pages come from a shared copy with the reader's own parts filled in.

The whole suite runs with shared pages on (and the anonymous page cache off, tests/helpers.py
BASE_CONFIG); these tests compare them with pages rendered from scratch
(IDEABOARD_SHARED_PAGE_SECONDS=0). The main check: for every reader and page below, the page
served from the shared copy is byte for byte the page rendered from scratch (CSRF tokens
aside, which differ by their timestamp) — so whatever a template shows, the filled copy
shows the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ideaboard import memberpages
from ideaboard.accounts.blocking import block_user
from ideaboard.extensions import db
from ideaboard.ideas import services
from ideaboard.ideas.models import Idea
from ideaboard.pagecache import CSRF_PLACEHOLDER, cache
from ideaboard.triage import services as triage
from tests.helpers import csrf_token, login

TOKEN = re.compile(r'(name="csrf_token"[^>]*value=")([^"]+)(")')


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Iterator[Flask]:
    app = app_factory(IDEABOARD_SHARED_PAGE_SECONDS=60)
    with app.app_context():
        cache.clear()
        yield app


@pytest.fixture
def board(app: Flask, make_user, make_idea) -> dict[str, object]:
    """Ideas in public and internal stages, with votes, follows, comments and status notes."""
    staff = make_user("staff", name="Staff Kim", initials="SK")
    ana = make_user(name="Ana Reader", locale="en")
    min_ = make_user(name="김민지", locale="ko")
    author = make_user(name="Idea Author")
    ideas = [
        make_idea(author, title=f"Idea {n} 아이디어", body="**bold** body", category="product")
        for n in range(6)
    ]
    planned = triage.find_stage("planned")
    triage.change_stage(ideas[0], planned, "We are **on it**.", staff)
    internal = triage.find_stage("under-review")
    internal.is_public = False
    triage.change_stage(ideas[1], internal, "Internal look.", staff)
    services.cast_vote(ana, ideas[0], 1)
    services.cast_vote(ana, ideas[2], -1)
    services.cast_vote(min_, ideas[0], -1)
    services.cast_vote(min_, ideas[3], 1)
    services.follow_idea(ana, ideas[0])
    comment = services.add_comment(author, ideas[0], "First! 첫 댓글")
    services.add_comment(staff, ideas[0], "Thanks for the idea.")
    hidden = services.add_comment(author, ideas[0], "Something rude")
    services.hide_comment(staff, hidden, "Rude")
    db.session.commit()
    return {
        "staff": staff,
        "ana": ana,
        "min": min_,
        "author": author,
        "ideas": ideas,
        "comment": comment,
    }


def _signed_in(app: Flask, user) -> FlaskClient:
    client = app.test_client()
    if user is None:  # an anonymous visitor
        return client
    login(client, user)
    client.get("/notifications")  # shows "You are logged in."
    return client


def _normal(html: str) -> str:
    return TOKEN.sub(r"\1T\3", html)


def _page(app: Flask, client: FlaskClient, path: str, *, shared: bool) -> str:
    app.config["IDEABOARD_SHARED_PAGE_SECONDS"] = 60 if shared else 0
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


PATHS = [
    "/",
    "/?sort=top",
    "/?sort=new",
    "/?q=아이디어",
    "/?category=product",
    "/?stage=planned",
]


@pytest.mark.parametrize("who", ["ana", "min", "staff", "author", "anonymous"])
def test_the_filled_copy_is_the_page_rendered_from_scratch(app: Flask, board, who) -> None:
    client = _signed_in(app, board.get(who))
    ideas = board["ideas"]
    paths = PATHS + [f"/ideas/{idea.id}" for idea in ideas[:4]]
    for path in paths:
        fresh = _page(app, client, path, shared=False)
        first = _page(app, client, path, shared=True)  # renders the shared copy
        again = _page(app, client, path, shared=True)  # served from it
        assert _normal(first) == _normal(fresh), path
        assert _normal(again) == _normal(fresh), path
        assert memberpages._SLOT not in again
        assert CSRF_PLACEHOLDER not in again


def test_a_readers_page_never_carries_another_readers_parts(app: Flask, board) -> None:
    ana, min_ = _signed_in(app, board["ana"]), _signed_in(app, board["min"])
    first_idea = board["ideas"][0]
    for path in ["/", f"/ideas/{first_idea.id}"]:
        page_ana = _page(app, ana, path, shared=True)
        page_min = _page(app, min_, path, shared=True)  # the same shared copy, refilled
        assert "Ana Reader" in page_ana
        assert "김민지" not in page_ana
        assert "김민지" in page_min
        assert "Ana Reader" not in page_min
        tokens_ana = {m[1] for m in TOKEN.findall(page_ana)}
        tokens_min = {m[1] for m in TOKEN.findall(page_min)}
        assert tokens_ana
        assert tokens_min
        assert not tokens_ana & tokens_min
    # Ana voted the first idea up, 김민지 down: each sees their own button pressed.
    card = re.compile(rf'id="idea-{first_idea.id}".*?</li>', re.S)
    ana_card = card.search(_page(app, ana, "/", shared=True)).group(0)
    min_card = card.search(_page(app, min_, "/", shared=True)).group(0)
    assert re.search(r'class="vote-up"\s+aria-pressed="true"', ana_card)
    assert re.search(r'class="vote-down"\s+aria-pressed="false"', ana_card)
    assert re.search(r'class="vote-up"\s+aria-pressed="false"', min_card)
    assert re.search(r'class="vote-down"\s+aria-pressed="true"', min_card)
    # Ana follows it; 김민지 does not.
    assert "Following ✓" in _page(app, ana, f"/ideas/{first_idea.id}", shared=True)
    assert "Following ✓" not in _page(app, min_, f"/ideas/{first_idea.id}", shared=True)
    # Each token works for its own reader only.
    token = TOKEN.search(_page(app, ana, "/", shared=True)).group(2)
    assert ana.post(f"/ideas/{first_idea.id}/vote", data={"value": "1", "csrf_token": token})
    refused = min_.post(f"/ideas/{first_idea.id}/vote", data={"value": "1", "csrf_token": token})
    assert refused.status_code == 400


def test_a_vote_a_comment_and_a_stage_change_show_on_the_next_load(app: Flask, board) -> None:
    ana = _signed_in(app, board["ana"])
    idea: Idea = board["ideas"][4]
    path = f"/ideas/{idea.id}"
    before_board, before_page = (
        _page(app, ana, "/", shared=True),
        _page(app, ana, path, shared=True),
    )
    assert "data-score-value>0<" in before_page
    ana.post(f"/ideas/{idea.id}/vote", data={"value": "1", "csrf_token": csrf_token(ana)})
    page = _page(app, ana, path, shared=True)
    assert "data-score-value>1<" in page
    assert re.search(r'class="vote-up"\s+aria-pressed="true"', page)
    card = re.search(rf'id="idea-{idea.id}".*?</li>', _page(app, ana, "/", shared=True), re.S)
    assert card
    assert "data-score-value>1<" in card.group(0)
    assert before_board != _page(app, ana, "/", shared=True)

    other = board["min"]
    services.add_comment(other, db.session.get(Idea, idea.id), "Me too, 저도요")
    db.session.commit()
    assert "저도요" in _page(app, ana, path, shared=True)
    triage.change_stage(
        db.session.get(Idea, idea.id),
        triage.find_stage("planned"),
        "Planned for spring.",
        board["staff"],
    )
    db.session.commit()
    assert "Planned for spring." in _page(app, ana, path, shared=True)


def test_who_wrote_on_the_page_or_is_blocked_gets_a_page_of_their_own(app: Flask, board) -> None:
    first_idea = board["ideas"][0]
    path = f"/ideas/{first_idea.id}"
    ana = _signed_in(app, board["ana"])
    author = _signed_in(app, board["author"])
    _page(app, ana, path, shared=True)  # a shared copy exists
    mine = _page(app, author, path, shared=True)
    assert 'class="own-actions"' in mine
    assert "my comment" in mine
    assert "Something rude" in mine
    theirs = _page(app, ana, path, shared=True)
    assert 'class="own-actions"' not in theirs
    assert "my comment" not in theirs
    assert "Something rude" not in theirs
    block_user(board["min"], board["staff"], "spam")
    db.session.commit()
    blocked = _signed_in(app, board["min"])
    fresh = _page(app, blocked, "/", shared=False)
    assert _normal(_page(app, blocked, "/", shared=True)) == _normal(fresh)


def _unread(page: str) -> int:
    match = re.search(r'visually-hidden">(\d+) unread<', page.split("</nav>", 1)[0])
    return int(match.group(1)) if match else 0


def test_the_navigation_counts_are_the_readers_own_and_current(app: Flask, board) -> None:
    ana, min_ = _signed_in(app, board["ana"]), _signed_in(app, board["min"])
    before = _unread(_page(app, ana, "/", shared=True))
    min_before = _unread(_page(app, min_, "/", shared=True))
    # An idea Ana follows moves on: she has one more on her very next page.
    followed = db.session.get(Idea, board["ideas"][5].id)
    services.follow_idea(db.session.get(type(board["ana"]), board["ana"].id), followed)
    db.session.commit()
    triage.change_stage(followed, triage.find_stage("planned"), "Planned.", board["staff"])
    db.session.commit()
    assert _unread(_page(app, ana, "/", shared=True)) == before + 1
    assert _unread(_page(app, min_, "/", shared=True)) == min_before  # not hers
    ana.post("/notifications/read", data={"csrf_token": csrf_token(ana)})
    assert _unread(_page(app, ana, "/", shared=True)) == 0


@pytest.mark.parametrize("who", ["ana", "staff", "anonymous"])
def test_a_page_is_rendered_once_and_served_from_its_copy(app: Flask, board, who) -> None:
    """The key is taken before rendering loads more of the rows. The board looks its copy
    up by plain values (queries.list_cards) and keeps it under the values of the ideas it
    rendered (queries.card_values): the two must agree, or every request would render again."""
    from flask import template_rendered

    client = _signed_in(app, board.get(who))
    rendered: list[str] = []

    def count(sender: Flask, template, context, **extra) -> None:
        rendered.append(template.name)

    paths = ["/", "/?sort=top", "/?sort=new", "/?category=product", "/?q=아이디어"]
    ideas = [f"/ideas/{idea.id}" for idea in board["ideas"][1:4]]  # nothing of theirs on them
    with template_rendered.connected_to(count, app):
        for path in paths + ideas:
            first = _page(app, client, path, shared=True)
            again = _page(app, client, path, shared=True)
            assert _normal(again) == _normal(first)
    assert rendered.count("ideas/index.html") == len(paths)
    assert rendered.count("ideas/show.html") == len(ideas)


def test_card_values_read_either_way_agree(app: Flask, board) -> None:
    from ideaboard.ideas import queries

    for sort in queries.Sort:
        cards = queries.list_cards(sort=sort, limit=4)
        db.session.expunge_all()
        ideas = queries.list_ideas(sort=sort, limit=4, cards=True)
        assert cards.values == [queries.card_values(idea) for idea in ideas.items]
        assert cards.next_cursor == ideas.next_cursor
        assert cards.next_cursor is not None
