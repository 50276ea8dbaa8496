"""The sandbox's per-app settings, reachable from any view as current_sandbox()."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from .store import SandboxStore

EXTENSION_KEY = "x_sandbox"


@dataclass(frozen=True)
class Sandbox:
    """One sandbox app's store and brand account."""

    store: SandboxStore
    brand_user_id: str
    brand_username: str
    base_url_for_links: str

    def post_url(self, username: str, tweet_id: int | str) -> str:
        """Return the public-looking link of a post, as IdeaBoard would show it."""
        return f"{self.base_url_for_links.rstrip('/')}/{username}/status/{tweet_id}"


def current_sandbox() -> Sandbox:
    """Return the Sandbox of the app handling the current request."""
    sandbox: Sandbox = current_app.extensions[EXTENSION_KEY]
    return sandbox
