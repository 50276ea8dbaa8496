"""Shared pieces of the Mastodon tests: a loopback server for a sandbox app, and reading it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

from sandboxes.mastodon import SandboxStore, timeline

BRAND_ACCT = "hanbit"
BRAND_ACCOUNT_ID = "109000000000000001"


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve app on 127.0.0.1 (random port) in a thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server.daemon_threads = False  # so server_close() waits for handler threads to finish
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.02},
        name="mastodon-sandbox",
        daemon=True,
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def brand_statuses(store: SandboxStore) -> list[dict[str, Any]]:
    """The brand's live statuses in the sandbox, oldest first."""
    return [
        s
        for s in reversed(timeline(store))
        if s["account_id"] == BRAND_ACCOUNT_ID and not s["deleted"]
    ]
