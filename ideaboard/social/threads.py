"""Threads on X: a reply too long for one post continues in posts that answer the first.

The first post is an ordinary outbox row. Each continuation is a row of its own, written in
the same transaction, in state `waiting`, with no target and payload
`{"thread": <first row id>, "after": <row before it>, "part": n, "parts": total}`; its
dedupe key is the first row's plus ":part:<n>". The loop never claims a waiting row. When a
part is recorded as sent (SocialSender.settle, in the transaction that records it), the next part
gets the first post's id on X as its target and becomes pending: so part 2 goes out after
part 1, part 3 after part 2, and each answers the first post (on Bluesky, whose app shows a
thread as a chain, each answers the part before it: Network.chain_threads). Every part is an
outbox row like any other, so the exactly-once rules (claim, look up before resending) hold
for each.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..outbox.models import OutboxMessage, OutboxState
from .networks import network_of_kind

NOT_SENT_BEFORE = "the post before it in the thread was not sent"
ROOT_UNKNOWN = "the first post of the thread has no known id on X"


def part_key(first: OutboxMessage, part: int) -> str:
    """Return the dedupe key of part `part` (2, 3, …) of the thread that first starts."""
    return f"{first.dedupe_key}:part:{part}"


def enqueue_continuations(first: OutboxMessage, texts: Sequence[str]) -> list[OutboxMessage]:
    """Write the continuation rows of first's thread (waiting); return them. Flushes."""
    if not texts:
        return []
    db.session.flush()  # first.id
    parts = len(texts) + 1
    first.payload = {**(first.payload or {}), "part": 1, "parts": parts}
    rows: list[OutboxMessage] = []
    previous = first
    for part, text in enumerate(texts, start=2):
        payload: dict[str, Any] = {
            key: value
            for key, value in (first.payload or {}).items()
            if key != "in_reply_to_tweet_id"
        }
        payload.update(thread=first.id, after=previous.id, part=part, parts=parts)
        row = OutboxMessage(
            kind=first.kind,
            account_id=first.account_id,
            dedupe_key=part_key(first, part),
            idea_id=first.idea_id,
            status_change_id=first.status_change_id,
            target=None,
            lang=first.lang,
            text=text,
            payload=payload,
            state=OutboxState.WAITING.value,
        )
        db.session.add(row)
        db.session.flush()
        rows.append(row)
        previous = row
    return rows


def root_of(row: OutboxMessage) -> OutboxMessage | None:
    """Return the first row of row's thread (row itself for a first post or a single one)."""
    root_id = (row.payload or {}).get("thread")
    if not root_id:
        return row
    return db.session.get(OutboxMessage, int(root_id))


def release_next(row: OutboxMessage, now: datetime) -> OutboxMessage | None:
    """After row was sent: aim the next part of its thread at the first post (or at row, on
    a network whose threads are chains), make it due.

    Flushes, never commits (the delivery loop's transaction records row's outcome with it).
    """
    payload = row.payload or {}
    part, parts = payload.get("part"), payload.get("parts")
    if row.state != OutboxState.SENT.value or not part or not parts or part >= parts:
        return None
    root = root_of(row)
    if root is None:
        return None
    following = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == part_key(root, int(part) + 1))
    )
    if following is None or following.target or following.state not in _HELD:
        return None
    if not root.remote_id:
        following.state = OutboxState.CANCELLED.value
        following.last_error = ROOT_UNKNOWN
    else:
        _aim(following, _answered(root, row))
        following.state = OutboxState.PENDING.value
        following.next_attempt_at = now
        following.last_error = None
    db.session.flush()
    return following


# States a continuation may be in before its target is known (waiting; or pending/failed when
# staff pressed "Retry now" early: the sender sends it back to wait).
_HELD = (
    OutboxState.WAITING.value,
    OutboxState.PENDING.value,
    OutboxState.FAILED.value,
    OutboxState.PARKED.value,
)


def _answered(root: OutboxMessage, before: OutboxMessage) -> str:
    """The post the part after `before` answers: the first post, or on a network whose
    threads are chains (Bluesky) the part before it."""
    chained = network_of_kind(root.kind)
    if chained is not None and chained.chain_threads and before.remote_id:
        return before.remote_id
    return str(root.remote_id)


def _aim(row: OutboxMessage, remote_id: str) -> None:
    row.target = remote_id
    row.payload = {**(row.payload or {}), "in_reply_to_tweet_id": remote_id}


def check_ready(row: OutboxMessage) -> str | None:
    """For a continuation claimed without a target: aim it if the posts before it are sent.

    Returns None when row may be sent now, "wait" when the post before it is still to be
    sent, or the reason it never can (the post before it was given up or cancelled).
    """
    payload = row.payload or {}
    if row.target or not payload.get("after"):
        return None
    before = db.session.get(OutboxMessage, int(payload["after"]))
    root = root_of(row)
    if before is None or root is None:
        return NOT_SENT_BEFORE
    if before.state in (OutboxState.DEAD.value, OutboxState.CANCELLED.value):
        return NOT_SENT_BEFORE
    if before.state != OutboxState.SENT.value or root.state != OutboxState.SENT.value:
        return "wait"
    if not root.remote_id:
        return ROOT_UNKNOWN
    _aim(row, _answered(root, before))
    db.session.flush()
    return None


def hold(row: OutboxMessage) -> None:
    """Send a continuation claimed too early back to wait for the post before it."""
    row.state = OutboxState.WAITING.value
    row.attempts = max(0, row.attempts - 1)
    db.session.flush()
