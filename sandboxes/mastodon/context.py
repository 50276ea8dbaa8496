"""The sandbox's per-app settings, reachable from any view as current_sandbox()."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request

from .store import SandboxStore

EXTENSION_KEY = "mastodon_sandbox"


@dataclass(frozen=True)
class Sandbox:
    """One sandbox app's store, brand account, token and status limit."""

    store: SandboxStore
    brand_id: str
    brand_username: str
    max_characters: int

    @staticmethod
    def root() -> str:
        """The sandbox's own base URL for this request (its mount prefix included)."""
        return request.url_root.rstrip("/")

    @staticmethod
    def domain() -> str:
        """The host name clients reach the sandbox at (the instance's "domain")."""
        return request.host


def current_sandbox() -> Sandbox:
    """The Sandbox of the app handling the current request."""
    sandbox: Sandbox = current_app.extensions[EXTENSION_KEY]
    return sandbox
