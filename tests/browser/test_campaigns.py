"""A campaign in Chromium, in Korean: a visitor reads the campaign page (its ideas by votes and
the deadline in Seoul time), a signed-in customer submits an idea into it; after the deadline
the form is gone and the results page shows the idea that launched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from ideaboard.accounts.models import Role
from ideaboard.campaigns import services as campaigns
from ideaboard.extensions import db
from ideaboard.ideas import services as ideas
from ideaboard.ideas.models import Idea
from ideaboard.triage.models import StageRole, stage_with_role
from ideaboard.triage.services import change_stage
from tests.browser.helpers import DESKTOP, TIMEOUT_MS, LiveServer, enhanced
from tests.helpers import PASSWORD, Clock

NEW_IDEA = "지하철 와이파이도 5G로 바꿔 주세요"


# The pages' markup does not depend on the database (the rules are tested on both): SQLite.
@pytest.mark.sqlite_only
def test_a_korean_campaign_page_takes_an_idea_until_the_deadline_then_shows_results(
    browser: Any, live_server: LiveServer, clock: Clock, make_user: Any
) -> None:
    now = clock.set(datetime.now(UTC).replace(microsecond=0))
    staff = make_user(Role.STAFF, name="Kim Staff", initials="KS")
    customer = make_user(name="이민지", locale="ko")
    deadline = now + timedelta(hours=2)
    campaign = campaigns.create_campaign(
        staff,
        title="5G 아이디어 모음",
        description="5G 서비스에 바라는 점을 **무엇이든** 알려 주세요.",
        hashtag="#5G아이디어",
        category_slug="product",
        closes_at=deadline,
        slug="5g-ideas",
    )
    top = ideas.submit_idea(make_user(), "5G 요금제 데이터 이월", "", campaign=campaign)
    other = ideas.submit_idea(make_user(), "5G 커버리지 지도 보여 주기", "", campaign=campaign)
    db.session.commit()
    ideas.vote_on(make_user(), top.id, 1)
    db.session.commit()
    seoul = deadline.astimezone(ZoneInfo("Asia/Seoul"))
    deadline_text = f"{seoul.month}월 {seoul.day}일"

    context = browser.new_context(
        base_url=live_server.url, viewport=DESKTOP, locale="ko-KR", timezone_id="Asia/Seoul"
    )
    context.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))

        # A visitor finds the campaign from the main navigation.
        page.goto("/")
        page.locator(".main-nav").get_by_role("link", name="캠페인").click()
        page.wait_for_url("**/campaigns")
        page.get_by_role("link", name="5G 아이디어 모음").click()
        page.wait_for_url("**/campaigns/5g-ideas")
        expect(page.get_by_role("heading", level=1)).to_have_text("5G 아이디어 모음")
        expect(page.locator(".campaign-description strong")).to_have_text("무엇이든")
        deadline_box = page.locator("[data-campaign-deadline]")
        expect(deadline_box).to_contain_text(deadline_text)
        expect(deadline_box).to_contain_text("KST")
        expect(deadline_box).to_contain_text("마감")
        titles = page.locator(".idea-list .idea-title").all_inner_texts()
        assert titles == ["5G 요금제 데이터 이월", "5G 커버리지 지도 보여 주기"]
        expect(page.locator(".campaign-submit")).to_have_count(0)
        expect(
            page.get_by_role("link", name="캠페인에 아이디어를 제출하려면 로그인하세요")
        ).to_be_visible()

        # The customer logs in (in Korean) and submits an idea into the campaign.
        page.get_by_role("link", name="캠페인에 아이디어를 제출하려면 로그인하세요").click()
        page.locator("input[name=email]").fill(customer.email)
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/campaigns/5g-ideas")
        enhanced(page)
        form = page.locator(".campaign-submit")
        expect(form.get_by_role("heading")).to_have_text("이 캠페인에 아이디어 제출")
        form.locator("input[name=title]").fill(NEW_IDEA)
        form.locator("textarea[name=body]").fill("출퇴근 지하철 와이파이가 너무 느려요.")
        form.get_by_role("button", name="아이디어 올리기").click()
        page.wait_for_url("**/ideas/*")
        expect(page.get_by_role("heading", level=1)).to_have_text(NEW_IDEA)
        expect(page.locator(".campaign-badge")).to_have_text("#5G아이디어")

        db.session.rollback()  # see what the server committed
        submitted = db.session.scalar(select(Idea).where(Idea.title == NEW_IDEA))
        assert submitted is not None
        assert submitted.campaign_id == campaign.id
        change_stage(
            submitted, stage_with_role(StageRole.LAUNCHED), "5G 와이파이를 도입했습니다.",
            staff, check_workflow=False,
        )  # fmt: skip
        db.session.commit()

        # After the deadline: no form, the page says it closed, and the results show the launch.
        clock.set(deadline + timedelta(minutes=1))
        page.goto("/campaigns/5g-ideas")
        expect(page.locator("[data-campaign-deadline]")).to_contain_text("마감되었습니다")
        expect(page.locator(".campaign-submit")).to_have_count(0)
        expect(page.locator(f"#idea-{other.id} .vote-up")).to_be_disabled()
        page.get_by_role("link", name="결과 보기").click()
        page.wait_for_url("**/campaigns/5g-ideas/results")
        launched = page.locator(".campaign-launched")
        expect(launched).to_contain_text(NEW_IDEA)
        expect(launched).not_to_contain_text("5G 요금제 데이터 이월")
        expect(page.locator(".campaign-counts dd").first).to_have_text("3")  # ideas
        expect(page.locator(".campaign-interim")).to_have_count(0)
    finally:
        context.close()
    assert not errors, errors
