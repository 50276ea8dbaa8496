"""The Trending rank.

Reddit's "hot" formula: rank = sign(s) * log10(max(|s|, 1)) + age_seconds / 45000, where s is
the net score and age_seconds counts from a fixed epoch to the idea's creation. Ten times the
votes are worth 12.5 hours of recency, so a fresh idea with a few votes can pass an old one with
many, and the old one sinks as newer ideas arrive — without the rank ever changing by itself.
Because the rank depends only on the score and the creation time, it is stored on the idea,
updated in the same transaction as each vote, and indexed: the Trending tab is an index walk.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
SECONDS_PER_DECADE_OF_VOTES = 45_000


def hot_rank(score: int, created_at: datetime) -> float:
    """Return the Trending rank for a net score and a creation time."""
    order = math.log10(max(abs(score), 1))
    sign = (score > 0) - (score < 0)
    age = (created_at - EPOCH).total_seconds()
    return round(sign * order + age / SECONDS_PER_DECADE_OF_VOTES, 7)
