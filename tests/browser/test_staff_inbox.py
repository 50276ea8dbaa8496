"""The staff inbox in Chromium: sort, assign to me, save a filter and use it, page through; the
inbox and the outbox pass axe. Desktop in English, a 390 px phone in Korean."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from ideaboard.accounts.models import Role, User
from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.ideas import services as idea_services
from ideaboard.ideas.models import Idea
from ideaboard.outbox.models import OutboxKind, OutboxMessage, OutboxState
from ideaboard.social import views as social_views
from ideaboard.triage import queries
from tests.browser.helpers import DESKTOP, FAIL_ON, LiveServer, axe_violations
from tests.helpers import PASSWORD, Clock

PHONE = {"width": 390, "height": 844}
WORDS = {
    "en": {
        "sort": "Sort",
        "votes": "Most votes",
        "apply": "Apply",
        "assign": "Assign to me",
        "name": "Name of this filter",
        "save": "Save this filter",
        "page": "Page {page} of {pages}",
        "assigned": "1 idea is assigned to you",
        "saved": "Filter saved as",
    },
    "ko": {
        "sort": "정렬",
        "votes": "투표 많은 순",
        "apply": "적용",
        "assign": "나에게 배정",
        "name": "필터 이름",
        "save": "이 필터 저장",
        "page": "{pages}쪽 중 {page}쪽",
        "assigned": "아이디어 1개가 나에게 배정되었습니다",
        "saved": "필터를",
    },
}


def _seed(clock: Clock, make_user: Callable[..., User], make_idea: Callable[..., Idea]) -> Idea:
    """Three waiting ideas: Alpha oldest, Bravo the most votes, Charlie newest."""
    start = datetime.now(UTC) - timedelta(hours=3)
    voters = [make_user() for _ in range(2)]
    clock.set(start)
    make_idea(title="Alpha: dark mode")
    clock.set(start + timedelta(hours=1))
    bravo = make_idea(title="Bravo: family data sharing")
    clock.set(start + timedelta(hours=2))
    make_idea(title="Charlie: eSIM for watches")
    for voter in voters:
        idea_services.cast_vote(voter, bravo, 1)
    for n in range(2):  # two outbox rows: two pages of one row
        db.session.add(
            OutboxMessage(
                kind=OutboxKind.X_REPLY.value,
                state=OutboxState.SENT.value,
                dedupe_key=f"x_reply:browser:{n}",
                target=str(1861000000000000000 + n),
                text=f"Reply number {n}",
                attempts=1,
                max_attempts=8,
                created_at=utcnow(),
                next_attempt_at=utcnow(),
            )
        )
    db.session.commit()
    clock.set(start + timedelta(hours=3))
    return bravo


def _check_axe(page: Any, axe_source: str, label: str) -> None:
    serious = [v for v in axe_violations(page, axe_source) if v["impact"] in FAIL_ON]
    assert not serious, f"{label}: {serious}"


# The markup does not depend on the database; the queries behind it are unit-tested on both.
@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("viewport", "lang"), [(DESKTOP, "en"), (PHONE, "ko")], ids=["desktop-en", "phone-ko"]
)
def test_sort_assign_save_a_filter_and_page_through(
    browser: Any,
    live_server: LiveServer,
    axe_source: str,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    make_user: Callable[..., User],
    make_idea: Callable[..., Idea],
    viewport: dict[str, int],
    lang: str,
) -> None:
    monkeypatch.setattr(queries, "INBOX_PAGE", 2)
    monkeypatch.setattr(social_views, "PAGE", 1)
    words = WORDS[lang]
    bravo = _seed(clock, make_user, make_idea)
    staff = make_user(Role.STAFF, name="Kim Gayoung", locale=lang)
    ctx = browser.new_context(base_url=live_server.url, viewport=viewport, locale=lang)
    try:
        page = ctx.new_page()
        page.goto("/login")
        page.locator("input[name=email]").fill(staff.email)
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/login" not in url)

        # The waiting queue, oldest first, two a page, with its count.
        page.goto("/staff/")
        rows = page.locator(".staff-table tbody tr")
        expect(page.locator("[data-queue=waiting] .queue-count")).to_have_text("3")
        expect(rows).to_have_count(2)
        expect(rows.first).to_contain_text("Alpha")
        expect(page.locator(".pager")).to_contain_text(words["page"].format(page=1, pages=2))
        _check_axe(page, axe_source, f"inbox ({lang})")
        if viewport is PHONE:
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= PHONE["width"], f"the inbox scrolls sideways: {wide}px"
        page.locator(".pager a[rel=next]").click()
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Charlie")
        expect(page.locator(".pager")).to_contain_text(words["page"].format(page=2, pages=2))

        # Sort by votes.
        page.get_by_label(words["sort"], exact=True).select_option(label=words["votes"])
        page.get_by_role("button", name=words["apply"], exact=True).click()
        expect(rows.first).to_contain_text("Bravo")
        assert "sort=votes" in page.url

        # Assign the first row to me: back on the same sorted list, the row says so.
        rows.first.get_by_role("button", name=words["assign"]).click()
        expect(page.locator(".flash")).to_contain_text(words["assigned"])
        assert "sort=votes" in page.url
        expect(rows.first).to_contain_text("Kim Gayoung")
        expect(page.locator("[data-queue=mine] .queue-count")).to_have_text("1")
        db.session.rollback()  # a new transaction sees what the server committed
        assert db.session.get(Idea, bravo.id).assignee_id == staff.id

        # Save the filter, leave it, come back through its link.
        page.get_by_label(words["name"]).fill("Top votes")
        page.get_by_role("button", name=words["save"]).click()
        expect(page.locator(".flash")).to_contain_text(words["saved"])
        page.goto("/staff/")
        expect(rows.first).to_contain_text("Alpha")
        page.locator(".saved-filter-list").get_by_role("link", name="Top votes").click()
        expect(rows.first).to_contain_text("Bravo")
        assert "sort=votes" in page.url
        _check_axe(page, axe_source, f"inbox with a saved filter ({lang})")

        # The outbox pages too, newest first.
        page.goto("/staff/outbox")
        expect(page.locator("main")).to_contain_text("Reply number 1")
        page.locator(".pager a[rel=next]").first.click()
        expect(page.locator("main")).to_contain_text("Reply number 0")
        expect(page.locator(".pager").first).to_contain_text(words["page"].format(page=2, pages=2))
        _check_axe(page, axe_source, f"outbox ({lang})")
    finally:
        ctx.close()
