"""The development mailbox in Chromium: an e-mail's HTML runs no script in its frame, its links
open in a new tab (so a reset link can be followed), and the pages pass axe."""

from __future__ import annotations

import mailbox
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from ideaboard.mail import message
from ideaboard.mail.letters import Rendered
from ideaboard.mail.settings import check_mail_from
from tests.browser.helpers import FAIL_ON, LiveServer, axe_violations


@pytest.fixture
def box_dir(tmp_path: Path) -> Path:
    return tmp_path / "mailbox"


@pytest.fixture
def app(app_factory: Callable[..., Flask], box_dir: Path) -> Iterator[Flask]:
    """The app in mailbox mode, as `make run` starts it (CSRF on)."""
    app = app_factory(
        WTF_CSRF_ENABLED=True,
        IDEABOARD_MAILBOX=True,
        IDEABOARD_SMTP_URL=None,
        IDEABOARD_MAILBOX_DIR=str(box_dir),
    )
    with app.app_context():
        yield app


def drop_in(box_dir: Path, html: str) -> None:
    rendered = Rendered("비밀번호 재설정 링크", "Reset: link", html, False, None)
    built = message.build(
        rendered,
        sender=check_mail_from("IdeaBoard <ideas@localhost>"),
        to=message.recipient("minji@example.com", "김민지"),
        dedupe_key="email:test:browser",
        now=datetime(2026, 12, 4, 9, 0, tzinfo=UTC),
    )
    mailbox.Maildir(box_dir, create=True).add(built)


def test_the_html_part_runs_no_script_and_its_links_open_in_a_new_tab(
    context: Any, live_server: LiveServer, box_dir: Path
) -> None:
    target = f"{live_server.url}/login?from=mail"
    drop_in(
        box_dir,
        "<!doctype html><html><head><title>t</title></head><body>"
        '<p id="greeting" style="color:#1d4ed8">Hello</p>'
        "<script>document.getElementById('greeting').textContent = 'PWNED';"
        "try { parent.document.title = 'PWNED'; } catch (e) {}</script>"
        '<img alt="" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" '
        "onload=\"document.body.dataset.pwned = 'yes'\">"
        f'<a href="{target}">Reset your password</a></body></html>',
    )
    tab = context.new_page()
    tab.goto("/dev/mailbox/")
    tab.get_by_role("link", name="비밀번호 재설정 링크").click()
    tab.wait_for_selector("iframe.mail-frame")
    frame = tab.frame_locator("iframe.mail-frame")
    assert frame.locator("#greeting").inner_text() == "Hello"
    assert frame.locator("body").get_attribute("data-pwned") is None
    assert "PWNED" not in tab.title()
    with context.expect_page() as opened:
        frame.get_by_role("link", name="Reset your password").click()
    popup = opened.value
    popup.wait_for_load_state()
    assert popup.url == target
    assert "PWNED" not in tab.locator("main").inner_text()


def test_the_mailbox_pages_pass_axe(
    page: Any, live_server: LiveServer, box_dir: Path, axe_source: str
) -> None:
    drop_in(box_dir, '<p>Hello</p><a href="http://127.0.0.1/x">A link</a>')
    found: dict[str, list[dict[str, Any]]] = {}
    page.goto("/dev/mailbox/")
    found["list"] = axe_violations(page, axe_source)
    page.get_by_role("link", name="비밀번호 재설정 링크").click()
    page.wait_for_selector("iframe.mail-frame")
    found["message"] = axe_violations(page, axe_source)
    serious = {
        where: [v for v in violations if v["impact"] in FAIL_ON]
        for where, violations in found.items()
    }
    assert serious == {"list": [], "message": []}
