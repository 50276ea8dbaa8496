"""The README's screenshots, taken from the current UI on the demo board.

Only when asked: `IDEABOARD_SCREENSHOTS=1 pytest tests/browser/test_screenshots.py` writes
docs/screenshots/{board,idea,staff-inbox,stats,roadmap,staff-activity}.png (1200 px wide,
English UI). The normal run skips it, so it costs nothing there.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from ideaboard.accounts.models import User
from ideaboard.demo import DEMO_PASSWORD, load_demo
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.triage.models import StatusChange
from tests.browser.helpers import DESKTOP, TIMEOUT_MS, LiveServer

pytestmark = pytest.mark.skipif(
    os.environ.get("IDEABOARD_SCREENSHOTS", "") not in ("1", "true", "yes"),
    reason="screenshots are taken only with IDEABOARD_SCREENSHOTS=1",
)


def shoot(page: Any, path: Path, *, until: str | None = None) -> None:
    """Save the page at 1200 px wide: the first screen, or down to the bottom of `until`."""
    page.evaluate("document.fonts.ready")
    if until is None:
        page.screenshot(path=str(path))
        return
    bottom = page.locator(until).evaluate(
        "el => el.getBoundingClientRect().bottom + window.scrollY"
    )
    height = max(DESKTOP["height"], int(bottom) + 24)
    page.screenshot(
        path=str(path),
        full_page=True,
        clip={"x": 0, "y": 0, "width": DESKTOP["width"], "height": height},
    )


def test_readme_screenshots(browser: Any, live_server: LiveServer, shots_dir: Path) -> None:
    load_demo()
    db.session.commit()
    # The idea with the longest public timeline shows the stage badges and notes best.
    idea_id = db.session.scalar(
        select(StatusChange.idea_id)
        .join(Idea, Idea.id == StatusChange.idea_id)
        .where(Idea.merged_into_id.is_(None))
        .group_by(StatusChange.idea_id)
        .order_by(func.count().desc(), StatusChange.idea_id)
        .limit(1)
    )
    staff = db.session.scalar(select(User).where(User.email == "staff@example.com"))
    assert idea_id is not None
    assert staff is not None

    ctx = browser.new_context(
        base_url=live_server.url, viewport=DESKTOP, locale="en-US", device_scale_factor=1
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    try:
        page.goto("/")
        shoot(page, shots_dir / "board.png")

        page.goto(f"/ideas/{idea_id}")
        assert page.locator(".timeline-item").count() >= 3
        shoot(page, shots_dir / "idea.png", until=".timeline")

        page.goto("/stats")
        shoot(page, shots_dir / "stats.png", until=".stats-chart-card")

        page.goto("/login")
        page.locator("input[name=email]").fill(staff.email)
        page.locator("input[name=password]").fill(DEMO_PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/login" not in url)
        page.goto("/staff/")
        assert page.locator(".staff-table tbody tr").count() >= 3
        shoot(page, shots_dir / "staff-inbox.png")
    finally:
        ctx.close()
    for name in ("board", "idea", "staff-inbox", "stats"):
        assert (shots_dir / f"{name}.png").stat().st_size > 10_000


def test_readme_screenshot_of_the_roadmap(
    browser: Any, live_server: LiveServer, shots_dir: Path
) -> None:
    load_demo()
    db.session.commit()
    ctx = browser.new_context(
        base_url=live_server.url, viewport=DESKTOP, locale="en-US", device_scale_factor=1
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    try:
        page.goto("/roadmap")
        for key in ("planned", "in_progress", "launched"):
            assert page.locator(f".roadmap-{key} .roadmap-card").count() >= 1, key
        shoot(page, shots_dir / "roadmap.png")
    finally:
        ctx.close()
    assert (shots_dir / "roadmap.png").stat().st_size > 10_000


def test_readme_screenshot_of_the_staff_activity_feed(
    browser: Any, live_server: LiveServer, shots_dir: Path
) -> None:
    """docs/screenshots/staff-activity.png: the staff idea page's activity feed, with an
    internal note and an official answer above the stage changes."""
    from ideaboard.ideas import services as idea_services
    from ideaboard.triage import services as triage_services

    load_demo()
    db.session.commit()
    idea_id = db.session.scalar(
        select(StatusChange.idea_id)
        .join(Idea, Idea.id == StatusChange.idea_id)
        .where(Idea.merged_into_id.is_(None))
        .group_by(StatusChange.idea_id)
        .order_by(func.count().desc(), StatusChange.idea_id)
        .limit(1)
    )
    staff = db.session.scalar(select(User).where(User.email == "staff@example.com"))
    assert idea_id is not None
    assert staff is not None
    idea = db.session.get(Idea, idea_id)
    assert idea is not None
    triage_services.add_note(
        idea, staff, "Billing says the **family plan** change needs the March release. Staff only."
    )
    idea_services.add_comment(
        staff, idea, "Thanks for all the votes! We will share the release date here."
    )
    db.session.commit()

    ctx = browser.new_context(
        base_url=live_server.url, viewport=DESKTOP, locale="en-US", device_scale_factor=1
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    try:
        page.goto("/login")
        page.locator("input[name=email]").fill(staff.email)
        page.locator("input[name=password]").fill(DEMO_PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/login" not in url)
        page.goto(f"/staff/ideas/{idea_id}")
        feed = page.locator(".activity-feed")
        assert feed.locator(".feed-note").count() == 1
        assert feed.locator(".feed-answer").count() >= 1
        page.evaluate("document.fonts.ready")
        box = feed.bounding_box()
        assert box is not None
        top = max(0, int(box["y"] + page.evaluate("window.scrollY")) - 16)
        page.screenshot(
            path=str(shots_dir / "staff-activity.png"),
            full_page=True,
            clip={"x": 0, "y": top, "width": DESKTOP["width"], "height": DESKTOP["height"]},
        )
    finally:
        ctx.close()
    assert (shots_dir / "staff-activity.png").stat().st_size > 10_000
