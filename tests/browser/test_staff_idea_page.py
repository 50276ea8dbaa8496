"""The staff idea page in Chromium: a refused form keeps every card (desktop, English); an
internal note and an official answer, a saved reply inserted into the answer, and what a
customer sees (phone size, Korean); merging by searching the title; axe on the new pages.

Marked sqlite_only: the markup and the scripts do not depend on the database, and the rules'
queries are unit-tested on both (tests/triage). One run keeps `make test` fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from ideaboard.accounts.models import Role, User
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.triage import services
from ideaboard.triage.models import IdeaNote, Team
from tests.browser.helpers import (
    DESKTOP,
    FAIL_ON,
    TIMEOUT_MS,
    LiveServer,
    axe_violations,
    enhanced,
)
from tests.helpers import PASSWORD

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

PHONE = {"width": 390, "height": 844}


def fresh(model: Any, ident: int) -> Any:
    """Read a row as the server last wrote it."""
    db.session.rollback()
    return db.session.get(model, ident)


def open_as(
    browser: Any, live_server: LiveServer, user: User | None, *, locale: str, size: dict[str, int]
) -> Any:
    """A page in a new context (language, window size), logged in as user if given."""
    ctx = browser.new_context(base_url=live_server.url, viewport=size, locale=locale)
    ctx.set_default_timeout(TIMEOUT_MS)
    tab = ctx.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on(
        "console",
        lambda m: (
            errors.append(m.text) if m.type == "error" and "Failed to load" not in m.text else None
        ),
    )
    tab.script_errors = errors
    if user is not None:
        tab.goto("/login")
        tab.locator("input[name=email]").fill(user.email)
        tab.locator("input[name=password]").fill(PASSWORD)
        tab.locator("main form button[type=submit]").click()
        tab.wait_for_url(lambda url: "/login" not in url)
    return tab


def serious(tab: Any, axe_source: str) -> list[dict[str, Any]]:
    return [v for v in axe_violations(tab, axe_source) if v["impact"] in FAIL_ON]


@pytest.mark.sqlite_only
def test_a_refused_merge_keeps_every_card_then_merge_by_searching_the_title(
    browser: Any,
    live_server: LiveServer,
    make_user: Callable[..., User],
    make_idea: Callable[..., Idea],
    axe_source: str,
) -> None:
    staff = make_user(Role.STAFF, name="Kim Gayoung", initials="KG")
    idea = make_idea(title="Share my data with my family", category="app")
    original = make_idea(title="Family data sharing plan")
    make_idea(title="Dark mode for the app")
    billing = db.session.scalar(select(Team).where(Team.slug == "billing"))
    services.assign_idea(idea, staff, team=billing, assignee=staff)
    db.session.commit()
    tab = open_as(browser, live_server, staff, locale="en-US", size=DESKTOP)
    tab.goto(f"/staff/ideas/{idea.id}")

    # Merging the idea into itself is refused: every card still shows its values.
    tab.get_by_label("Public note").fill("A note I was typing")
    merge = tab.locator("#merge")
    merge.get_by_label("Merge into idea number").fill(str(idea.id))
    merge.get_by_label("Note (optional)").fill("Typed merge note")
    merge.get_by_role("button", name="Merge", exact=True).click()
    expect(merge.locator(".error")).to_contain_text("cannot be merged into itself")
    expect(merge.get_by_label("Merge into idea number")).to_have_value(str(idea.id))
    expect(merge.get_by_label("Note (optional)")).to_have_value("Typed merge note")
    expect(tab.get_by_label("Title", exact=True)).to_have_value(idea.title)
    expect(tab.get_by_label("Category", exact=True)).to_have_value("app")
    expect(tab.get_by_label("Team", exact=True)).to_have_value("billing")
    expect(tab.get_by_label("Assignee", exact=True)).to_have_value(str(staff.id))
    tab.get_by_role("button", name="Save routing").click()
    expect(tab.locator(".flash")).to_contain_text("Routing saved.")
    saved = fresh(Idea, idea.id)
    assert (saved.team_id, saved.assignee_id, saved.category.slug) == (billing.id, staff.id, "app")

    # Merge by searching the target's title: the autocomplete fills the number.
    enhanced(tab)  # the page the routing form came back to
    merge.get_by_label("Find the idea by its title").fill("family data")
    choices = merge.locator(".candidate-list li")
    # The list comes after a typing pause and a fetch: give it the browser tests' wait.
    expect(choices).to_have_count(1, timeout=TIMEOUT_MS)  # never the idea itself
    expect(choices.first).to_contain_text(f"#{original.id} Family data sharing plan")
    assert serious(tab, axe_source) == []  # the page with every card and the results
    choices.first.get_by_role("button").click()
    expect(merge.get_by_label("Merge into idea number")).to_have_value(str(original.id))
    expect(merge.locator(".merge-chosen")).to_contain_text("Family data sharing plan")
    merge.get_by_role("button", name="Merge", exact=True).click()
    expect(tab.locator(".flash")).to_contain_text("The ideas are merged")
    assert fresh(Idea, idea.id).merged_into_id == original.id
    feed = tab.locator(".activity-feed .timeline-item")
    expect(feed.first).to_contain_text("Merged into")
    assert tab.script_errors == []
    tab.context.close()


@pytest.mark.sqlite_only
def test_note_and_saved_answer_on_a_phone_in_korean_and_what_the_customer_sees(
    browser: Any,
    live_server: LiveServer,
    make_user: Callable[..., User],
    make_idea: Callable[..., Idea],
    axe_source: str,
) -> None:
    staff = make_user(Role.STAFF, name="김가영", initials="KG")
    customer = make_user(name="이민지", locale="ko")
    idea = make_idea(customer, title="데이터 이월 해 주세요")
    tab = open_as(browser, live_server, staff, locale="ko-KR", size=PHONE)

    # A saved reply, made on its page.
    tab.goto("/staff/saved-replies")
    add = tab.locator("form", has=tab.get_by_role("heading", name="저장된 답변 추가"))
    add.get_by_label("제목").fill("검토 시작")
    add.get_by_label("언어").select_option("ko")
    add.get_by_label("내용").fill("의견 감사합니다. 담당 팀이 검토를 시작했어요.")
    add.get_by_role("button", name="추가", exact=True).click()
    expect(tab.locator(".flash")).to_contain_text("저장된 답변을 추가했습니다.")
    expect(tab.locator(".saved-reply")).to_contain_text("검토 시작")
    assert serious(tab, axe_source) == []  # the saved-replies page with a reply listed

    tab.goto(f"/staff/ideas/{idea.id}")
    note = "요금 팀 확인 필요: 3월 전에는 어려움"
    tab.get_by_label("내부 메모").fill(note)
    tab.get_by_role("button", name="메모 저장").click()
    expect(tab.locator(".flash")).to_contain_text("내부 메모를 저장했습니다.")

    enhanced(tab)  # the page the note form came back to
    picker = tab.locator("form[data-saved-reply-picker]")
    picker.get_by_label("저장된 답변").select_option(label="검토 시작")
    picker.get_by_label("넣을 곳").select_option("answer")
    picker.get_by_role("button", name="넣기").click()
    answer_box = tab.locator("#answer-body")
    expect(answer_box).to_have_value("의견 감사합니다. 담당 팀이 검토를 시작했어요.")
    assert "reply=" not in tab.url  # inserted in place, not by reloading
    tab.get_by_role("button", name="답변 게시").click()
    expect(tab.locator(".flash")).to_contain_text("공식 답변을 게시했습니다.")

    feed = tab.locator(".activity-feed .timeline-item")
    expect(feed).to_have_count(2)
    expect(feed.nth(0)).to_contain_text("공식 답변")
    expect(feed.nth(0)).to_contain_text("담당 팀이 검토를 시작했어요")
    expect(feed.nth(1)).to_contain_text("내부 메모")
    expect(feed.nth(1)).to_contain_text(note)
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways ({width} px)"
    assert serious(tab, axe_source) == []
    assert fresh(IdeaNote, 1) is not None
    assert tab.script_errors == []
    tab.context.close()

    # The customer sees the answer, never the note.
    own = open_as(browser, live_server, customer, locale="ko-KR", size=PHONE)
    own.goto(f"/ideas/{idea.id}")
    expect(own.locator("main")).to_contain_text("담당 팀이 검토를 시작했어요")
    expect(own.locator("main")).not_to_contain_text("요금 팀 확인 필요")
    own.context.close()
