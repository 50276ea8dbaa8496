"""Values shared by the campaign tests (fixtures are in conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# A fixed moment the tests stop the clock at: Friday 5 December 2031, 09:00 UTC (18:00 KST).
NOW = datetime(2031, 12, 5, 9, 0, tzinfo=UTC)
DEADLINE = NOW + timedelta(days=7)
