"""Run the sandbox Mastodon server alone: python -m sandboxes.mastodon --db PATH --port 5056."""

from __future__ import annotations

import argparse

from . import DEFAULT_TOKEN, create_sandbox_app


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve the sandbox with Werkzeug's threaded server."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="instance/mastodon_sandbox.sqlite", help="SQLite file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5056)
    parser.add_argument("--max-characters", type=int, default=500)
    parser.add_argument("--access-token", default=DEFAULT_TOKEN)
    args = parser.parse_args(argv)
    app = create_sandbox_app(
        args.db, max_characters=args.max_characters, access_token=args.access_token
    )
    app.run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
