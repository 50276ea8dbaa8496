"""The main journeys of customers and staff, in a real Chromium against the live site."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from ideaboard.accounts.models import Role, User
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea, Vote
from ideaboard.outbox.delivery import deliver_due
from ideaboard.outbox.models import OutboxMessage
from tests.browser.helpers import DESKTOP, TIMEOUT_MS, LiveServer
from tests.helpers import PASSWORD

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect


def fresh(model: Any, ident: int) -> Any:
    """Read a row as the server last wrote it (the test's session may hold an old copy)."""
    db.session.rollback()  # end the test's transaction: its snapshot predates the server's writes
    return db.session.get(model, ident)


def contrast(first: str, second: str) -> float:
    """Return the WCAG contrast ratio of two CSS rgb()/rgba() colours."""

    def luminance(css: str) -> float:
        red, green, blue = (float(v) / 255 for v in re.findall(r"[\d.]+", css)[:3])
        linear = [
            c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def staff_page(browser: Any, live_server: LiveServer, staff: User) -> Any:
    """Open a second browser (context) logged in as staff, beside the customer's."""
    ctx = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="en-US")
    ctx.set_default_timeout(TIMEOUT_MS)
    tab = ctx.new_page()
    tab.goto("/login")
    tab.get_by_label("E-mail").fill(staff.email)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.locator("main form").get_by_role("button", name="Log in").click()
    tab.wait_for_url(lambda url: "/login" not in url)
    return tab


def change_stage(tab: Any, idea: Idea, stage: str, note: str) -> None:
    """As staff, move an idea to a stage with a public note through its staff page."""
    tab.goto(f"/staff/ideas/{idea.id}")
    tab.get_by_label("New stage").select_option(label=stage)
    tab.get_by_label("Public note").fill(note)
    tab.get_by_role("button", name="Publish the update").click()
    expect(tab.locator(".flash")).to_contain_text("The stage is changed")


def test_register_then_sign_in(page: Any, live_server: LiveServer) -> None:
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/register$"))
    page.get_by_label("E-mail").fill("jiwoo@example.com")
    page.get_by_label("Display name").fill("박지우")
    page.get_by_label("Password", exact=True).fill("a long password")
    page.get_by_label("Repeat the password").fill("a long password")
    page.get_by_role("button", name="Sign up").click()

    # The same neutral answer whether or not the address had an account: sign in next.
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator(".flash")).to_contain_text(
        "If this address was not registered yet, your account is ready: sign in."
    )
    page.get_by_label("E-mail").fill("jiwoo@example.com")
    page.get_by_label("Password").fill("a long password")
    page.locator("main form").get_by_role("button", name="Log in").click()

    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="박지우")).to_be_visible()
    expect(nav.get_by_role("button", name="Log out")).to_be_visible()
    assert db.session.scalar(select(User).where(User.email == "jiwoo@example.com")) is not None


def test_register_shows_errors_next_to_the_fields(page: Any, live_server: LiveServer) -> None:
    page.goto("/register")
    page.get_by_label("E-mail").fill("jiwoo@example.com")
    page.get_by_label("Display name").fill("Jiwoo")
    page.get_by_label("Password", exact=True).fill("a long password")
    page.get_by_label("Repeat the password").fill("another password")
    page.get_by_role("button", name="Sign up").click()

    confirm = page.get_by_label("Repeat the password")
    expect(confirm).to_have_attribute("aria-invalid", "true")
    expect(confirm).to_have_accessible_description(re.compile("The passwords differ"))


def test_submit_shows_similar_ideas_while_typing(
    page: Any,
    log_in: Callable[[User], None],
    make_user: Callable[..., User],
    make_idea: Callable[..., Idea],
) -> None:
    existing = make_idea(title="Roll over unused mobile data to next month")
    log_in(make_user())
    page.goto("/ideas/new")
    hint = page.locator("#similar")
    expect(hint).to_be_hidden()

    page.get_by_label("Title").press_sequentially("Unused data roll", delay=20)
    expect(hint).to_be_visible()
    expect(hint.get_by_role("link", name=existing.title)).to_have_attribute(
        "href", re.compile(rf"/ideas/{existing.id}$")
    )

    page.get_by_label("Title").fill("Unused data rollover for family plans")
    page.get_by_label("Description").fill("Share the data left over with **my family**.")
    page.get_by_role("button", name="Post my idea").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Unused data rollover for family plans"
    )
    expect(page.locator(".flash")).to_contain_text("Your idea is on the board")
    expect(page.locator(".idea-body strong")).to_have_text("my family")


