"""Staff see why a form was refused, and a refusal never costs them the rest of the page.

Issue 16: on the workflow page a bad colour was refused with no message in sight and every
other stage came back with "Open" and "Public" unticked; a bulk change that moved nothing said
"0 ideas moved." in green.

Marked sqlite_only: the journey checks the pages' markup and messages, which do not depend on
the database (the rules and the stored rows are unit-tested on both databases in tests/triage).
"""

from __future__ import annotations

from typing import Any

import pytest

from ideaboard.triage.services import find_stage
from tests.browser.helpers import DESKTOP, FAIL_ON, TIMEOUT_MS, LiveServer, axe_violations
from tests.helpers import PASSWORD

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

pytestmark = pytest.mark.sqlite_only

PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize(
    ("viewport", "locale", "nothing_moved"),
    [
        (DESKTOP, "en-US", "Nothing was moved"),
        (PHONE, "ko-KR", "옮긴 아이디어가 없습니다"),
    ],
    ids=["desktop-en", "phone-ko"],
)
def test_refusals_are_explained_and_keep_the_other_forms(
    browser: Any,
    live_server: LiveServer,
    make_user,
    make_idea,
    axe_source: str,
    viewport: dict[str, int],
    locale: str,
    nothing_moved: str,
) -> None:
    admin = make_user("admin")
    idea = make_idea(title="Let me pause my plan while I travel")
    review, planned = find_stage("under-review"), find_stage("planned")
    ctx = browser.new_context(base_url=live_server.url, viewport=viewport, locale=locale)
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    try:
        page.goto("/login")
        page.locator("input[name=email]").fill(admin.email)
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/login" not in url)

        # A bad colour: the message at the top links to the form, the error sits by the field.
        page.goto("/staff/workflow")
        stage_form = page.locator(f"#stage-{review.id}")
        stage_form.locator(f"#s{review.id}-color").fill("#12345g")
        stage_form.locator(f"#s{review.id}-name").fill("Looking at it")
        stage_form.locator("button[type=submit]").click()
        alert = page.locator("main > p[role=alert]")
        expect(alert).to_be_visible()
        expect(page.locator(f"#s{review.id}-color-error")).to_be_visible()
        expect(page.locator(f"#s{review.id}-name")).to_have_value("Looking at it")
        # Every other stage keeps its stored boxes: saving one now changes nothing else.
        expect(page.locator(f"#s{planned.id}-is_open")).to_be_checked()
        expect(page.locator(f"#s{planned.id}-is_public")).to_be_checked()
        alert.locator("a").click()
        expect(page).to_have_url(
            f"{live_server.url}/staff/workflow/stages/{review.id}#stage-{review.id}"
        )
        expect(stage_form).to_be_in_viewport()
        serious = [v for v in axe_violations(page, axe_source) if v["impact"] in FAIL_ON]
        assert not serious, serious
        page.locator(f"#stage-{planned.id} button[type=submit]").click()
        expect(page.locator(".flash-success")).to_be_visible()
        expect(page.locator(f"#s{planned.id}-is_open")).to_be_checked()
        expect(page.locator(f"#s{planned.id}-is_public")).to_be_checked()

        # A bulk change that moves nothing is a warning that says so, not a green "0 moved".
        page.goto("/staff/")
        page.locator(f"#pick-{idea.id}").check()
        page.locator("#bulk select").select_option(value="new")
        page.locator("#bulk textarea").fill("Still new")
        page.locator("#bulk button[type=submit]:not([formaction])").click()  # not "assign"
        warning = page.locator(".flash-warning")
        expect(warning).to_contain_text(nothing_moved)
        expect(page.locator(".flash-success")).to_have_count(0)
        serious = [v for v in axe_violations(page, axe_source) if v["impact"] in FAIL_ON]
        assert not serious, serious
    finally:
        ctx.close()
