"""What the sandboxes' browser pages share: threading posts, rendering, the stylesheet answer.

Each sandbox keeps its own template, forms and actions; these are the helpers that were the
same in all of them. The forms' CSRF tokens are sandboxes/common/guard.py's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from typing import Any

from flask import Response, render_template_string

EXPIRED_FORM = "The form expired or came from another site: try again."
MAX_DEPTH = 6  # replies deeper than this are drawn at this indent

Item = dict[str, Any]


def thread_order(
    items: list[Item],
    *,
    key: str,
    parent: str,
    child_order: Callable[[Item], Any] | None = None,
) -> list[tuple[Item, int]]:
    """Order posts as threads: (post, depth) with the roots in the order given (newest first),
    each reply under its parent. Siblings are sorted by child_order, or (without it) taken
    oldest first, i.e. in the reverse of the given order."""
    by_key: dict[Hashable, Item] = {item[key]: item for item in items}
    children: dict[Hashable, list[Item]] = {}
    roots = []
    for item in items:
        if item[parent] in by_key:
            children.setdefault(item[parent], []).append(item)
        else:
            roots.append(item)
    ordered: list[tuple[Item, int]] = []
    stack = [(root, 0) for root in reversed(roots)]
    while stack:
        item, depth = stack.pop()
        ordered.append((item, depth))
        replies = children.get(item[key], [])
        oldest_first = sorted(replies, key=child_order) if child_order else replies[::-1]
        stack.extend((child, min(depth + 1, MAX_DEPTH)) for child in reversed(oldest_first))
    return ordered


def pretty_json(value: Any) -> str:
    """value as indented JSON, for a <pre> on the page."""
    return json.dumps(value, indent=1)


def html_page(template: str, status: int = 200, **context: Any) -> Response:
    """Render template with context as an HTML answer."""
    return Response(
        render_template_string(template, **context), status=status, mimetype="text/html"
    )


def stylesheet(css: str) -> Response:
    """A page's styles (a file, not inline: the Content-Security-Policy allows no inline)."""
    return Response(css, mimetype="text/css", headers={"Cache-Control": "max-age=3600"})
