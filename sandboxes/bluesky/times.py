"""Time stamps the way Bluesky writes them: RFC 3339 in UTC with milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime


def format_time(moment: datetime) -> str:
    """2026-08-01T12:34:56.789Z."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(value: str) -> datetime:
    """Parse an RFC 3339 timestamp with a time zone; raise ValueError otherwise."""
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError("a datetime must be an RFC 3339 string")
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("a datetime needs a time zone")
    try:
        return moment.astimezone(UTC)
    except OverflowError as error:  # e.g. year 1 an hour east of UTC
        raise ValueError("a datetime out of range") from error
