"""axe-core (from npm) in Chromium on the main pages: no serious or critical violation.

One test visits every page, as a visitor, a customer and staff, on the demo board (so stage
badges of every colour, Korean and English text, X-sourced ideas and timelines are all
there), and reports every violation it found at once. Moderate and minor findings are
printed, not failed.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from ideaboard.accounts.models import User
from ideaboard.demo import DEMO_PASSWORD, load_demo
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea, Source
from ideaboard.triage.models import Stage
from tests.browser.helpers import DESKTOP, FAIL_ON, TIMEOUT_MS, LiveServer, axe_violations


def demo_board() -> dict[str, Any]:
    """Load the demo board; return the ideas and users the pages are checked with."""
    load_demo()
    db.session.commit()
    launched = db.session.scalar(
        select(Idea)
        .join(Stage, Idea.stage_id == Stage.id)
        .where(Stage.slug == "launched", Idea.source == Source.X.value)
        .order_by(Idea.id)
        .limit(1)
    ) or db.session.scalar(select(Idea).order_by(Idea.id).limit(1))
    staff = db.session.scalar(select(User).where(User.email == "staff@example.com"))
    customer = db.session.scalar(select(User).where(User.email == "minji.kim@example.com"))
    admin = db.session.scalar(select(User).where(User.email == "admin@example.com"))
    assert launched is not None
    assert staff is not None
    assert customer is not None
    assert admin is not None
    return {"idea": launched.id, "staff": staff, "customer": customer, "admin": admin}


# The markup is what is checked here, and it does not depend on the database; the pages'
# queries run on both databases in tests/ideas, tests/triage and tests/insights. One run keeps
# `make test` well under its 20 minutes.
@pytest.mark.sqlite_only
def test_main_pages_have_no_serious_axe_violations(
    browser: Any, live_server: LiveServer, axe_source: str
) -> None:
    board = demo_board()
    idea = board["idea"]
    checked: list[str] = []
    found: list[str] = []
    minor: list[str] = []

    def check(page: Any, label: str) -> None:
        checked.append(label)
        for v in axe_violations(page, axe_source):
            line = f"{label}: [{v['impact']}] {v['id']} — {v['help']}\n    " + "\n    ".join(
                v["nodes"]
            )
            (found if v["impact"] in FAIL_ON else minor).append(line)

    def visit(page: Any, paths: list[str], who: str) -> None:
        for path in paths:
            response = page.goto(path)
            assert response is not None
            assert response.status == 200, f"{who} {path}: {response.status}"
            check(page, f"{who} {path}")

    def session(locale: str = "en-US", user: User | None = None) -> Any:
        ctx = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale=locale)
        ctx.set_default_timeout(TIMEOUT_MS)
        page = ctx.new_page()
        if user is not None:
            page.goto("/login")
            page.locator("input[name=email]").fill(user.email)
            page.locator("input[name=password]").fill(DEMO_PASSWORD)
            page.locator("main form button[type=submit]").click()
            page.wait_for_url(lambda url: "/login" not in url)
        return page

    visitor = session()
    visit(
        visitor,
        ["/", f"/ideas/{idea}", "/login", "/register", "/stats", "/ideas-in-action"],
        "visitor",
    )
    visitor.goto("/register")
    visitor.locator("main form button[type=submit]").click()  # sent empty: errors shown
    check(visitor, "visitor /register (with errors)")
    visitor.context.close()

    korean = session("ko-KR")
    visit(korean, ["/", f"/ideas/{idea}", "/stats"], "visitor (ko)")
    korean.context.close()

    customer = session(user=board["customer"])  # the demo customer reads Korean
    visit(customer, ["/", f"/ideas/{idea}", "/notifications", "/me"], "customer")
    customer.goto("/ideas/new")
    customer.locator("input[name=title]").press_sequentially("데이터 이월", delay=20)
    customer.locator("#similar").wait_for(state="visible")
    check(customer, "customer /ideas/new (similar ideas shown)")
    customer.context.close()

    staff = session(user=board["staff"])
    visit(
        staff,
        ["/staff/", f"/staff/ideas/{idea}", "/staff/outbox", "/staff/accounts"],
        "staff",
    )
    staff.context.close()

    admin = session(user=board["admin"])
    visit(admin, ["/staff/workflow", "/staff/reply-templates/", "/staff/webhooks"], "admin")
    admin.context.close()

    print(f"axe checked {len(checked)} pages; moderate/minor findings: {len(minor)}")
    for line in minor:
        print(line)
    assert not found, f"{len(found)} serious or critical axe violations:\n" + "\n".join(found)
