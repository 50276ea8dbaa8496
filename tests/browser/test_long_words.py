"""Long unbroken words never widen a page, and the stats chart reads on a phone (issue 16).

One title of 140 × "A" (or a long URL) used to widen the staff inbox table to 2,240 px; the
stats chart's date labels shrank to ~5 px on a phone and overlapped in Korean.

Marked sqlite_only: what is measured is the markup and the CSS, which do not depend on the
database (the queries behind these pages are unit-tested on both databases).
"""

from __future__ import annotations

from typing import Any

import pytest

from ideaboard.extensions import db
from ideaboard.ideas import services as idea_services
from ideaboard.outbox.models import OutboxMessage
from ideaboard.triage.services import change_stage, find_stage
from tests.browser.helpers import DESKTOP, FAIL_ON, TIMEOUT_MS, LiveServer, axe_violations
from tests.helpers import PASSWORD

pytestmark = pytest.mark.sqlite_only

PHONE = {"width": 390, "height": 844}
LONG_URL = "https://example.com/" + "x" * 280
LONG_NAME = "Hubert" + "Wolfeschlegelsteinhausenbergerdorff" * 2  # 76 letters, no space
LONG_WORD = "B" * 300

# Labels of the chart: their boxes, font size and whether they are shown.
CHART_LABELS = """() => [...document.querySelectorAll('.stats-chart-x li, .stats-chart-y span')]
  .filter((el) => getComputedStyle(el).visibility !== 'hidden')
  .map((el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const box = range.getBoundingClientRect();  // the text itself, not its grid cell
    return {text: el.textContent, size: parseFloat(getComputedStyle(el).fontSize),
            left: box.left, right: box.right, top: box.top, bottom: box.bottom};
  })"""


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and b["top"] < a["bottom"]
    )


@pytest.fixture
def long_board(make_user, make_idea) -> dict[str, Any]:
    admin = make_user("admin", name=LONG_NAME, email="admin" + "x" * 50 + "@example.com")
    customer = make_user(name="Z" * 80)
    long_title = make_idea(
        customer, title="A" * 140, body=f"See {LONG_URL} and {LONG_WORD} for details."
    )
    url_title = make_idea(admin, title=LONG_URL[:140], body=LONG_WORD)
    imported = make_idea(title="Imported from X with a long name")
    imported.source = "x"
    imported.source_author_handle = "h" * 15
    imported.source_author_name = "N" * 80
    idea_services.add_comment(customer, long_title, f"{LONG_WORD} {LONG_URL}")
    change_stage(
        long_title, find_stage("launched"), f"Shipped: {LONG_URL} {LONG_WORD}", admin,
        check_workflow=False,
    )  # fmt: skip
    db.session.add(
        OutboxMessage(
            kind="webhook", state="dead", dedupe_key="long-words", target=LONG_URL[:500],
            text="T" * 400, last_error="E" * 300, idea_id=long_title.id,
        )
    )  # fmt: skip
    db.session.commit()
    return {"admin": admin, "ideas": [long_title, url_title, imported]}


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_no_page_scrolls_sideways_and_the_chart_labels_are_readable(
    browser: Any, live_server: LiveServer, long_board: dict[str, Any], axe_source: str, locale: str
) -> None:
    long_title, url_title, imported = long_board["ideas"]
    ctx = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale=locale)
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    try:
        page.goto("/login")
        page.locator("input[name=email]").fill(long_board["admin"].email)
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/login" not in url)
        paths = [
            "/", "/?sort=new", f"/ideas/{long_title.id}", f"/ideas/{url_title.id}",
            f"/ideas/{imported.id}", "/staff/", f"/staff/ideas/{long_title.id}",
            "/staff/outbox", "/staff/accounts", "/stats", "/ideas-in-action", "/me",
            "/staff/workflow",
        ]  # fmt: skip
        too_wide = []
        for viewport in (DESKTOP, PHONE):
            page.set_viewport_size(viewport)
            for path in paths:
                page.goto(path)
                width, client = page.evaluate(
                    "() => [document.documentElement.scrollWidth,"
                    " document.documentElement.clientWidth]"
                )
                if width > client:
                    too_wide.append(f"{path} at {viewport['width']} px: {width} > {client}")
            assert not too_wide, "\n".join(too_wide)
            # The chart at this size: readable labels that do not overlap.
            page.goto("/stats")
            labels = page.evaluate(CHART_LABELS)
            dates = [label for label in labels if "/" in label["text"] or "." in label["text"]
                     or any(c.isalpha() for c in label["text"])]  # fmt: skip
            assert len(dates) >= (6 if viewport is DESKTOP else 3), labels
            assert all(label["size"] >= 12 for label in labels), labels
            for n, a in enumerate(labels):
                for b in labels[n + 1 :]:
                    assert not _overlap(a, b), (viewport, a, b)
        assert not too_wide, "\n".join(too_wide)
        serious = [v for v in axe_violations(page, axe_source) if v["impact"] in FAIL_ON]
        assert not serious, serious
    finally:
        ctx.close()
