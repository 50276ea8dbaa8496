"""Password reset in a real Chromium: the log-in page's link, the e-mail from a real SMTP server
(aiosmtpd on loopback), the link opened in the browser, the new password, and logging in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ideaboard.extensions import db
from ideaboard.outbox.delivery import deliver_due
from tests.browser.helpers import DESKTOP, TIMEOUT_MS, LiveServer
from tests.helpers import PASSWORD, UserBuilder
from tests.mail.helpers import SmtpServer

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    """A plain SMTP server on 127.0.0.1 the live app sends its e-mail to."""
    server = SmtpServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def app_config(smtp_server: SmtpServer) -> dict[str, Any]:
    """The live app sends e-mail to smtp_server (see tests/browser/conftest.py: app)."""
    return {**smtp_server.config(), "IDEABOARD_MAIL_FROM": "IdeaBoard <ideas@board.test>"}


def deliver() -> int:
    """Send the outbox once, here in the test, as `flask ideaboard deliver` would."""
    db.session.rollback()  # a fresh snapshot: the live server wrote the rows
    sent = deliver_due(worker="browser-test").sent
    db.session.rollback()
    return sent


def test_forgotten_password_is_reset_by_email_and_the_new_one_logs_in(
    browser: Any,
    page: Any,
    live_server: LiveServer,
    smtp_server: SmtpServer,
    make_user: UserBuilder,
) -> None:
    user = make_user(email="minji@example.com", name="김민지")

    # Another device is signed in with the old password.
    other = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="en-US")
    other.set_default_timeout(TIMEOUT_MS)
    elsewhere = other.new_page()
    elsewhere.goto("/login")
    elsewhere.get_by_label("E-mail").fill(user.email)
    elsewhere.get_by_label("Password").fill(PASSWORD)
    elsewhere.locator("main form").get_by_role("button", name="Log in").click()
    elsewhere.wait_for_url(lambda url: "/login" not in url)

    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.wait_for_url(re.compile(r"/password/forgot$"))
    page.get_by_label("E-mail").fill("Minji@Example.com")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

    assert deliver() == 1
    (received,) = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["minji@example.com"]
    assert received.message["Subject"] == "Set a new password for IdeaBoard"
    (url,) = re.findall(r"https?://\S+/password/reset/\S+", received.body("plain"))
    assert url.startswith(live_server.url + "/")

    page.goto(url)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()
    page.wait_for_url(re.compile(r"/login$"))
    expect(page.get_by_text("Your new password is set")).to_be_visible()

    # The link is used up.
    page.goto(url)
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()

    # The old password no longer works; the new one does.
    page.goto("/login")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main form").get_by_role("button", name="Log in").click()
    expect(page.get_by_text("The e-mail address or the password is wrong.")).to_be_visible()
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.locator("main form").get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)
    expect(page.get_by_text("You are logged in.")).to_be_visible()

    # The device signed in before the reset is signed out.
    elsewhere.goto("/me")
    elsewhere.wait_for_url(re.compile(r"/login"))
    other.close()

    # Its owner was told the password changed.
    assert deliver() == 1
    assert smtp_server.wait_for(2)[1].message["Subject"] == "Your IdeaBoard password was changed"
