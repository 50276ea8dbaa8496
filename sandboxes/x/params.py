"""Query-parameter parsing for the /2 routes, failing with X's invalid-request errors."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from datetime import datetime

from .problems import ApiError, invalid_param, invalid_request
from .times import format_time, parse_time

TWEET_FIELDS = frozenset(
    "article attachments author_id card_uri community_id context_annotations conversation_id"
    " created_at display_text_range edit_controls edit_history_tweet_ids entities geo id"
    " in_reply_to_user_id lang media_metadata non_public_metrics note_tweet organic_metrics"
    " possibly_sensitive promoted_metrics public_metrics referenced_tweets reply_settings scopes"
    " source text withheld".split()
)
USER_FIELDS = frozenset(
    "affiliation connection_status created_at description entities id location"
    " most_recent_tweet_id name pinned_tweet_id profile_banner_url profile_image_url protected"
    " public_metrics receives_your_dm subscription_type url username verified verified_type"
    " withheld".split()
)
TWEET_EXPANSIONS = frozenset(
    "article.cover_media article.media_entities attachments.media_keys"
    " attachments.media_source_tweet attachments.poll_ids author_id edit_history_tweet_ids"
    " entities.mentions.username entities.note.mentions.username geo.place_id"
    " in_reply_to_user_id referenced_tweets.id referenced_tweets.id.attachments.media_keys"
    " referenced_tweets.id.author_id".split()
)
USER_EXPANSIONS = frozenset("affiliation.user_id most_recent_tweet_id pinned_tweet_id".split())
# Accepted (and ignored) because tweepy may send them; the sandbox has no media, polls or places.
IGNORED_PARAMS = frozenset({"media.fields", "place.fields", "poll.fields"})
_ID_RE = re.compile(r"^[0-9]{1,19}$")
_CURSOR_PREFIX = "sbx1:"


def check_known(args: Mapping[str, str], allowed: Iterable[str]) -> None:
    """Reject query parameters the endpoint does not know, as X does."""
    allowed_set = set(allowed) | IGNORED_PARAMS
    unknown = [name for name in args if name not in allowed_set]
    if unknown:
        listed = ",".join(sorted(allowed_set))
        raise invalid_request(
            f"The query parameters [{','.join(unknown)}] is not one of [{listed}]",
            {name: [args[name]] for name in unknown},
        )


def parse_id(name: str, value: str | None) -> int | None:
    """Parse a snowflake id parameter (None when absent)."""
    if value is None:
        return None
    if not _ID_RE.match(value):
        raise invalid_param(name, value, "does not match ^[0-9]{1,19}$")
    return int(value)


def parse_max_results(value: str | None, low: int, high: int, default: int) -> int:
    """Parse max_results and check its range."""
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise invalid_param("max_results", value, "is not a valid integer") from None
    if not low <= number <= high:
        raise invalid_param("max_results", value, f"is not between {low} and {high}")
    return number


def parse_timestamp(name: str, value: str | None) -> datetime | None:
    """Parse an RFC 3339 parameter such as start_time."""
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError:
        raise invalid_param(name, value, "is not a valid RFC3339 date-time") from None


def parse_csv(name: str, value: str | None, allowed: frozenset[str]) -> set[str]:
    """Parse a comma-separated list (tweet.fields, expansions...) against the allowed names."""
    if value is None or value == "":
        return set()
    items = [item.strip() for item in value.split(",")]
    for item in items:
        if item not in allowed:
            raise invalid_param(name, item, f"is not one of [{','.join(sorted(allowed))}]")
    return set(items)


def encode_token(until_id: int) -> str:
    """Return an opaque pagination token that resumes below until_id."""
    raw = base64.b32encode(f"{_CURSOR_PREFIX}{until_id}".encode()).decode()
    return raw.rstrip("=").lower()


def decode_token(name: str, value: str | None) -> int | None:
    """Decode a pagination token into the exclusive upper id bound (None when absent)."""
    if value is None:
        return None
    try:
        padded = value.upper() + "=" * (-len(value) % 8)
        raw = base64.b32decode(padded).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    if not raw.startswith(_CURSOR_PREFIX) or not raw[len(_CURSOR_PREFIX) :].isdigit():
        raise invalid_param(name, value, "is not valid")
    return int(raw[len(_CURSOR_PREFIX) :])


def time_window(start: datetime | None, end: datetime | None) -> tuple[str | None, str | None]:
    """Check start < end and return both as stored-format strings."""
    if start is not None and end is not None and start >= end:
        raise ApiError(
            400,
            {
                "errors": [
                    {
                        "parameters": {
                            "start_time": [format_time(start)],
                            "end_time": [format_time(end)],
                        },
                        "message": f"Invalid 'start_time':'{format_time(start)}'."
                        f" 'start_time' must be before 'end_time':'{format_time(end)}'",
                    }
                ],
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.twitter.com/2/problems/invalid-request",
            },
        )
    return (
        None if start is None else format_time(start),
        None if end is None else format_time(end),
    )
