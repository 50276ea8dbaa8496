"""Browser fixtures: the app on a loopback port, Debian's Chromium driven by Playwright.

Every test here is marked `browser`. The app is served by werkzeug in a thread, on this
test's own migrated database, with the sandbox X API mounted at /x-sandbox and CSRF on, as a
customer's browser sees it. One Chromium runs per session; each test gets a new context
(cookies, storage) and page.

Chromium comes from Debian (`make test` installs it); Playwright's own browser download is
not used. Where it is missing the tests are skipped with the reason, except in CI, where
that fails the run. The same goes for axe-core (installed from npm into build/npm).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from ideaboard.accounts.models import User
from tests.browser.helpers import DESKTOP, TIMEOUT_MS, LiveServer
from tests.helpers import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("IDEABOARD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_JS = ROOT / "build" / "npm" / "node_modules" / "axe-core" / "axe.min.js"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(reason: str) -> None:
    """Skip the test for a missing tool, or fail it in CI, where the tools must be there."""
    if in_ci():
        pytest.fail(f"{reason} (CI must run the browser tests: `make test` installs it)")
    pytest.skip(reason)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives the site in a real Chromium")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


# --- the browser ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        missing(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh browser context (no cookies) aimed at the live server, English first."""
    ctx = browser.new_context(
        base_url=live_server.url, viewport=DESKTOP, locale="en-US", timezone_id="Asia/Seoul"
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: Any, live_server: LiveServer) -> Iterator[Any]:
    """A page in the test's context; script errors, CSP violations (reported on the console)
    and any request that leaves the live server fail the test."""
    tab = context.new_page()
    errors: list[str] = []
    tab.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((live_server.url + "/", "data:", "about:"))
            else errors.append(f"request off loopback: {request.url}")
        ),
    )
    tab.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    tab.on(
        "console",
        lambda message: (
            errors.append(f"console: {message.text}")
            if message.type == "error" and "Failed to load resource" not in message.text
            else None
        ),
    )
    yield tab
    assert not errors, "\n".join(errors)


@pytest.fixture(scope="session")
def axe_source() -> str:
    """The axe-core script from npm (build/npm), read once."""
    if not AXE_JS.is_file():
        missing(f"axe-core is not installed at {AXE_JS.relative_to(ROOT)} (make browser-tools)")
    return AXE_JS.read_text(encoding="utf-8")


# --- the site -------------------------------------------------------------------------------


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Extra settings for the live app; a test module overrides this fixture to add its own
    (e.g. IDEABOARD_SMTP_URL of an SMTP server it runs)."""
    return {}


@pytest.fixture
def app(
    app_factory: Callable[..., Flask], tmp_path: Path, app_config: dict[str, Any]
) -> Iterator[Flask]:
    """The app the live server serves: sandbox X API mounted, CSRF on (context pushed)."""
    app = app_factory(
        WTF_CSRF_ENABLED=True,
        IDEABOARD_X_SANDBOX=True,
        IDEABOARD_X_SANDBOX_DB=str(tmp_path / "x_sandbox.sqlite"),
        IDEABOARD_X_TIMEOUT_SECONDS=5.0,
        **app_config,
    )
    with app.app_context():
        yield app


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """Serve the app on a free 127.0.0.1 port in a thread until the test ends."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server.daemon_threads = True  # a keep-alive connection must not hold up the teardown
    url = f"http://127.0.0.1:{server.server_port}"
    app.config.update(IDEABOARD_PUBLIC_URL=url, IDEABOARD_X_API_URL=f"{url}/x-sandbox")
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="live", daemon=True
    )
    thread.start()
    try:
        yield LiveServer(url=url, app=app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def log_in(page: Any, live_server: LiveServer) -> Callable[[User], None]:
    """Return a helper that logs the page in as a user through the login form."""

    def run(user: User, password: str = PASSWORD) -> None:
        page.goto("/login")
        page.get_by_label("E-mail").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.locator("main form").get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/login" not in url)

    return run


@pytest.fixture
def shots_dir() -> Path:
    """Where the README's screenshots go."""
    path = ROOT / "docs" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
