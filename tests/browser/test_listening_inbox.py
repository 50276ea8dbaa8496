"""The listening inbox in Chromium: staff find it from the staff inbox, see Korean mentions
classified with why, reply to one (it leaves the open queue), dismiss one, route one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.listening.classify import classify
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social.models import MentionLog, SocialAccount
from ideaboard.triage import services
from ideaboard.triage.models import Team
from tests.browser.helpers import FAIL_ON, LiveServer, axe_violations, enhanced
from tests.helpers import PASSWORD, UserBuilder

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

MENTIONS = [  # (handle, text, minutes ago)
    ("seoyeon_k", "@hanbit 요금제 변경은 어디서 하나요?", 30),
    ("dohyun_p", "@hanbit 인터넷이 또 끊겼어요…", 20),
    ("haneul_j", "@hanbit 좋은 아침! 오늘도 화이팅", 10),
    ("jamie_r", "@hanbit My bill doubled this month, I was charged twice", 5),
]


def _seed() -> dict[str, int]:
    account = SocialAccount(network="x", remote_user_id="1500000000000000001", username="hanbit")
    db.session.add(account)
    db.session.flush()
    ids = {}
    for n, (handle, text, minutes) in enumerate(MENTIONS):
        at = utcnow() - timedelta(minutes=minutes)
        entry = MentionLog(
            account_id=account.id,
            post_id=str(1865300000000000000 + n),
            author_handle=handle,
            author_remote_id=f"id-{handle}",
            text=text,
            posted_at=at,
            fetched_at=at,
            outcome="skipped",
            reason="no idea tag",
            post_url=f"https://x.com/{handle}/status/{1865300000000000000 + n}",
            lang="ko",
            label=classify(text).label,
            inbox_state="open",
        )
        db.session.add(entry)
        db.session.flush()
        ids[handle] = entry.id
    db.session.commit()
    return ids


# The markup does not depend on the database; the actions' rules are tested on both
# (tests/listening/test_inbox.py).
@pytest.mark.sqlite_only
def test_staff_answer_dismiss_and_route_mentions_in_the_listening_inbox(
    page: Any, live_server: LiveServer, axe_source: str, make_user: UserBuilder
) -> None:
    ids = _seed()
    staff = make_user("staff", name="Kim Gyu", email="kg@example.com", initials="KG")
    team = db.session.scalars(select(Team).order_by(Team.position, Team.id)).first()
    assert team is not None
    team_name = team.name

    page.goto("/login")
    page.get_by_label("E-mail").fill(staff.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main form").get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto("/staff/")
    link = page.locator('a[data-queue="listening"]')
    expect(link).to_contain_text("4")
    link.click()
    expect(page.get_by_role("heading", name="Listening inbox")).to_be_visible()

    question = page.locator(f"#mention-{ids['seoyeon_k']}")
    complaint = page.locator(f"#mention-{ids['dohyun_p']}")
    greeting = page.locator(f"#mention-{ids['haneul_j']}")
    billing = page.locator(f"#mention-{ids['jamie_r']}")
    expect(question.locator(".listening-class")).to_contain_text("Question")
    expect(question.locator(".listening-why")).to_contain_text("question.ko.where")
    expect(complaint.locator(".listening-class")).to_contain_text("Complaint")
    expect(complaint.locator(".listening-why")).to_contain_text("complaint.ko.disconnected")
    expect(question.get_by_role("link", name="@seoyeon_k")).to_have_attribute(
        "href", "https://x.com/seoyeon_k/status/1865300000000000000"
    )
    violations = axe_violations(page, axe_source)
    assert [v["id"] for v in violations if v["impact"] in FAIL_ON] == []

    # A reply too long for X (Korean weighs 2) is refused and kept; a shorter one goes.
    enhanced(page)
    question.get_by_label("Reply on X").fill("가" * 139)
    question.get_by_role("button", name="Send reply").click()
    expect(page.locator(f"#mention-{ids['seoyeon_k']}-error")).to_contain_text(
        "282 of 280 weighted characters"
    )
    question = page.locator(f"#mention-{ids['seoyeon_k']}")
    expect(question.get_by_label("Reply on X")).to_have_value("가" * 139)
    question.get_by_label("Reply on X").fill("마이페이지 > 요금제에서 바꾸실 수 있어요.")
    question.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Reply queued")).to_be_visible()
    expect(page.locator(f"#mention-{ids['seoyeon_k']}")).to_have_count(0)  # left the queue

    greeting.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_text("Dismissed.")).to_be_visible()
    expect(page.locator(f"#mention-{ids['haneul_j']}")).to_have_count(0)

    billing.get_by_label("Team").select_option(label=team_name)
    billing.get_by_role("button", name="Route").click()
    expect(page.get_by_text(f"Routed to {team_name}.")).to_be_visible()
    expect(page.locator(f"#mention-{ids['jamie_r']}")).to_have_count(0)

    # Each handled one is in its state's queue; the routed one in its team's filter.
    page.locator('nav a[data-state="replied"]').click()
    expect(page.locator(f"#mention-{ids['seoyeon_k']}")).to_contain_text("Replied")
    page.locator('nav a[data-state="routed"]').click()
    page.locator("#filter-team").select_option(label=team_name)
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(f"#mention-{ids['jamie_r']}")).to_contain_text(team_name)
    expect(page.locator(".listening-row")).to_have_count(1)

    db.session.rollback()  # a fresh read: the server's commits are after this test's snapshot
    (row,) = db.session.scalars(select(OutboxMessage))
    assert row.text == "마이페이지 > 요금제에서 바꾸실 수 있어요. ^KG"
    assert row.kind == "x_reply"


PLAN_KO = "마이페이지 > 요금제 변경에서 바로 바꾸실 수 있어요."


def _log_in(tab: Any, email: str) -> None:
    tab.goto("/login")
    tab.get_by_label("E-mail").fill(email)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.locator("main form").get_by_role("button", name="Log in").click()
    tab.wait_for_url(lambda url: "/login" not in url)


@pytest.mark.sqlite_only
def test_staff_answer_a_mention_with_a_saved_reply_with_and_without_javascript(
    page: Any,
    browser: Any,
    live_server: LiveServer,
    axe_source: str,
    make_user: UserBuilder,
) -> None:
    ids = _seed()
    staff = make_user("staff", name="Kim Gyu", email="kg@example.com", initials="KG")
    plan = services.add_saved_reply(staff, title="요금제 변경", body=PLAN_KO, lang="ko")
    services.add_saved_reply(staff, title="Change of plan", body="See My page > Plan.", lang="en")
    db.session.commit()
    plan_id = str(plan.id)

    _log_in(page, staff.email)
    page.goto("/staff/listening")
    question = page.locator(f"#mention-{ids['seoyeon_k']}")
    enhanced(page)
    picker = question.get_by_label("Saved reply")
    expect(picker).to_have_value(plan_id)  # the mention is Korean: Korean replies first
    question.get_by_role("button", name="Insert").click()
    expect(question.get_by_label("Reply on X")).to_have_value(PLAN_KO)
    assert "reply=" not in page.url  # inserted in place, not by reloading
    violations = axe_violations(page, axe_source)
    assert [v["id"] for v in violations if v["impact"] in FAIL_ON] == []
    question.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Reply queued")).to_be_visible()
    expect(page.locator(f"#mention-{ids['seoyeon_k']}")).to_have_count(0)

    db.session.rollback()  # a fresh read: the server's commits are after this test's snapshot
    (row,) = db.session.scalars(select(OutboxMessage))
    assert row.text == f"{PLAN_KO} ^KG"
    assert row.target == str(1865300000000000000)

    # Without JavaScript the picker reloads the inbox with that row's box filled.
    plain = browser.new_context(base_url=live_server.url, locale="en-US", java_script_enabled=False)
    try:
        tab = plain.new_page()
        _log_in(tab, staff.email)
        tab.goto("/staff/listening")
        complaint = tab.locator(f"#mention-{ids['dohyun_p']}")
        complaint.get_by_label("Saved reply").select_option(plan_id)
        complaint.get_by_role("button", name="Insert").click()
        tab.wait_for_url(lambda url: f"mention={ids['dohyun_p']}" in url)
        complaint = tab.locator(f"#mention-{ids['dohyun_p']}")
        expect(complaint.get_by_label("Reply on X")).to_have_value(PLAN_KO)
        expect(tab.locator(f"#mention-{ids['jamie_r']}").get_by_label("Reply on X")).to_have_value(
            ""
        )
        complaint.get_by_role("button", name="Send reply").click()
        expect(tab.get_by_text("Reply queued")).to_be_visible()
        assert "reply=" not in tab.url
    finally:
        plain.close()

    db.session.rollback()
    rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [(r.target, r.text) for r in rows] == [
        (str(1865300000000000000), f"{PLAN_KO} ^KG"),
        (str(1865300000000000001), f"{PLAN_KO} ^KG"),
    ]
