"""Run the Bluesky sandbox on its own: python -m sandboxes.bluesky --db PATH --port 5056."""

from __future__ import annotations

import argparse

from . import DEFAULT_APP_PASSWORD, DEFAULT_BRAND_HANDLE, create_sandbox_app


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve the sandbox with Werkzeug's threaded server."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="instance/bluesky_sandbox.sqlite", help="SQLite file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5056)
    parser.add_argument("--brand-handle", default=DEFAULT_BRAND_HANDLE)
    parser.add_argument("--brand-name", default="Hanbit Telecom")
    parser.add_argument("--app-password", default=DEFAULT_APP_PASSWORD)
    args = parser.parse_args(argv)
    app = create_sandbox_app(
        args.db,
        brand_handle=args.brand_handle,
        brand_name=args.brand_name,
        app_password=args.app_password,
    )
    app.run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
