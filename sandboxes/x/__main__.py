"""Run the sandbox X API on its own: python -m sandboxes.x --db PATH --port 5055."""

from __future__ import annotations

from ..common.standalone import run_standalone
from . import create_sandbox_app


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve the sandbox with Werkzeug's threaded server."""
    run_standalone(
        create_sandbox_app,
        argv,
        description=__doc__,
        db="instance/x_sandbox.sqlite",
        port=5055,
        options={
            "brand_username": "hanbit",
            "brand_name": "Hanbit Telecom",
            "brand_user_id": "1500000000000000001",
        },
    )


if __name__ == "__main__":
    main()
