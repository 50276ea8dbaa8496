"""Customers manage their own things, in a real Chromium: edit and delete an idea and a
comment (desktop in English, a 390 px phone in Korean), a rate-limited form keeps its text,
the back button shows no stale vote, and a hidden idea tells its author why.

All marked sqlite_only: the markup and the browser's behaviour do not depend on the
database; the rules' queries are unit-tested on both (tests/ideas/test_own_content.py).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from ideaboard.accounts.models import Role, User
from ideaboard.extensions import db
from ideaboard.triage import services as triage
from tests.browser.helpers import DESKTOP, FAIL_ON, TIMEOUT_MS, LiveServer, axe_violations
from tests.helpers import PASSWORD

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

pytestmark = pytest.mark.sqlite_only  # browser behaviour; the queries run on both databases

PHONE = {"width": 390, "height": 844}
RATE_LIMITED_TEST = "test_a_rate_limited_idea_keeps_its_text"

TEXTS = {
    "en": {
        "edit_idea": "Edit my idea",
        "save": "Save changes",
        "edited": "edited — see earlier versions",
        "earlier": "Earlier versions",
        "post_comment": "Post comment",
        "edit": "Edit",
        "delete": "Delete",
        "yes": "Yes, delete it",
        "placeholder": "Comment deleted by its author",
        "comment_edited": "edited",
        "delete_idea": "Delete my idea",
        "deleted": "Your idea is deleted.",
    },
    "ko": {
        "edit_idea": "내 아이디어 수정",
        "save": "변경 내용 저장",
        "edited": "수정됨 — 이전 버전 보기",
        "earlier": "이전 버전",
        "post_comment": "댓글 달기",
        "edit": "수정",
        "delete": "삭제",
        "yes": "네, 삭제할게요",
        "placeholder": "작성자가 삭제한 댓글입니다",
        "comment_edited": "수정됨",
        "delete_idea": "내 아이디어 삭제",
        "deleted": "아이디어를 삭제했어요.",
    },
}


@pytest.fixture
def app_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Only the rate-limit test's app limits anything (one idea a minute)."""
    if request.function.__name__ == RATE_LIMITED_TEST:
        return {"RATELIMIT_ENABLED": True, "IDEABOARD_LIMIT_SUBMIT": "1 per minute"}
    return {}


