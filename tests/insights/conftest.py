"""A known board: ideas with fixed creation and answer times, relative to a chosen `now`.

    idea  created      source  answered (first public change)   stage now      notes
    A     now-1d       web     +1h   under-review               under-review
    B     now-2d       web     +2h   planned                    planned
    C     now-3d       web     +3h   in-progress                in-progress
    D     now-10d      x       +5h   under-review               under-review   @minji_k
    E     now-20d      web     +10h  under-review, then         launched       Korean title
                                     launched at now-2d
    F     now-5d       web     —                                new
    G     now-6h       x       —                                new
    K     now-15d      web     +20h  declined                   declined
    I     now-60d      web     +48h  under-review, then         launched
                                     launched at now-40d
    J     now-100d     web     —                                new
    H     now-1d       web     +30m  launched                   launched       hidden: never counts

Visible: 10 ideas; last 30 days: A B C D E F G K (8); answered among them: 6, with response
times 1h 2h 3h 5h 10h 20h; unanswered: F and G.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.triage.models import StatusChange
from ideaboard.triage.services import change_stage, find_stage
from tests.insights.helpers import KOREAN_TITLE, Board

H = timedelta(hours=1)
D = timedelta(days=1)


PUBLIC_URL = "https://ideas.example.com"


@pytest.fixture
def app(app_factory):
    """Feeds link to IDEABOARD_PUBLIC_URL, not to the test client's host (localhost)."""
    app = app_factory(IDEABOARD_PUBLIC_URL=PUBLIC_URL + "/")
    with app.app_context():
        yield app


@pytest.fixture
def build_board(make_user, make_idea):
    def build(now: datetime) -> Board:
        staff = make_user("staff", name="Jiwoo Park", initials="JP")
        ideas: dict[str, Idea] = {}
        changes: dict[str, StatusChange] = {}

        def idea(key, created, *, source="web", handle=None, name=None, title=None, author=None):
            made = make_idea(author, title=title or f"Idea {key} for the board")
            made.created_at = created
            made.updated_at = created
            made.source = source
            made.source_author_handle = handle
            made.source_author_name = name
            ideas[key] = made
            return made

        def move(key, slug, at, note=None):
            change = change_stage(
                ideas[key],
                find_stage(slug),
                note or f"{key} is {slug}",
                staff,
                at=at,
                check_workflow=False,
            )
            changes[f"{key}:{slug}"] = change
            return change

        idea("A", now - D)
        move("A", "under-review", now - D + H)
        idea("B", now - 2 * D)
        move("B", "planned", now - 2 * D + 2 * H)
        idea("C", now - 3 * D)
        move("C", "in-progress", now - 3 * D + 3 * H)
        idea("D", now - 10 * D, source="x", handle="minji_k", name="김민지")
        move("D", "under-review", now - 10 * D + 5 * H)
        idea("E", now - 20 * D, title=KOREAN_TITLE, author=make_user(name="Hana Lee"))
        move("E", "under-review", now - 20 * D + 10 * H)
        move("E", "launched", now - 2 * D, "**Shipped** in the March release — 고맙습니다!")
        idea("F", now - 5 * D)
        idea("G", now - 6 * H, source="x", handle="nohandle_name")
        idea("K", now - 15 * D)
        move("K", "declined", now - 15 * D + 20 * H)
        idea("I", now - 60 * D, author=make_user(name="Old Timer"))
        move("I", "under-review", now - 58 * D)
        move("I", "launched", now - 40 * D, "Launched long ago.")
        idea("J", now - 100 * D)
        idea("H", now - D, title="Hidden spam idea")
        move("H", "launched", now - D + H / 2, "Hidden launch note")
        ideas["H"].hidden_at = now - 12 * H
        db.session.commit()
        return Board(now=now, staff=staff, ideas=ideas, changes=changes)

    return build
