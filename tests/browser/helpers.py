"""Browser test helpers: the window size, the wait limit, and the live server's address."""

from __future__ import annotations

from dataclasses import dataclass

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
