"""Browser test helpers: the window size, the wait limit, the live server's address, axe."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask

DESKTOP = {"width": 1200, "height": 900}
# Playwright's default wait is 30 s; a page of this app answers in milliseconds.
TIMEOUT_MS = 10_000


@dataclass
class LiveServer:
    """The app served on a loopback port; call it with a path for a full URL."""

    url: str
    app: Flask

    def __call__(self, path: str = "/") -> str:
        return self.url + path


def enhanced(tab: Any) -> None:
    """Wait until static/js/app.js has set up the page it is on.

    The script runs deferred. After a form posts and the next page shows its flash, the
    script may still be loading: a field typed into then has no listener yet (the merge
    autocomplete stayed empty and the saved-reply picker fell back to reloading the page,
    once each under `make test`). Call this after such a navigation, once something on the
    new page has been seen, and before using what the script adds."""
    from playwright.sync_api import expect

    expect(tab.locator("html[data-enhanced]")).to_be_attached(timeout=TIMEOUT_MS)


# axe-core: the impacts that fail a test (moderate and minor ones are printed).
FAIL_ON = ("serious", "critical")

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " — " + n.failureSummary),
  }));
}"""


def axe_violations(page: Any, axe_source: str) -> list[dict[str, Any]]:
    """Run axe on the page as it is now; inject it first (evaluated, so CSP does not block)."""
    if page.evaluate("typeof window.axe") != "object":
        page.evaluate(axe_source)
    return list(page.evaluate(RUN_AXE))
