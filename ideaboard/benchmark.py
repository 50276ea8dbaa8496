"""The benchmark's ceiling: a bare endpoint, mounted only when IDEABOARD_BENCH is on.

`bench/run.py` measures every page against this endpoint on the same server, workers and
middleware (sessions, CSRF, the limiter, the after-request headers), so the ratio to it shows
what the board's own work costs. It touches no database and renders no template.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("benchmark", __name__)


@bp.get("/_bench/ceiling")
def ceiling() -> tuple[str, int, dict[str, str]]:
    """Answer a constant body: the fastest this app can serve a request."""
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}


def init_benchmark(app: Flask) -> None:
    """Register the ceiling endpoint (call only when IDEABOARD_BENCH is set)."""
    app.register_blueprint(bp)
