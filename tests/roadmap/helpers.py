"""A known board for the roadmap and changelog tests (`build_board(now, make_user, make_idea)`).

    key   category  stage now      how it got there                                  votes up
    P1    app       planned        planned at now-3d                                  voter, other
    P2    billing   planned        planned at now-1d                                  —
    R     app       under-review   (no roadmap column)                                —
    IP    app       in-progress    in-progress at now-2h                              —
    L1    app       launched       launched at now-1d, Korean title and note           voter
    L2    billing   launched       launched at now-40d, reopened, launched at now-5d  other
    LH    app       launched       launched at now-2d, then hidden                    voter
    LM    app       launched       merged into P1, then moved to launched at now-1h    —
    PM    app       duplicate      planned, then merged into P1                       —
    X     app       secret         an internal stage someone put in "planned"         —

The voter signed up at now-60d; both voters' votes were cast before the launches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ideaboard.accounts.models import User
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.ideas.services import cast_vote
from ideaboard.triage.models import Stage, StatusChange
from ideaboard.triage.services import change_stage, find_stage, hide_idea, merge_ideas

PUBLIC_URL = "https://ideas.example.com"
H = timedelta(hours=1)
D = timedelta(days=1)
KOREAN_TITLE = "데이터 이월 서비스 & <더 많은> 혜택"
KOREAN_NOTE = "**Shipped** in the March release — 고맙습니다! <script>x</script>"


@dataclass
class Board:
    now: datetime
    staff: User
    voter: User
    other: User
    ideas: dict[str, Idea]
    changes: dict[str, StatusChange]


def build_board(now: datetime, make_user, make_idea) -> Board:
    staff = make_user("staff", name="Jiwoo Park")
    voter = make_user(name="Vera Voter")
    other = make_user(name="Otto Other")
    voter.created_at = now - 60 * D
    other.created_at = now - 60 * D
    ideas: dict[str, Idea] = {}
    changes: dict[str, StatusChange] = {}

    def idea(key: str, category: str, title: str | None = None) -> Idea:
        made = make_idea(title=title or f"Idea {key} on the roadmap", category=category)
        made.created_at = now - 90 * D
        made.stage_entered_at = made.created_at
        ideas[key] = made
        return made

    def move(key: str, slug: str, at: datetime, note: str | None = None) -> StatusChange:
        change = change_stage(
            ideas[key], find_stage(slug), note or f"{key} is {slug}", staff, at=at,
            check_workflow=False,
        )  # fmt: skip
        changes[f"{key}:{slug}"] = change
        return change

    def votes(key: str, *users: User) -> None:
        for user in users:
            cast_vote(user, ideas[key], 1)

    idea("P1", "app")
    votes("P1", voter, other)
    move("P1", "planned", now - 3 * D)
    idea("P2", "billing")
    move("P2", "planned", now - D)
    idea("R", "app")
    move("R", "under-review", now - 2 * D)
    idea("IP", "app")
    move("IP", "in-progress", now - 2 * H)
    idea("L1", "app", KOREAN_TITLE)
    votes("L1", voter)
    move("L1", "launched", now - D, KOREAN_NOTE)
    idea("L2", "billing")
    votes("L2", other)
    move("L2", "launched", now - 40 * D, "The first launch note")
    move("L2", "in-progress", now - 30 * D, "Reopened for a fix")
    changes["L2:first-launch"] = changes.pop("L2:launched")
    move("L2", "launched", now - 5 * D, "The second launch note")
    idea("LH", "app", "A launched idea that was hidden")
    votes("LH", voter)
    move("LH", "launched", now - 2 * D, "Hidden launch note")
    hide_idea(ideas["LH"], staff, "spam")
    idea("LM", "app", "A merged idea moved to launched")
    merge_ideas(ideas["LM"], ideas["P1"], staff)
    move("LM", "launched", now - H, "Merged launch note")
    idea("PM", "app", "A planned idea merged away")
    move("PM", "planned", now - 4 * D)
    merge_ideas(ideas["PM"], ideas["P1"], staff)
    secret = Stage(
        slug="secret", name="Secret", position=35, is_public=False, roadmap_column="planned"
    )
    db.session.add(secret)
    db.session.flush()
    idea("X", "app", "An idea in an internal stage")
    move("X", "secret", now - D)
    db.session.commit()
    return Board(now, staff, voter, other, ideas, changes)
