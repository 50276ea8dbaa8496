"""What every sandbox app factory does the same way: body limits, JSON, API errors, 413s.

create_flask_app makes the Flask app with the request-size limits and a JSON provider that
keeps key order, writes Hangul as UTF-8 and turns a body nested past the parser's recursion
limit into a 4xx instead of a 500. register_api_errors answers the sandbox's own error class
with its to_response() and a too-large body with the sandbox's shape on its API (plain text
elsewhere). Each sandbox keeps its own shapes for 404/405 on its API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import RequestEntityTooLarge

MAX_FORM_PARTS = 50


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON; a body nested past the parser's recursion limit is malformed (a 4xx)."""

    sort_keys = False  # keep the network's key order
    ensure_ascii = False  # Hangul as UTF-8, like the networks

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError as error:
            raise ValueError("JSON nested too deeply") from error


class ApiErrorLike(Protocol):
    """A sandbox's API error: it knows its own response."""

    def to_response(self) -> Response: ...


def create_flask_app(import_name: str, *, max_body_bytes: int) -> Flask:
    """A Flask app reading at most max_body_bytes per request, with SafeJSONProvider."""
    app = Flask(import_name)
    app.config["MAX_CONTENT_LENGTH"] = max_body_bytes
    app.config["MAX_FORM_MEMORY_SIZE"] = max_body_bytes
    app.config["MAX_FORM_PARTS"] = MAX_FORM_PARTS
    app.json = SafeJSONProvider(app)
    return app


def plain_text(message: str, status: int) -> Response:
    """A text/plain answer: one line."""
    return Response(message + "\n", status=status, mimetype="text/plain")


def register_api_errors(
    app: Flask,
    error_class: type[Exception],
    *,
    max_body_bytes: int,
    too_large: Callable[[str], Response | None],
) -> None:
    """Answer error_class with its to_response(); a body over max_body_bytes with
    too_large(message), or plain text if that gives None (a request off the API)."""

    def _api_error(error: Exception) -> Response:
        api_error: ApiErrorLike = error  # type: ignore[assignment]
        return api_error.to_response()

    def _too_large(error: RequestEntityTooLarge) -> Response:
        message = f"The request body is over {max_body_bytes} bytes."
        return too_large(message) or plain_text(message, 413)

    app.register_error_handler(error_class, _api_error)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