def test_vote_without_reload(
    page: Any,
    live_server: LiveServer,
    log_in: Callable[[User], None],
    make_user: Callable[..., User],
    make_idea: Callable[..., Idea],
) -> None:
    idea = make_idea(title="Free Wi-Fi on the subway")
    voter = make_user()
    log_in(voter)
    page.goto("/")
    page.evaluate("window.__sameDocument = true")  # gone if the page is ever reloaded
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    card = page.locator(f"#idea-{idea.id}")
    up = card.get_by_role("button", name="Vote up")
    down = card.get_by_role("button", name="Vote down")
    score = card.locator("[data-score-value]")
    expect(card.locator("output.score")).to_have_attribute("aria-live", "polite")
    expect(score).to_have_text("0")
    expect(up).to_have_attribute("aria-pressed", "false")

    up.click()
    expect(score).to_have_text("1")
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(card.locator("[data-up]")).to_have_text("1")
    assert fresh(Idea, idea.id).score == 1

    down.click()  # change the vote
    expect(score).to_have_text("-1")
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(up).to_have_attribute("aria-pressed", "false")

    down.click()  # the second click on the same button withdraws it
    expect(score).to_have_text("0")
    expect(down).to_have_attribute("aria-pressed", "false")
    expect(up).to_have_attribute("aria-pressed", "false")
    assert fresh(Idea, idea.id).score == 0
    assert db.session.scalar(select(Vote).where(Vote.idea_id == idea.id)) is None

    assert page.evaluate("window.__sameDocument") is True
    assert navigations == []
    assert page.url == live_server("/")


def test_anonymous_vote_goes_to_login_and_back(
    page: Any, live_server: LiveServer, make_idea: Callable[..., Idea]
) -> None:
    idea = make_idea(title="Dark mode for the app")
    page.goto(f"/ideas/{idea.id}")
    page.get_by_role("button", name="Vote up").click()
    expect(page).to_have_url(re.compile(rf"/login\?next=%2Fideas%2F{idea.id}$"))


def test_comment_follow_and_notification(
    browser: Any,
    page: Any,
    live_server: LiveServer,
    log_in: Callable[[User], None],
    make_user: Callable[..., User],
    make_idea: Callable[..., Idea],
) -> None:
    idea = make_idea(title="Show the data left in the widget")
    customer = make_user(name="Lee Seoyeon")
    staff = make_user(Role.STAFF, name="Kim Gayoung", initials="KG")
    log_in(customer)
    page.goto(f"/ideas/{idea.id}")

    follow = page.get_by_role("button", name="Follow this idea")
    expect(follow).to_have_attribute("aria-pressed", "false")
    follow.click()
    expect(page.locator(".flash")).to_contain_text("You follow this idea")
    expect(page.get_by_role("button", name=re.compile("Following"))).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.get_by_text("2 followers")).to_be_visible()  # the author and this customer

    page.get_by_role("textbox", name="Comment").fill("Yes please — on the **lock screen** too.")
    page.get_by_role("button", name="Post comment").click()
    comment = page.locator(".comment-list .comment").last
    expect(comment).to_contain_text("Lee Seoyeon")
    expect(comment.locator("strong").last).to_have_text("lock screen")
    expect(page.get_by_role("heading", name="1 comment")).to_be_visible()

    staff_tab = staff_page(browser, live_server, staff)
    try:
        change_stage(staff_tab, idea, "Under Review", "The app team is looking at this.")
    finally:
        staff_tab.context.close()

    page.goto("/")
    badge = page.locator(".notif-link .count-badge")
    expect(badge).to_have_text("1")
    notifications = page.get_by_role("link", name=re.compile("Notifications"))
    expect(notifications).to_have_accessible_name("Notifications 1 unread")
    notifications.click()
    item = page.locator(".notification").first
    expect(item).to_contain_text("New status for")
    expect(item.locator(".stage-badge")).to_have_text("Under Review")
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.locator(".notif-link .count-badge")).to_have_count(0)

    item.get_by_role("link", name=idea.title).click()
    timeline = page.locator(".timeline-item").last
    expect(timeline).to_contain_text("The app team is looking at this.")
    expect(timeline).to_contain_text("Kim Gayoung (KG)")


