"""Fixtures of the idea tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.ideas import services
from ideaboard.ideas.models import Idea
from ideaboard.ideas.ranking import hot_rank
from tests.ideas.helpers import T0


@pytest.fixture
def searchable(make_idea) -> None:
    """Three ideas to search for: one Korean, two English."""
    make_idea(title="데이터 이월 서비스", body="남은 데이터를 다음 달로 넘겨 주세요.")
    make_idea(title="Dark Mode for the app", body="Easier on the eyes at night.")
    make_idea(title="Cheaper roaming in Japan", body="Roaming fees are too high.")


@pytest.fixture
def add_idea(app) -> Callable[..., Idea]:
    """Store an idea row with an exact score, creation time and rank (no author needed)."""
    counter = iter(range(1, 1_000_000))
    stage = services.default_stage()

    def add(
        title: str | None = None,
        *,
        body: str = "",
        score: int = 0,
        created_at=None,
        hot: float | None = None,
        hidden: bool = False,
    ) -> Idea:
        n = next(counter)
        created = created_at or T0 + timedelta(minutes=n)
        idea = Idea(
            title=title or f"Generated idea {n}",
            body=body,
            body_html="",
            stage=stage,
            score=score,
            up_count=max(score, 0),
            down_count=max(-score, 0),
            created_at=created,
            updated_at=created,
            hot=hot_rank(score, created) if hot is None else hot,
            hidden_at=utcnow() if hidden else None,
        )
        db.session.add(idea)
        db.session.commit()
        return idea

    return add
