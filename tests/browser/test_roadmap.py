"""The roadmap and the changelog in Chromium: a category filter on a desktop in English, the
columns stacked on a 390 px phone in Korean, a voter's marks on the changelog, and axe."""

from __future__ import annotations

from typing import Any

import pytest

from ideaboard.database import utcnow
from tests.browser.helpers import FAIL_ON, TIMEOUT_MS, LiveServer, axe_violations
from tests.roadmap.helpers import build_board

PHONE = {"width": 390, "height": 844}


def _no_serious_axe(page: Any, axe_source: str) -> None:
    found = axe_violations(page, axe_source)
    serious = [v for v in found if v["impact"] in FAIL_ON]
    assert not serious, serious


def _column_titles(page: Any, key: str) -> list[str]:
    return page.locator(f".roadmap-{key} .roadmap-card .idea-title").all_inner_texts()


# The markup does not depend on the database (the queries are unit-tested on both), and one
# browser run is enough: SQLite only.
@pytest.mark.sqlite_only
def test_roadmap_and_changelog_on_desktop_and_phone(
    page: Any, browser: Any, live_server: LiveServer, log_in: Any, axe_source: str,
    make_user: Any, make_idea: Any,
) -> None:  # fmt: skip
    board = build_board(utcnow(), make_user, make_idea)

    # Desktop, English: three columns side by side, filtered to one category.
    page.goto("/roadmap")
    tops = [
        page.locator(f".roadmap-{k}").bounding_box() for k in ("planned", "in_progress", "launched")
    ]
    assert all(box is not None for box in tops)
    assert len({round(box["y"]) for box in tops}) == 1  # one row
    assert _column_titles(page, "planned") == ["Idea P1 on the roadmap", "Idea P2 on the roadmap"]
    page.get_by_label("Category").select_option("billing")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/roadmap?category=billing")
    assert _column_titles(page, "planned") == ["Idea P2 on the roadmap"]
    assert _column_titles(page, "in_progress") == []
    assert _column_titles(page, "launched") == ["Idea L2 on the roadmap"]
    _no_serious_axe(page, axe_source)
    response = page.goto("/roadmap?category=nope")
    assert response is not None
    assert response.status == 400
    assert "There is no category called nope" in page.get_by_role("alert").inner_text()

    # A voter: the nav counts the launch they voted for; the changelog marks it, once.
    log_in(board.voter)
    badge = page.locator(".main-nav a[href='/changelog'] .count-badge")
    assert badge.inner_text() == "1"
    page.get_by_role("link", name="Changelog").click()
    page.wait_for_url("**/changelog")
    l1 = page.locator(
        ".changelog-entry", has=page.get_by_role("link", name=board.ideas["L1"].title)
    )
    l2 = page.locator(
        ".changelog-entry", has=page.get_by_role("link", name="Idea L2 on the roadmap")
    )
    assert l1.locator(".changelog-voted").inner_text() == "You voted for this"
    assert l1.locator(".changelog-new-mark").inner_text() == "New since your last visit"
    assert l2.locator(".changelog-voted").count() == 0
    assert page.locator("head link[rel=alternate][href$='/changelog.atom']").count() == 1
    assert badge.count() == 0  # seen now
    _no_serious_axe(page, axe_source)
    page.reload()
    assert page.locator(".changelog-new-mark").count() == 0
    assert l1.locator(".changelog-voted").count() == 1

    # A phone, Korean: the columns stack, nothing scrolls sideways, the nav fits.
    phone = browser.new_context(
        base_url=live_server.url, viewport=PHONE, locale="ko-KR", timezone_id="Asia/Seoul"
    )
    phone.set_default_timeout(TIMEOUT_MS)
    try:
        tab = phone.new_page()
        tab.goto("/roadmap?category=app")
        assert tab.locator("h1").inner_text() == "로드맵"
        assert tab.locator("#roadmap-in_progress").inner_text().startswith("진행 중")
        boxes = [
            tab.locator(f".roadmap-{k}").bounding_box()
            for k in ("planned", "in_progress", "launched")
        ]
        assert all(box is not None for box in boxes)
        assert boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"]  # stacked
        assert len({round(box["x"]) for box in boxes}) == 1
        assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        nav = tab.locator(".main-nav").bounding_box()
        assert nav is not None
        assert nav["x"] + nav["width"] <= PHONE["width"]
        assert _column_titles(tab, "planned") == ["Idea P1 on the roadmap"]
        _no_serious_axe(tab, axe_source)
        tab.goto("/changelog")
        assert tab.locator("h1").inner_text() == "업데이트 내역"
        assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        phone.close()
