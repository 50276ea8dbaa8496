"""Identifiers the way atproto writes them: DIDs, record keys (TIDs), CIDs and at:// URIs.

The sandbox makes them in the documented shapes so that clients parse them as they would
Bluesky's: a DID is `did:plc:` and 24 base32 characters, a record key is a 13-character TID
(microseconds since 1970 and a clock id, sortable base32), a CID is a CIDv1 (dag-cbor,
sha2-256) in base32. The CID hashes the record's canonical JSON rather than its DAG-CBOR
bytes: it identifies a record version just as well, and nothing here verifies blocks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

_SORTABLE_BASE32 = "234567abcdefghijklmnopqrstuvwxyz"
POST_COLLECTION = "app.bsky.feed.post"
MAX_URI_CHARS = 300  # IdeaBoard keeps post ids in 300 characters; real post URIs are ~75

_AT_URI_RE = re.compile(
    r"^at://(?P<repo>did:[a-z]+:[A-Za-z0-9._:%-]{1,200})/(?P<collection>[a-zA-Z0-9.-]{1,100})"
    r"/(?P<rkey>[A-Za-z0-9._:~-]{1,100})$"
)
DID_RE = re.compile(r"^did:[a-z]+:[A-Za-z0-9._:%-]{1,200}$")
# A handle is a domain name: two labels or more, the last starting with a letter.
HANDLE_RE = re.compile(
    r"^(?=.{3,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}"
    r"[a-zA-Z0-9])?$"
)


@dataclass(frozen=True)
class AtUri:
    """The parts of an at://<repo>/<collection>/<rkey> record address."""

    repo: str
    collection: str
    rkey: str

    def __str__(self) -> str:
        return f"at://{self.repo}/{self.collection}/{self.rkey}"


def parse_at_uri(value: str) -> AtUri:
    """Split a record URI whose authority is a DID; raise ValueError when it is not one."""
    match = _AT_URI_RE.match(value or "") if len(value or "") <= MAX_URI_CHARS else None
    if match is None:
        raise ValueError(f"not an at:// record URI: {value[:80]!r}")
    return AtUri(match["repo"], match["collection"], match["rkey"])


def did_for(handle: str) -> str:
    """A stable did:plc for a handle (the same handle always gets the same DID here)."""
    digest = hashlib.sha256(b"sandbox-plc:" + handle.lower().encode()).digest()
    return "did:plc:" + base64.b32encode(digest).decode().lower()[:24]


def tid(microseconds: int, clock_id: int = 0) -> str:
    """A timestamp identifier: 64 bits (53 of time, 10 of clock id) in sortable base32."""
    value = ((microseconds & ((1 << 53) - 1)) << 10) | (clock_id & 0x3FF)
    chars = []
    for _ in range(13):
        chars.append(_SORTABLE_BASE32[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def cid_for(record: dict[str, Any]) -> str:
    """A CIDv1 (codec dag-cbor 0x71, multihash sha2-256) of the record, base32 with prefix b."""
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode()).digest()
    raw = bytes([0x01, 0x71, 0x12, 0x20]) + digest
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")
