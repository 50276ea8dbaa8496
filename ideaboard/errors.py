"""Domain errors raised by services and mapped once at each edge (form, flash, JSON)."""

from __future__ import annotations


class DomainError(Exception):
    """A rule said no. `code` is stable for the API; `message` is shown to people."""

    code = "invalid"
    status = 422

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def fields(self) -> dict[str, list[str]]:
        return {self.field: [self.message]} if self.field else {}


class ValidationFailed(DomainError):
    code = "validation_failed"
    status = 422


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Conflict(DomainError):
    code = "conflict"
    status = 409


class EmailTaken(Conflict):
    code = "email_taken"


class VotingClosed(Conflict):
    code = "voting_closed"


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403


class TooManyAttempts(DomainError):
    """Too many failed sign-ins for one account: refused for a while (HTTP 429)."""

    code = "too_many_attempts"
    status = 429

    def __init__(self, message: str, field: str | None = None, retry_after: int = 60) -> None:
        super().__init__(message, field)
        self.retry_after = retry_after  # seconds, for the Retry-After header
