"""XRPC error responses: a status and a JSON body {"error": <name>, "message": <text>}."""

from __future__ import annotations

from flask import Response, jsonify


class XrpcError(Exception):
    """An XRPC error: 400 InvalidRequest, 401 AuthRequired, 429 RateLimitExceeded, …"""

    def __init__(
        self, status: int, error: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {error}: {message}")
        self.status = status
        self.error = error
        self.message = message
        self.headers = headers or {}

    def to_response(self) -> Response:
        """Render the error as its JSON response."""
        response = jsonify({"error": self.error, "message": self.message})
        response.status_code = self.status
        response.headers.update(self.headers)
        return response


def invalid_request(message: str, error: str = "InvalidRequest") -> XrpcError:
    """400: the request's parameters or body are wrong."""
    return XrpcError(400, error, message)


def auth_required(message: str = "Authentication Required") -> XrpcError:
    """401: no usable credentials."""
    return XrpcError(401, "AuthRequired", message)


def server_error(status: int) -> XrpcError:
    """An injected 5xx."""
    names = {
        500: "InternalServerError",
        502: "UpstreamFailure",
        503: "NotEnoughResources",
        504: "UpstreamTimeout",
    }
    return XrpcError(status, names.get(status, "InternalServerError"), "Internal Server Error")
