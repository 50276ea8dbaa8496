"""Run the Bluesky sandbox on its own: python -m sandboxes.bluesky --db PATH --port 5056."""

from __future__ import annotations

from ..common.standalone import run_standalone
from . import DEFAULT_APP_PASSWORD, DEFAULT_BRAND_HANDLE, create_sandbox_app


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve the sandbox with Werkzeug's threaded server."""
    run_standalone(
        create_sandbox_app,
        argv,
        description=__doc__,
        db="instance/bluesky_sandbox.sqlite",
        port=5056,
        options={
            "brand_handle": DEFAULT_BRAND_HANDLE,
            "brand_name": "Hanbit Telecom",
            "app_password": DEFAULT_APP_PASSWORD,
        },
    )


if __name__ == "__main__":
    main()
