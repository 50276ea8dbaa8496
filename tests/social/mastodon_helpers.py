"""Shared pieces of the Mastodon tests: the brand, and reading its statuses from the sandbox.

The loopback server for a sandbox app is tests/helpers.py's `serve`.
"""

from __future__ import annotations

from typing import Any

from sandboxes.mastodon import SandboxStore, timeline

BRAND_ACCT = "hanbit"
BRAND_ACCOUNT_ID = "109000000000000001"


def brand_statuses(store: SandboxStore) -> list[dict[str, Any]]:
    """The brand's live statuses in the sandbox, oldest first."""
    return [
        s
        for s in reversed(timeline(store))
        if s["account_id"] == BRAND_ACCOUNT_ID and not s["deleted"]
    ]
