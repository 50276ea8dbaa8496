"""`python -m sandboxes.<name>`: serve one sandbox on its own with Werkzeug's threaded server."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask


def run_standalone(
    create_app: Callable[..., Flask],
    argv: list[str] | None,
    *,
    description: str | None,
    db: str,
    port: int,
    options: Mapping[str, str | int],
) -> None:
    """Parse --db, --host, --port and one --flag per options entry (create_app's keyword
    argument and its default; an int default takes ints), then serve create_app's app."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--db", default=db, help="SQLite file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port)
    for name, default in options.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default)
    args = parser.parse_args(argv)
    chosen: dict[str, Any] = {name: getattr(args, name) for name in options}
    app = create_app(args.db, **chosen)
    app.run(host=args.host, port=args.port, threaded=True)
