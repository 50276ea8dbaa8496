"""The known board the insights tests measure (built by the `build_board` fixture)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ideaboard.accounts.models import User
from ideaboard.ideas.models import Idea
from ideaboard.triage.models import StatusChange

KOREAN_TITLE = "데이터 이월 서비스 & <더 많은> 혜택"


@dataclass
class Board:
    """The board as built: its `now`, the staff member who answered, ideas and changes by key."""

    now: datetime
    staff: User
    ideas: dict[str, Idea]
    changes: dict[str, StatusChange]
