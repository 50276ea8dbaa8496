"""API test helpers: the roles a caller can have, a JSON request helper, a webhook receiver."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask.testing import FlaskClient

ROLES = ("anonymous", "customer", "staff", "admin")


def call(
    client: FlaskClient,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """Send a JSON request to the API; every answer under /api/ must be JSON (or the docs page)."""
    kwargs: dict[str, Any] = {"headers": headers or {}}
    if body is not None:
        kwargs["json"] = body
    response = client.open(path, method=method, **kwargs)
    if not path.startswith("/api/v1/docs"):
        assert response.mimetype == "application/json", (path, response.status_code)
    return response


@dataclass
class Receiver:
    """A loopback HTTP server that records webhook deliveries and answers as scripted."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str], float]] = field(default_factory=list)

    def answer(self, status: int, headers: dict[str, str] | None = None, delay: float = 0) -> None:
        """Queue the answer to the next delivery (default: 204)."""
        self.answers.append((status, headers or {}, delay))

    @property
    def last(self) -> dict[str, Any]:
        return self.requests[-1]
