"""The sandbox's per-app settings, reachable from any view as current_sandbox()."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from .store import SandboxStore

EXTENSION_KEY = "bluesky_sandbox"


@dataclass(frozen=True)
class Sandbox:
    """One sandbox app's store and brand account."""

    store: SandboxStore
    brand_did: str
    brand_handle: str


def current_sandbox() -> Sandbox:
    """Return the Sandbox of the app handling the current request."""
    sandbox: Sandbox = current_app.extensions[EXTENSION_KEY]
    return sandbox
