"""Time zones: which zone a reader sees times in, the zones a person may choose, and the label.

Times are stored in UTC (database.UTCDateTime) and shown in the reader's zone, with the zone
written next to them ("Dec 4, 2026, 6:00:00 PM KST"), so nobody has to guess. The zone is:

1. the signed-in person's own choice (`users.timezone`, set on /me), else
2. the site's `IDEABOARD_TIMEZONE` (an IANA name such as "Asia/Seoul"), if set, else
3. the default for the reader's language: Asia/Seoul for Korean, UTC for the others.

Anonymous visitors get 2 or 3, which depend only on the language, so the anonymous page cache
(pagecache.py, keyed by language and zone) never shows one visitor's zone to another.
E-mails are rendered in their recipient's zone the same way (mail/letters.py).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import cache, lru_cache
from typing import Any

import pytz  # type: ignore[import-untyped]  # flask-babel's zones are pytz's
from babel.dates import get_timezone_location
from flask import current_app, has_request_context
from flask_babel import get_timezone
from flask_login import current_user

from .i18n import N_, current_language

# The default zone per language when IDEABOARD_TIMEZONE is not set; others get UTC.
DEFAULT_BY_LANGUAGE = {"ko": "Asia/Seoul"}
FALLBACK_ZONE = "UTC"
# Listed first in the profile's choice (the rest follow by region).
COMMON_ZONES = (
    "Asia/Seoul",
    "UTC",
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Asia/Kolkata",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Australia/Sydney",
)
ZONE_MAX = 64  # users.timezone is String(64); the longest IANA name is 32 characters


REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


@cache
def available_zones() -> frozenset[str]:
    """The zones a person may choose: zoneinfo's, limited to the current canonical
    Region/City names and UTC (no "US/Eastern"-style aliases or "Etc/GMT+5" puzzles)."""
    common = zoneinfo.available_timezones() & set(pytz.common_timezones)
    return frozenset(name for name in common if name == "UTC" or name.split("/")[0] in REGIONS)


def is_zone(name: object) -> bool:
    """Whether name is one of the zones a person may choose."""
    return isinstance(name, str) and len(name) <= ZONE_MAX and name in available_zones()


def check_timezone_setting(config: Mapping[str, Any]) -> None:
    """Refuse to start with an IDEABOARD_TIMEZONE that is not a known zone name."""
    configured = config.get("IDEABOARD_TIMEZONE")
    if configured and not is_zone(configured):
        raise ValueError(
            f"IDEABOARD_TIMEZONE={configured!r} is not a time zone name (e.g. Asia/Seoul, UTC)"
        )


def default_zone(language: str | None) -> str:
    """The zone of a reader without a choice of their own: the site's, else their language's."""
    configured = current_app.config.get("IDEABOARD_TIMEZONE") if current_app else None
    if configured and is_zone(configured):
        return str(configured)
    return DEFAULT_BY_LANGUAGE.get((language or "").split("-")[0].split("_")[0], FALLBACK_ZONE)


def zone_of(user: Any, language: str | None) -> str:
    """The zone times are shown to user in (None: an anonymous reader of that language)."""
    chosen = getattr(user, "timezone", None)
    if chosen and is_zone(chosen):
        return str(chosen)
    return default_zone(language)


def select_timezone() -> str:
    """flask-babel's timezone selector: the reader's zone for this request."""
    user = None
    if has_request_context() and current_user and current_user.is_authenticated:
        user = current_user
    return zone_of(user, current_language())


@contextmanager
def force_timezone(zone: str) -> Iterator[None]:
    """Show times in zone inside the block (an e-mail for its recipient), then restore."""
    from flask_babel import _get_current_context

    ctx = _get_current_context()
    if ctx is None:
        yield
        return
    missing = object()
    previous = getattr(ctx, "babel_tzinfo", missing)
    ctx.babel_tzinfo = pytz.timezone(zone)
    try:
        yield
    finally:
        if previous is missing:
            del ctx.babel_tzinfo
        else:
            ctx.babel_tzinfo = previous


def _offset_text(offset: timedelta | None) -> str:
    """ "GMT+9", "GMT+5:30", "GMT-3", "GMT" for an offset from UTC."""
    minutes = int((offset or timedelta()).total_seconds() // 60)
    if minutes == 0:
        return "GMT"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"GMT{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label(moment: datetime, tz: Any = None) -> str:
    """What to write after a time shown in tz (default: the reader's): its common abbreviation
    ("KST", "UTC", "EST", "CET"), else its offset ("GMT+4", "GMT-3")."""
    tz = tz or get_timezone() or pytz.utc
    local = moment.astimezone(tz)
    abbreviation = local.tzname() or ""
    if abbreviation.isalpha() and abbreviation.isupper() and 2 <= len(abbreviation) <= 5:
        return abbreviation
    return _offset_text(local.utcoffset())


def _utc_offset_text(offset: timedelta | None) -> str:
    """ "UTC+9", "UTC+5:30", "UTC-3", "UTC" (the option labels: UTC reads in both languages)."""
    return "UTC" + _offset_text(offset)[3:]


@lru_cache(maxsize=2048)
def zone_name(name: str, locale: str) -> str:
    """A zone's name for people, in their language: "South Korea Time", "대한민국 시간"."""
    if name == FALLBACK_ZONE:
        return "UTC"
    try:
        return str(get_timezone_location(name, locale=locale))
    except (LookupError, ValueError):  # a zone CLDR does not name
        return name.replace("_", " ")


# The regions of the zone list, translated where shown (N_ marks them for extraction).
REGION_NAMES = {
    "Africa": N_("Africa"),
    "America": N_("America"),
    "Antarctica": N_("Antarctica"),
    "Arctic": N_("Arctic"),
    "Asia": N_("Asia"),
    "Atlantic": N_("Atlantic"),
    "Australia": N_("Australia"),
    "Europe": N_("Europe"),
    "Indian": N_("Indian Ocean"),
    "Pacific": N_("Pacific"),
}


def zone_choices(now: datetime, locale: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The profile's zone list, grouped: the common zones first (group ""), then every other
    zone by region (its English key: the caller translates REGION_NAMES).

    Each option reads "(UTC+9) South Korea Time", the offset as of now, the name in locale;
    within a region the options go by offset, then name.
    """
    zones = available_zones()

    def option(name: str) -> tuple[timedelta, str, str]:
        offset = now.astimezone(zoneinfo.ZoneInfo(name)).utcoffset() or timedelta()
        label = zone_name(name, locale)
        return offset, name, f"({_utc_offset_text(offset)}) {label}"

    common = [option(name)[1:] for name in COMMON_ZONES if name in zones]
    regions: dict[str, list[tuple[timedelta, str, str]]] = {}
    for name in zones - set(COMMON_ZONES):
        region = name.split("/")[0]
        regions.setdefault(region, []).append(option(name))
    grouped = [
        (region, [(value, text) for _offset, value, text in sorted(options, key=_by_offset)])
        for region, options in sorted(regions.items())
    ]
    return [("", common), *grouped]


def _by_offset(option: tuple[timedelta, str, str]) -> tuple[timedelta, str]:
    return option[0], option[2]