def test_staff_inbox_stage_change_and_merge(
    page: Any,
    log_in: Callable[[User], None],
    make_user: Callable[..., User],
    make_idea: Callable[..., Idea],
) -> None:
    original = make_idea(title="Family data sharing plan")
    copy = make_idea(title="Share my data with my family")
    staff = make_user(Role.STAFF, name="Kim Gayoung", initials="KG")
    log_in(staff)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Staff").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff inbox")
    rows = page.locator(".staff-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(original.title)  # oldest first

    page.get_by_role("link", name=f"#{original.id} {original.title}").click()
    page.get_by_label("New stage").select_option(label="Planned")
    page.get_by_label("Public note").fill("Planned for the **autumn** release.")
    page.get_by_role("button", name="Publish the update").click()
    expect(page.locator(".flash")).to_contain_text("The stage is changed")
    expect(page.locator(".meta .stage-badge").first).to_have_text("Planned")

    page.get_by_role("link", name="Public page").click()
    entry = page.locator(".timeline-item").last
    expect(entry.locator(".stage-badge")).to_have_text("Planned")
    expect(entry.locator("strong")).to_have_text("autumn")
    expect(entry).to_contain_text("Kim Gayoung (KG)")

    page.goto("/staff/")
    expect(rows).to_have_count(1)  # answered ideas leave the queue
    page.get_by_role("link", name=f"#{copy.id} {copy.title}").click()
    merge = page.locator(".card", has=page.get_by_role("heading", name="Merge into another idea"))
    merge.get_by_label("Merge into idea number").fill(str(original.id))
    merge.get_by_role("button", name="Merge").click()
    expect(page.locator(".flash")).to_contain_text("The ideas are merged")
    expect(page.locator("main > p.meta")).to_contain_text(f"merged into #{original.id}")
    assert fresh(Idea, copy.id).merged_into_id == original.id


def test_sandbox_mention_becomes_an_idea_and_gets_a_reply(
    browser: Any,
    page: Any,
    live_server: LiveServer,
    make_user: Callable[..., User],
) -> None:
    staff = make_user(Role.STAFF, name="Kim Gayoung", initials="KG")
    page.goto("/x-sandbox/sandbox/")
    page.get_by_label("Customer handle").fill("minji_kim")
    text = "@hanbit 지하철에서도 와이파이가 끊기지 않으면 좋겠어요 #아이디어"
    page.get_by_label("Post text").fill(text)
    page.get_by_role("button", name="Post as customer").click()
    expect(page.locator(".post").first).to_contain_text("와이파이가 끊기지")

    result = live_server.app.test_cli_runner().invoke(args=["ideaboard", "import-mentions"])
    assert result.exit_code == 0, result.output
    assert "imported 1" in result.output

    page.goto("/")
    card = page.locator(".idea-card", has_text="지하철에서도 와이파이가 끊기지 않으면 좋겠어요")
    expect(card).to_have_count(1)
    expect(card.locator(".source-x")).to_contain_text("@minji_kim")
    idea_id = int((card.get_attribute("id") or "").removeprefix("idea-"))

    staff_tab = staff_page(browser, live_server, staff)
    try:
        change_stage(staff_tab, fresh(Idea, idea_id), "Planned", "내년 상반기에 적용할 계획입니다.")
    finally:
        staff_tab.context.close()

    db.session.rollback()  # no stale read transaction in the way of the job's writes
    delivered = deliver_due(worker="browser-test")
    assert delivered.sent >= 2, delivered  # the acknowledgement and the stage reply
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.idea_id == idea_id))
    assert {row.state for row in rows} == {"sent"}

    page.goto("/x-sandbox/sandbox/")
    thread = page.locator(".post.brand")
    expect(thread.filter(has_text="[계획됨]")).to_have_count(1)
    reply = thread.filter(has_text="[계획됨]")
    expect(reply).to_contain_text("^KG")
    expect(reply).to_contain_text("내년 상반기에 적용할 계획입니다.")  # the note, not the link

    page.goto(f"/ideas/{idea_id}")
    expect(page.get_by_role("link", name="Our reply on X")).to_be_visible()


def test_phone_sized_pages_do_not_scroll_sideways(
    context: Any,
    page: Any,
    log_in: Callable[[User], None],
    make_user: Callable[..., User],
    make_idea: Callable[..., Idea],
) -> None:
    author = make_user(name="A very long display name that goes on and on")
    idea = make_idea(
        author,
        title="데이터 이월 서비스를 가족 요금제에도 적용해 주세요 " + "아주긴단어" * 8,
        body="See https://example.com/" + "a-very-long-path-segment/" * 6,
    )
    for n in range(3):
        make_idea(author, title=f"Another idea about roaming number {n}")
    log_in(make_user(name="Customer with a long name"))
    page.set_viewport_size({"width": 360, "height": 740})
    for path in ("/", f"/ideas/{idea.id}", "/ideas/new", "/stats", "/notifications"):
        page.goto(path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 360px wide"
    page.goto("/")
    up = page.locator(f"#idea-{idea.id}").get_by_role("button", name="Vote up")
    box = up.bounding_box()
    assert box is not None
    assert min(box["width"], box["height"]) >= 24  # a finger's target (WCAG 2.5.8)


def test_keyboard_skip_link_and_visible_focus(
    page: Any,
    log_in: Callable[[User], None],
    make_user: Callable[..., User],
    make_idea: Callable[..., Idea],
) -> None:
    idea = make_idea(title="Keyboard shortcuts on the board")
    log_in(make_user())
    page.goto("/")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None
    assert box["x"] >= 0, "the skip link shows when focused"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    up = page.locator(f"#idea-{idea.id}").get_by_role("button", name="Vote up")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('.vote-up')"):
            break
    expect(up).to_be_focused()
    outline = up.evaluate(
        "el => { const s = getComputedStyle(el);"
        " return {style: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor};"
        " }"
    )
    assert outline["style"] != "none", outline
    assert outline["width"] >= 2, outline
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert contrast(outline["color"], background) >= 3, (outline, background)  # WCAG 1.4.11

    page.keyboard.press("Enter")  # vote from the keyboard
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(up).to_be_focused()
