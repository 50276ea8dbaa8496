"""API-only errors; the app's DomainError handler turns each into `{error: {code, message}}`."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ..errors import DomainError


class Unauthenticated(DomainError):
    code = "unauthorized"
    status = 401


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"


class InvalidToken(Unauthenticated):
    code = "invalid_token"


class BadRequest(DomainError):
    code = "bad_request"
    status = 400


class InvalidJson(BadRequest):
    code = "invalid_json"


class WrongContentType(BadRequest):
    code = "wrong_content_type"


class InvalidInput(DomainError):
    """Failed validation, with messages for each field at once."""

    code = "validation_failed"
    status = 422

    def __init__(self, message: str, fields: dict[str, list[str]]) -> None:
        super().__init__(message)
        self._fields = fields

    @property
    def fields(self) -> dict[str, list[str]]:
        return self._fields


def _field_name(loc: tuple[Any, ...]) -> str:
    # "$" is the body as a whole (e.g. a list where an object was expected).
    return ".".join(str(part) for part in loc) or "$"


def from_validation_error(error: ValidationError, message: str) -> InvalidInput:
    """Map pydantic's errors to {field: [messages]}."""
    fields: dict[str, list[str]] = {}
    for item in error.errors(include_url=False):
        fields.setdefault(_field_name(tuple(item["loc"])), []).append(str(item["msg"]))
    return InvalidInput(message, fields)
