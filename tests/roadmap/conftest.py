"""The roadmap and changelog tests: feeds link to IDEABOARD_PUBLIC_URL; the page cache is on."""

from __future__ import annotations

import pytest

from ideaboard.pagecache import cache
from tests.roadmap.helpers import PUBLIC_URL


@pytest.fixture
def app(app_factory):
    """Anonymous pages are kept for a minute, as in production (only for a few seconds)."""
    app = app_factory(IDEABOARD_PUBLIC_URL=PUBLIC_URL + "/", IDEABOARD_PAGE_CACHE_SECONDS=60)
    with app.app_context():
        cache.clear()
        yield app
