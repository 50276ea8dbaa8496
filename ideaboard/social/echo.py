"""Who hears about a stage change on X, held fan-outs, and replies a newer change replaced.

A public stage change of an idea is answered on every post that raised it: the idea's own
post, every post counted as a vote for it (a mention the importer matched to it, or a reply to
its post — the mention log's `voted` rows), and the same for the ideas merged into it. Each
person (a network user) hears once, on their latest post.

Above IDEABOARD_ECHO_MAX_REPLIES replies for one change the rows are written `held`: staff
see the number and the estimated cost on the idea's staff page and the outbox page, and
confirm them (→ pending) or cancel them.

A stage reply still waiting (pending, failed, parked or held) when a newer stage change of
the same post is enqueued becomes `superseded` and is never sent: two quick stage changes
send one reply per post, the latest. A reply already `sending` belongs to a worker and is left
alone (the conditional UPDATE skips it), so then the newer reply goes too.

Services here flush, never commit.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import func, select, update

from ..database import rows_matched
from ..extensions import db
from ..ideas.models import Idea
from ..outbox import rules as outbox_rules
from ..outbox.models import OutboxMessage, OutboxState
from ..triage.models import StatusChange
from .models import MentionLog, MentionOutcome, SocialAccount, SocialIdentity
from .networks import NETWORKS, REPLY_KINDS

# States of a stage reply that has not gone out and may still be replaced by a newer one.
WAITING_STATES = (
    OutboxState.PENDING.value,
    OutboxState.FAILED.value,
    OutboxState.PARKED.value,
    OutboxState.HELD.value,
)
MERGE_DEPTH = 5  # ideas merged into ideas merged into …: followed this deep
_CHUNK = 500  # post ids per IN (…) list
MAX_THREAD_PARTS = 3  # a stage reply and its note: at most this many posts (compose.py)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class EchoPost:
    """One post a stage change answers."""

    post_id: str
    account_id: int | None  # the brand account it came in through answers it
    lang: str | None  # the post's language, if known
    idea: Idea  # the idea the post raised (its title is quoted in the reply)
    # Who wrote it: "<network>:<user id>", else "handle:<network>:<handle>", else
    # "post:<id>". The same human on two networks is two people: each hears on their own.
    person: str
    posted_at: datetime | None
    handle: str = ""  # the author's handle, named in a thread's continuations
    network: str = "x"  # the network the post is on

    @property
    def order(self) -> tuple[datetime, int]:
        """Sort key: newer posts last (post ids are time-ordered on X)."""
        number = int(self.post_id) if self.post_id.isdigit() else 0
        return (self.posted_at or _EPOCH, number)


def with_merged(ideas: Iterable[Idea]) -> list[Idea]:
    """Return the ideas and the ideas merged into them, transitively (MERGE_DEPTH levels)."""
    found: dict[int, Idea] = {}
    level = list(ideas)
    for _depth in range(MERGE_DEPTH + 1):
        fresh = [idea for idea in level if idea.id not in found]
        if not fresh:
            break
        found.update((idea.id, idea) for idea in fresh)
        ids = [idea.id for idea in fresh]
        level = list(db.session.scalars(select(Idea).where(Idea.merged_into_id.in_(ids))).unique())
    return list(found.values())


def _guess_lang(text: str) -> str | None:
    """A language for a post logged without one: Korean if it has Hangul, else unknown."""
    return "ko" if any("\uac00" <= ch <= "\ud7a3" for ch in text) else None


def _account_networks() -> dict[int, str]:
    """Return {account id: network} for every connected account (a handful)."""
    return {
        row.id: row.network
        for row in db.session.execute(select(SocialAccount.id, SocialAccount.network))
    }


def _authors(
    ideas: Sequence[Idea], logs: Sequence[MentionLog]
) -> tuple[dict[int, str], dict[tuple[str, str], str]]:
    """Return {shadow user id: network user id} and {(network, folded handle): user id}."""
    user_ids = {idea.author_id for idea in ideas if idea.author_id is not None}
    handles = {log.author_handle.casefold() for log in logs if not log.author_remote_id}
    handles |= {
        (idea.source_author_handle or "").casefold() for idea in ideas if idea.source_author_handle
    }
    by_user: dict[int, str] = {}
    by_handle: dict[tuple[str, str], str] = {}
    if user_ids:
        for user_id, remote in db.session.execute(
            select(SocialIdentity.user_id, SocialIdentity.remote_user_id).where(
                SocialIdentity.user_id.in_(user_ids)
            )
        ):
            by_user[user_id] = remote  # a shadow user has one identity, on one network
    handles.discard("")
    if handles:
        for slug, handle, remote in db.session.execute(
            select(SocialIdentity.network, SocialIdentity.handle, SocialIdentity.remote_user_id)
            .where(SocialIdentity.handle.in_(sorted(handles)))
            .order_by(SocialIdentity.id)
        ):
            by_handle.setdefault((slug, handle.casefold()), remote)
    return by_user, by_handle


def _person(
    slug: str,
    remote: str | None,
    handle: str | None,
    post_id: str,
    by_handle: dict[tuple[str, str], str],
) -> str:
    if remote:
        return f"{slug}:{remote}"
    folded = (handle or "").casefold()
    if (slug, folded) in by_handle:
        return f"{slug}:{by_handle[(slug, folded)]}"
    return f"handle:{slug}:{folded}" if folded else f"post:{post_id}"


def audience(ideas: Iterable[Idea]) -> tuple[list[EchoPost], set[str]]:
    """Return the posts a stage change of these ideas answers (one per person, the latest)
    and every post id that raised them (a person's older posts included)."""
    family = with_merged(ideas)
    ids = [idea.id for idea in family]
    logs: list[MentionLog] = []
    for start in range(0, len(ids), _CHUNK):
        logs += db.session.scalars(
            select(MentionLog)
            .where(
                MentionLog.idea_id.in_(ids[start : start + _CHUNK]),
                MentionLog.outcome == MentionOutcome.VOTED.value,
            )
            .order_by(MentionLog.id)
        )
    networks = _account_networks()
    by_user, by_handle = _authors(family, logs)
    by_id = {idea.id: idea for idea in family}
    candidates: dict[str, EchoPost] = {}
    for idea in family:
        if idea.source not in NETWORKS or not idea.source_post_id:
            continue  # a web idea has no post to reply to
        remote = by_user.get(idea.author_id) if idea.author_id is not None else None
        candidates.setdefault(
            idea.source_post_id,
            EchoPost(
                post_id=idea.source_post_id,
                account_id=idea.source_account_id,
                lang=idea.source_lang,
                idea=idea,
                person=_person(
                    idea.source, remote, idea.source_author_handle, idea.source_post_id, by_handle
                ),
                posted_at=idea.created_at,
                handle=idea.source_author_handle or "",
                network=idea.source,
            ),
        )
    for log in logs:
        if log.idea_id is None or log.post_id in candidates:
            continue  # the same post logged by a second account is answered once
        candidates[log.post_id] = EchoPost(
            post_id=log.post_id,
            account_id=log.account_id,
            lang=log.lang or _guess_lang(log.text),
            idea=by_id[log.idea_id],
            person=_person(
                networks.get(log.account_id, "x"),
                log.author_remote_id,
                log.author_handle,
                log.post_id,
                by_handle,
            ),
            posted_at=log.posted_at or log.fetched_at,
            handle=log.author_handle or "",
            network=networks.get(log.account_id, "x"),
        )
    latest: dict[str, EchoPost] = {}
    for post in candidates.values():
        kept = latest.get(post.person)
        if kept is None or post.order > kept.order:
            latest[post.person] = post
    chosen = sorted(latest.values(), key=lambda post: post.order)
    return chosen, set(candidates)


def max_replies() -> int:
    """How many replies one stage change may send without a staff member's confirmation."""
    return int(current_app.config["IDEABOARD_ECHO_MAX_REPLIES"])


def state_for(count: int) -> str:
    """The state a stage change's replies start in: held above the limit, else pending."""
    return OutboxState.HELD.value if count > max_replies() else OutboxState.PENDING.value


def supersede_older(change: StatusChange, post_ids: Collection[str]) -> int:
    """Mark the waiting stage replies of other changes to these posts superseded; count them.

    A conditional UPDATE: a row a worker has claimed (`sending`) does not match and goes out.
    The continuations of a superseded reply's thread (social/threads.py, `waiting` for it)
    are superseded with it; those of a reply that goes out stay and follow it.
    """
    ids = sorted(post_ids)
    total = 0
    for start in range(0, len(ids), _CHUNK):
        result = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.kind.in_(REPLY_KINDS),
                OutboxMessage.status_change_id.is_not(None),
                OutboxMessage.status_change_id != change.id,
                OutboxMessage.target.in_(ids[start : start + _CHUNK]),
                OutboxMessage.state.in_(WAITING_STATES),
            )
            .values(
                state=OutboxState.SUPERSEDED.value,
                last_error=f"superseded by status change #{change.id}",
            )
            .returning(OutboxMessage.dedupe_key)
        )
        keys = list(result.scalars())
        total += len(keys)
        parts = [f"{key}:part:{n}" for key in keys for n in range(2, MAX_THREAD_PARTS + 1)]
        for first in range(0, len(parts), _CHUNK):
            db.session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.dedupe_key.in_(parts[first : first + _CHUNK]),
                    OutboxMessage.state == OutboxState.WAITING.value,
                )
                .values(
                    state=OutboxState.SUPERSEDED.value,
                    last_error=f"superseded by status change #{change.id}",
                )
                .execution_options(synchronize_session=False)
            )
    return total


