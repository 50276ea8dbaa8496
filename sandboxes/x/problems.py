"""Error bodies in the shapes X API v2 sends, raised as ApiError and turned into JSON responses."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

INVALID_REQUEST_TYPE = "https://api.twitter.com/2/problems/invalid-request"
NOT_FOUND_TYPE = "https://api.twitter.com/2/problems/resource-not-found"

DUPLICATE_CONTENT = "You are not allowed to create a Tweet with duplicate content."
REPLY_NOT_ALLOWED = (
    "Reply to this conversation is not allowed because you have not been mentioned or otherwise"
    " engaged by the author of the post you are replying to."
)
REPLY_TARGET_GONE = "You attempted to reply to a Tweet that is deleted or not visible to you."
TEXT_TOO_LONG = (
    "Your Tweet text is too long. For more information on how X determines text length see"
    " https://github.com/twitter/twitter-text."
)

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found Error",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class ApiError(Exception):
    """An X-style error response: status, JSON body and extra headers."""

    def __init__(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {body.get('detail') or body}")
        self.status = status
        self.body = body
        self.headers = headers or {}

    def to_response(self) -> Response:
        """Render the error as a Flask JSON response."""
        response = jsonify(self.body)
        response.status_code = self.status
        response.headers.update(self.headers)
        return response


def problem(status: int, detail: str | None = None, title: str | None = None) -> ApiError:
    """Return an about:blank problem, the shape X uses for 401/403/429/5xx."""
    title = title or _TITLES.get(status, "Error")
    return ApiError(
        status, {"title": title, "type": "about:blank", "status": status, "detail": detail or title}
    )


def forbidden(detail: str) -> ApiError:
    """Return a 403 problem with X's key order (detail, type, title, status)."""
    return ApiError(
        403, {"detail": detail, "type": "about:blank", "title": "Forbidden", "status": 403}
    )


def invalid_request(message: str, parameters: dict[str, list[str]] | None = None) -> ApiError:
    """Return X's 400 invalid-request body with one error entry."""
    error: dict[str, Any] = {"message": message}
    if parameters is not None:
        error = {"parameters": parameters, "message": message}
    return ApiError(
        400,
        {
            "errors": [error],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": INVALID_REQUEST_TYPE,
        },
    )


def invalid_param(name: str, value: str, reason: str) -> ApiError:
    """Return a 400 invalid-request for one query parameter, worded like X."""
    return invalid_request(
        f"The `{name}` query parameter value [{value}] {reason}", {name: [value]}
    )


def resource_not_found(resource_type: str, parameter: str, value: str) -> dict[str, Any]:
    """Return one partial-error entry, as X puts in `errors` next to (or instead of) `data`."""
    return {
        "value": value,
        "detail": f"Could not find {resource_type} with {parameter}: [{value}].",
        "title": "Not Found Error",
        "resource_type": resource_type,
        "parameter": parameter,
        "resource_id": value,
        "type": NOT_FOUND_TYPE,
    }
