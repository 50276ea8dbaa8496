"""Run the sandbox X API on its own: python -m sandboxes.x --db PATH --port 5055."""

from __future__ import annotations

import argparse

from . import create_sandbox_app


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve the sandbox with Werkzeug's threaded server."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="instance/x_sandbox.sqlite", help="SQLite file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--brand-username", default="hanbit")
    parser.add_argument("--brand-name", default="Hanbit Telecom")
    parser.add_argument("--brand-user-id", default="1500000000000000001")
    args = parser.parse_args(argv)
    app = create_sandbox_app(
        args.db,
        brand_username=args.brand_username,
        brand_name=args.brand_name,
        brand_user_id=args.brand_user_id,
    )
    app.run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
