"""Fixtures of the idea tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def searchable(make_idea) -> None:
    """Three ideas to search for: one Korean, two English."""
    make_idea(title="데이터 이월 서비스", body="남은 데이터를 다음 달로 넘겨 주세요.")
    make_idea(title="Dark Mode for the app", body="Easier on the eyes at night.")
    make_idea(title="Cheaper roaming in Japan", body="Roaming fees are too high.")
