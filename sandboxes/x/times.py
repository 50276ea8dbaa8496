"""Time stamps and post ids the way X writes them."""

from __future__ import annotations

from datetime import UTC, datetime

TWITTER_EPOCH_MS = 1288834974657


def format_time(moment: datetime) -> str:
    """Format a datetime as X does: 2026-08-01T12:34:56.000Z (UTC, milliseconds)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(value: str) -> datetime:
    """Parse an RFC 3339 timestamp (a trailing Z is allowed); raise ValueError if malformed."""
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("timestamp needs a time zone")
    return moment.astimezone(UTC)


def snowflake(moment: datetime, sequence: int = 0) -> int:
    """Return an X-style snowflake id for moment (19 digits today)."""
    millis = int(moment.timestamp() * 1000)
    return ((millis - TWITTER_EPOCH_MS) << 22) | (sequence & 0x3FFFFF)
