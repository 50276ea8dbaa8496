"""Run the sandbox Mastodon server alone: python -m sandboxes.mastodon --db PATH --port 5056."""

from __future__ import annotations

from ..common.standalone import run_standalone
from . import DEFAULT_TOKEN, create_sandbox_app


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve the sandbox with Werkzeug's threaded server."""
    run_standalone(
        create_sandbox_app,
        argv,
        description=__doc__,
        db="instance/mastodon_sandbox.sqlite",
        port=5056,
        options={"max_characters": 500, "access_token": DEFAULT_TOKEN},
    )


if __name__ == "__main__":
    main()
