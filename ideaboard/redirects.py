"""Redirect targets taken from requests (`next`, the Referer) stay on this site.

Every redirect whose target comes from the request goes through `safe_target`; a target
it does not accept is replaced by the fallback, never repaired. What is accepted is a path
on this site: it starts with one "/", has no scheme and no host, no backslash, no encoded
slash or backslash in its path (at any level of percent-encoding), and no control, format
or white-space characters (browsers drop tabs and newlines from URLs, so "/\\t/evil.example"
would become "//evil.example").
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from flask import current_app, request

# A target longer than this is not one of our pages.
MAX_TARGET = 2000
# %2f, %5c and their double (triple, …) encodings: %252f, %25252f.
_ENCODED_SLASH = re.compile(r"%(?:25)*(?:2f|5c)", re.IGNORECASE)
_DECODE_ROUNDS = 4


def _is_site_path(target: str) -> bool:
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if not target.isprintable() or any(ch.isspace() for ch in target):
        return False  # control, format (bidi, zero-width) and white-space characters
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return False
    if _ENCODED_SLASH.search(parts.path):
        return False
    # Percent-decoding must not turn the path into something else: "/%2e%2e" is fine, but
    # "/%09/evil.example" or "/%00" are not. Decode a few rounds (double encoding).
    path = parts.path
    for _round in range(_DECODE_ROUNDS):
        decoded = unquote(path)
        if decoded.startswith("//") or "\\" in decoded or not decoded.isprintable():
            return False
        if any(ch.isspace() for ch in decoded):
            return False
        if decoded == path:
            break
        path = decoded
    return True


def safe_target(value: object, fallback: str) -> str:
    """Return value if it is a path on this site (see the module's rules), else fallback."""
    if isinstance(value, str) and 0 < len(value) <= MAX_TARGET and _is_site_path(value):
        return value
    return fallback


def _origin(url: str) -> tuple[str, str] | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return parts.scheme.lower(), parts.netloc.lower()


def referrer_target() -> str | None:
    """Return the Referer reduced to its path and query, if it names a page on this site.

    "This site" is the request's own scheme and host, or IDEABOARD_PUBLIC_URL's; anything
    else (another host, another scheme, no Referer) gives None.
    """
    referrer = request.referrer
    if not referrer or len(referrer) > MAX_TARGET:
        return None
    try:
        parts = urlsplit(referrer)
        origin = _origin(referrer)
    except ValueError:  # e.g. an invalid IPv6 host
        return None
    if origin is None:
        return None
    own = {(request.scheme.lower(), request.host.lower())}
    public = _origin(str(current_app.config.get("IDEABOARD_PUBLIC_URL") or ""))
    if public:
        own.add(public)
    if origin not in own or parts.username is not None or parts.password is not None:
        return None
    path = parts.path or "/"
    target = path + (f"?{parts.query}" if parts.query else "")
    return target if _is_site_path(target) else None