# --- held fan-outs: what staff see and confirm ---------------------------------------------


@dataclass(frozen=True)
class HeldEcho:
    """A stage change's replies waiting for a staff member's confirmation."""

    change: StatusChange
    count: int
    cost_usd: float


def held_changes_count() -> int:
    """How many stage changes hold replies for a confirmation."""
    held = select(func.count(func.distinct(OutboxMessage.status_change_id))).where(
        OutboxMessage.state == OutboxState.HELD.value
    )
    return int(db.session.scalar(held) or 0)


def held_echoes(idea: Idea | None = None, *, limit: int | None = None) -> list[HeldEcho]:
    """Return the held fan-outs (of one idea's stage changes, or all), oldest first; with a
    limit, those of the oldest `limit` stage changes only (a list page stays bounded)."""
    query = select(OutboxMessage).where(OutboxMessage.state == OutboxState.HELD.value)
    if idea is not None:
        query = query.join(StatusChange, StatusChange.id == OutboxMessage.status_change_id).where(
            StatusChange.idea_id == idea.id
        )
    if limit is not None:
        oldest = (
            select(OutboxMessage.status_change_id)
            .where(
                OutboxMessage.state == OutboxState.HELD.value,
                OutboxMessage.status_change_id.is_not(None),
            )
            .group_by(OutboxMessage.status_change_id)
            .order_by(func.min(OutboxMessage.id))
            .limit(limit)
        )
        query = query.where(OutboxMessage.status_change_id.in_(oldest))
    counts: dict[int, int] = {}
    costs: dict[int, float] = {}
    for row in db.session.scalars(query.order_by(OutboxMessage.id)):
        if row.status_change_id is None:
            continue
        counts[row.status_change_id] = counts.get(row.status_change_id, 0) + 1
        costs[row.status_change_id] = costs.get(row.status_change_id, 0.0) + (
            outbox_rules.estimated_cost(row)
        )
    held = []
    for change_id, count in counts.items():
        change = db.session.get(StatusChange, change_id)
        if change is not None:
            held.append(HeldEcho(change, count, round(costs[change_id], 4)))
    return held


def confirm_held(change_id: int, now: datetime) -> int:
    """Send a held fan-out: its rows become pending and due now; return how many."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status_change_id == change_id,
            OutboxMessage.state == OutboxState.HELD.value,
        )
        .values(state=OutboxState.PENDING.value, next_attempt_at=now, last_error=None)
    )
    return rows_matched(result)


def cancel_held(change_id: int) -> int:
    """Cancel a held fan-out (none of its replies is sent); return how many rows."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status_change_id == change_id,
            OutboxMessage.state == OutboxState.HELD.value,
        )
        .values(state=OutboxState.CANCELLED.value, last_error="cancelled by staff before sending")
    )
    return rows_matched(result)