def _sign_in(page: Any, user: User) -> None:
    """Log in through the form in any language (by field names, not labels)."""
    page.goto("/login")
    page.locator("input[name=email]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


def _assert_accessible(page: Any, axe_source: str, where: str) -> None:
    serious = [v for v in axe_violations(page, axe_source) if v["impact"] in FAIL_ON]
    assert not serious, f"{where}: {serious}"


@pytest.mark.parametrize(
    ("lang", "viewport"), [("en", DESKTOP), ("ko", PHONE)], ids=["desktop-en", "phone-ko"]
)
def test_edit_and_delete_my_idea_and_my_comment(
    browser: Any,
    live_server: LiveServer,
    make_user: Any,
    make_idea: Any,
    axe_source: str,
    lang: str,
    viewport: dict[str, int],
) -> None:
    t = TEXTS[lang]
    author = make_user(name="Park Minji", locale=lang)
    idea = make_idea(author, title="Dark mode for the app", body="At night, please.")
    context = browser.new_context(
        base_url=live_server.url, viewport=viewport, locale="ko-KR" if lang == "ko" else "en-US"
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        _sign_in(page, author)
        page.goto(f"/ideas/{idea.id}")

        # Edit the idea; the page then says "edited" and links the earlier versions.
        page.get_by_role("link", name=t["edit_idea"]).click()
        expect(page.locator("input[name=title]")).to_have_value("Dark mode for the app")
        _assert_accessible(page, axe_source, "edit idea")
        page.locator("input[name=title]").fill("Dark mode for the app and the site")
        page.get_by_role("button", name=t["save"]).click()
        expect(page.locator("h1")).to_have_text("Dark mode for the app and the site")
        page.get_by_role("link", name=t["edited"]).click()
        expect(page.locator("h1")).to_have_text(t["earlier"])
        expect(page.locator(".revision-title")).to_have_text(
            ["Dark mode for the app and the site", "Dark mode for the app"]
        )
        page.go_back()

        # Comment, edit it ("edited"), delete it (a placeholder stays).
        page.locator("textarea[name=body]").fill("Also on the tablet, please.")
        page.get_by_role("button", name=t["post_comment"]).click()
        comment = page.locator(".comment").first
        comment.get_by_role("link", name=t["edit"]).click()
        _assert_accessible(page, axe_source, "edit comment")
        page.locator("textarea[name=body]").fill("Also on the tablet and the TV, please.")
        page.get_by_role("button", name=t["save"]).click()
        expect(comment.locator(".prose")).to_have_text("Also on the tablet and the TV, please.")
        expect(comment.locator(".edited-mark")).to_have_text(t["comment_edited"])
        comment.get_by_role("link", name=t["delete"]).click()
        _assert_accessible(page, axe_source, "delete comment")
        page.get_by_role("button", name=t["yes"]).click()
        expect(page.locator(".comment").first).to_have_text(t["placeholder"])
        expect(page.get_by_text("Also on the tablet")).to_have_count(0)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= viewport["width"], f"the idea page scrolls sideways: {scroll}px"

        # Delete the idea, after the confirmation page.
        page.get_by_role("link", name=t["delete_idea"]).click()
        _assert_accessible(page, axe_source, "delete idea")
        page.get_by_role("button", name=t["yes"]).click()
        expect(page.get_by_text(t["deleted"])).to_be_visible()
        assert page.goto(f"/ideas/{idea.id}").status == 404
    finally:
        context.close()


def test_a_rate_limited_idea_keeps_its_text(
    page: Any, live_server: LiveServer, make_user: Any
) -> None:
    _sign_in(page, make_user())
    page.goto("/ideas/new")
    page.get_by_label("Title").fill("My first idea of the day")
    page.get_by_role("button", name="Post my idea").click()
    expect(page.locator("h1")).to_have_text("My first idea of the day")

    page.goto("/ideas/new")
    page.get_by_label("Title").fill("A second idea typed with care")
    page.get_by_label("Description").fill("Three paragraphs\n\nof careful text")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Post my idea").click()
    response = answer.value
    assert response.status == 429
    assert 1 <= int(response.headers["retry-after"]) <= 60
    expect(page.get_by_role("alert")).to_contain_text("Your text is kept")
    expect(page.get_by_label("Title")).to_have_value("A second idea typed with care")
    expect(page.get_by_label("Description")).to_have_value("Three paragraphs\n\nof careful text")


@pytest.fixture
def real_browser(browser: Any) -> Any:
    """A Chromium with the back/forward cache on, as people's browsers have it (Playwright
    switches it off by default, which would hide the stale page this test is about)."""
    launched = browser.browser_type.launch(
        executable_path=os.environ.get("IDEABOARD_CHROMIUM", "/usr/bin/chromium"),
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        headless=True,
        ignore_default_args=["--disable-back-forward-cache"],
    )
    yield launched
    launched.close()


def test_going_back_after_withdrawing_a_vote_shows_no_vote(
    real_browser: Any, live_server: LiveServer, make_user: Any, make_idea: Any
) -> None:
    idea = make_idea(title="Cheaper roaming in Japan")
    context = real_browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        _sign_in(page, make_user())
        page.goto("/")
        card_vote = page.locator(f"form[action='/ideas/{idea.id}/vote'] .vote-up")
        card_vote.click()
        expect(card_vote).to_have_attribute("aria-pressed", "true")

        page.get_by_role("link", name="Cheaper roaming in Japan").click()
        idea_vote = page.locator(".idea-head .vote-up")
        expect(idea_vote).to_have_attribute("aria-pressed", "true")
        idea_vote.click()  # withdraw
        expect(idea_vote).to_have_attribute("aria-pressed", "false")

        page.go_back(wait_until="commit")  # a page from the back/forward cache fires no load
        expect(page).to_have_url(live_server("/"))
        expect(card_vote).to_have_attribute("aria-pressed", "false")
        score = page.locator(f"form[action='/ideas/{idea.id}/vote'] [data-score-value]")
        expect(score).to_have_text("0")
    finally:
        context.close()


def test_a_hidden_idea_tells_its_author_why(
    browser: Any, live_server: LiveServer, make_user: Any, make_idea: Any, axe_source: str
) -> None:
    author = make_user(locale="ko")
    idea = make_idea(author, title="Watches at half price")
    triage.hide_idea(idea, make_user(Role.STAFF), "광고로 보여요")
    db.session.commit()
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="ko-KR")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        assert page.goto(f"/ideas/{idea.id}").status == 404  # not signed in
        _sign_in(page, author)
        assert page.goto(f"/ideas/{idea.id}").status == 200
        notice = page.locator(".hidden-notice")
        expect(notice).to_contain_text("운영자가 이 아이디어를 숨겼어요.")
        expect(notice).to_contain_text("사유: 광고로 보여요")
        expect(notice).to_contain_text("나와 저희 팀만 볼 수 있고")
        _assert_accessible(page, axe_source, "hidden idea")
    finally:
        context.close()
