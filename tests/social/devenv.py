"""Bluesky's reference servers (PDS and AppView from @atproto/dev-env) for end-to-end tests.

`make bluesky-devenv` installs the pinned npm package into build/atproto-devenv (not committed);
tests/bluesky_devenv/start.mjs starts a network on 127.0.0.1 over the local PostgreSQL, makes
the brand (@hanbit.test) and a customer (@minji.test) with app passwords and prints them as one
JSON line. `start_devenv` runs that script and reads the line; closing its stdin stops it, and
it drops its PostgreSQL schemas on the way out.

The fixtures (`atproto_devenv`, and `bluesky_brand` / `bluesky_customer`, `atproto` clients
logged in once: all three once per session) skip with the reason when node, the npm package or
PostgreSQL is missing, except in CI, where that fails the test.

The PDS enforces Bluesky's rate limits and sends their RateLimit-* headers, as bsky.social does:
createSession allows 30 logins per identifier per 5 minutes, so log in once per test at most.

Like on bsky.social, a post reaches listNotifications and getPostThread only once the AppView
has indexed it from the PDS's event stream (well under a second here): use `wait_for`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import pytest
from atproto import Client, client_utils
from sqlalchemy import make_url

from tests.databases import pg_admin_url, pg_unavailable_reason

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "bluesky_devenv" / "start.mjs"
DEVENV_DIR = Path(os.environ.get("ATPROTO_DEVENV_DIR") or ROOT / "build" / "atproto-devenv")
PACKAGE = DEVENV_DIR / "node_modules" / "@atproto" / "dev-env" / "package.json"

START_TIMEOUT = 120.0  # seconds; the network is up in about 6 s on 2 cores
STOP_TIMEOUT = 30.0
INDEX_TIMEOUT = 15.0  # seconds the AppView may take to index a post

T = TypeVar("T")


@dataclass(frozen=True)
class DevAccount:
    """An account on the dev PDS; the app password is kept out of repr (and so out of logs)."""

    handle: str
    did: str
    password: str = field(repr=False)  # the account password: only it may make app passwords
    app_password: str = field(repr=False)


@dataclass
class DevNetwork:
    """A running dev network: where its PDS and AppView listen, and its two accounts."""

    pds_url: str
    appview_url: str
    brand: DevAccount
    customer: DevAccount
    startup_seconds: float
    process: subprocess.Popen[str] = field(repr=False)
    log_path: Path = field(repr=False)

    def client(self, account: DevAccount, *, password: str | None = None) -> Client:
        """Return an `atproto` client logged in at the PDS (with the app password by default)."""
        client = Client(base_url=self.pds_url)
        client.login(account.handle, password or account.app_password)
        return client

    def log_tail(self, lines: int = 30) -> str:
        """Return the end of the servers' stderr (for failure messages)."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the servers (closing stdin lets the script drop its schemas), killing if stuck."""
        if self.process.stdin and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()


def in_ci() -> bool:
    """Return whether the run is in CI, where missing parts are errors, not skips."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable_reason() -> str | None:
    """Return why the dev network cannot start here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed (the Bluesky dev network runs on Node.js)"
    if not PACKAGE.is_file():
        return f"@atproto/dev-env is not installed in {DEVENV_DIR} (make bluesky-devenv)"
    return pg_unavailable_reason()


def postgres_url() -> str:
    """Return the test PostgreSQL server as a plain libpq URL, which node's `pg` reads."""
    url = make_url(pg_admin_url()).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _read_line(stream: IO[str], timeout: float) -> str | None:
    """Return the next line of stream, or None if none came within timeout."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0] if lines else None


def start_devenv(log_dir: Path, timeout: float = START_TIMEOUT) -> DevNetwork:
    """Start tests/bluesky_devenv/start.mjs and return the network it reports."""
    log_path = log_dir / "atproto-devenv.log"
    env = {
        **os.environ,
        "ATPROTO_DEVENV_DIR": str(DEVENV_DIR),
        "DB_POSTGRES_URL": postgres_url(),
        "LOG_ENABLED": "false",
    }
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            ["node", str(SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            encoding="utf-8",
            env=env,
            cwd=ROOT,
        )
    assert process.stdout is not None
    line = _read_line(process.stdout, timeout)
    if not line:
        if process.stdin:
            process.stdin.close()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]
        raise RuntimeError(
            f"the atproto dev network did not start within {timeout:.0f} s:\n" + "\n".join(tail)
        )
    info = json.loads(line)
    return DevNetwork(
        pds_url=info["pds"],
        appview_url=info["appview"],
        brand=DevAccount(**info["brand"]),
        customer=DevAccount(**info["customer"]),
        startup_seconds=float(info["startup_seconds"]),
        process=process,
        log_path=log_path,
    )


def wait_for(find: Callable[[], T | None], timeout: float = INDEX_TIMEOUT) -> T:
    """Poll find() until it returns something (the AppView indexes asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        found = find()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not seen within {timeout} s")
        time.sleep(0.1)


def notification_for(client: Client, uri: str, reason: str) -> Any:
    """Return client's notification about the post at uri with this reason, or None."""
    page = client.app.bsky.notification.list_notifications(params={"limit": 100})
    for notification in page.notifications:
        if notification.uri == uri and notification.reason == reason:
            return notification
    return None


def idea_mention(network: DevNetwork, words: str) -> client_utils.TextBuilder:
    """Return "@brand <words> #아이디어" with its mention and tag facets."""
    return (
        client_utils.TextBuilder()
        .mention(f"@{network.brand.handle}", network.brand.did)
        .text(f" {words} ")
        .tag("#아이디어", "아이디어")
    )


# Fixtures (imported into tests/social/conftest.py).


@pytest.fixture(scope="session")
def atproto_devenv() -> Iterator[DevNetwork]:
    """A Bluesky dev network (PDS + AppView on PostgreSQL) shared by the session's tests."""
    reason = unavailable_reason()
    if reason:
        if in_ci():
            pytest.fail(f"{reason} (CI must run the Bluesky end-to-end tests)")
        pytest.skip(reason)
    with tempfile.TemporaryDirectory(prefix="ideaboard-devenv-log-") as log_dir:
        network = start_devenv(Path(log_dir))
        try:
            yield network
        finally:
            network.stop()


@pytest.fixture(scope="session")
def bluesky_brand(atproto_devenv: DevNetwork) -> Iterator[Client]:
    """The brand's `atproto` client, logged in at the dev PDS with its app password."""
    client = atproto_devenv.client(atproto_devenv.brand)
    yield client
    client.request.close()


@pytest.fixture(scope="session")
def bluesky_customer(atproto_devenv: DevNetwork) -> Iterator[Client]:
    """The customer's `atproto` client, logged in at the dev PDS with their app password."""
    client = atproto_devenv.client(atproto_devenv.customer)
    yield client
    client.request.close()
