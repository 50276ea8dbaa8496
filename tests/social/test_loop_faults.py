"""Fault soak: the outbox against a flaky sandbox X API on 127.0.0.1 sends every reply exactly once.

64 acknowledgement rows, each to its own imported post, are delivered while the sandbox answers
30 % of requests with 500/503, throws bursts of 429 and lets some POSTs time out on the client
while still creating the post (the ambiguous case). Time is moved forward between rounds with the
jobs' clock, so backoff and rate-limit resets pass without sleeping. A second soak does the same
with one stage change fanned out to an idea's poster, its voters on X and a merged duplicate's.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.outbox.delivery import deliver_due
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social import jobs
from ideaboard.social.connectors import FetchError, Mention, Posted, SendError, XConnector
from ideaboard.social.models import SocialAccount
from ideaboard.social.senders import social_senders
from ideaboard.triage.services import change_stage, find_stage, merge_ideas
from sandboxes.x import SandboxStore, clear_faults, post_mention, set_faults, set_rate_limits
from tests.helpers import Clock

ROWS = 64
MAX_ROUNDS = 40
CLIENT_TIMEOUT_S = 0.3
SEED = 2026


class FlakyNetwork:
    """Arms the sandbox's faults: a seeded mix per round, and a burst of 429s every 20 posts."""

    def __init__(self, store: SandboxStore) -> None:
        self.store = store
        self.posts = 0
        self.arms = 0

    def arm(self, *, burst: int = 0) -> None:
        self.arms += 1
        set_faults(
            self.store,
            error_rate=0.3,
            timeout_rate=0.05,
            timeout_sleep_s=CLIENT_TIMEOUT_S + 0.15,  # the server finishes just after we gave up
            burst_429=burst,
            burst_429_reset_s=2,
            seed=SEED + self.arms,
        )

    def before_post(self) -> None:
        self.posts += 1
        if self.posts % 20 == 0:
            self.arm(burst=2)


def kind_of(error: SendError) -> str:
    if error.retry_at is not None or "rate limited" in error.message:
        return "429"
    if "timed out" in error.message or error.message.startswith("timeout"):
        return "timeout"
    if re.search(r"\b5\d\d\b", error.message):
        return "5xx"
    if error.duplicate:
        # X refused a copy: the attempt that timed out landed after the check for it (on a
        # loaded machine the server may finish after the next round asked). The sender
        # records the row as found, and the reply counts below prove nothing went out twice.
        return "refused as duplicate"
    return "other: " + error.message[:80]


class CountingConnector:
    """The real XConnector, counting what the network did to each call."""

    def __init__(self, inner: XConnector, network: FlakyNetwork, seen: Counter[str]) -> None:
        self.inner = inner
        self.network = network
        self.seen = seen

    def _call(self, label: str, call: Callable[[], Any]) -> Any:
        self.seen[label] += 1
        try:
            return call()
        except SendError as error:
            self.seen[kind_of(error)] += 1
            raise

    def post_reply(self, text: str, in_reply_to: str) -> Posted:
        self.network.before_post()
        return self._call("posts", lambda: self.inner.post_reply(text, in_reply_to))

    def post(self, text: str) -> Posted:
        return self._call("posts", lambda: self.inner.post(text))

    def find_reply(self, in_reply_to: str, text: str) -> str | None:
        return self._call("lookups", lambda: self.inner.find_reply(in_reply_to, text))

    def fetch_mentions(self, *, since_id: str | None, start_time: datetime | None) -> list[Mention]:
        raise FetchError("not used here")

    def close(self) -> None:
        self.inner.close()


def deliver_under_faults(
    x_app: Any, sandbox_store: SandboxStore, clock: Clock, expected: int
) -> tuple[Counter[str], Counter[str], Counter[str], int]:
    """Deliver rounds against the flaky sandbox until `expected` rows are sent (or one is dead);
    return what the network did, the delivery totals, the row states and the rounds run."""
    x_app.config["IDEABOARD_X_TIMEOUT_SECONDS"] = CLIENT_TIMEOUT_S
    set_rate_limits(sandbox_store, scale=3)  # injected 429s only; a real window lasts 15 min
    network = FlakyNetwork(sandbox_store)
    seen: Counter[str] = Counter()
    totals: Counter[str] = Counter()

    def factory(account: SocialAccount) -> CountingConnector:
        return CountingConnector(jobs.connector_for(account), network, seen)

    states: Counter[str] = Counter()
    rounds = 0
    try:
        network.arm(burst=2)
        while rounds < MAX_ROUNDS:
            rounds += 1
            result = deliver_due(worker="soak-worker", senders=social_senders(factory))
            totals.update({k: v for k, v in vars(result).items() if v})
            db.session.expire_all()
            states = Counter(db.session.scalars(select(OutboxMessage.state)))
            if states["sent"] == expected or states["dead"]:
                break
            clock.advance(hours=2)  # past any backoff (≤ 1.5 h) and any 429 reset
    finally:
        clear_faults(sandbox_store)

    return seen, totals, states, rounds


def test_outbox_under_faults_sends_every_reply_exactly_once(
    x_app: Any,
    brand_account: SocialAccount,
    import_posts: Callable[..., tuple[list[dict[str, Any]], list[Idea]]],
    sandbox_store: SandboxStore,
    brand_replies: Callable[[], dict[str, list[dict[str, Any]]]],
    clock: Clock,
) -> None:
    posts, ideas = import_posts(
        *(
            (f"fan{n}", f"@hanbit #아이디어 q{n:04d}a q{n:04d}b 요금제 옵션")
            if n % 2
            else (f"fan{n}", f"@hanbit #idea q{n:04d}a q{n:04d}b plan option")
            for n in range(ROWS)
        )
    )
    assert all(ideas)
    targets = {str(p["id"]) for p in posts}
    queued = list(db.session.scalars(select(OutboxMessage)))
    assert len(queued) == ROWS
    assert {r.target for r in queued} == targets

    seen, totals, states, rounds = deliver_under_faults(x_app, sandbox_store, clock, ROWS)
    failures = sum(v for k, v in seen.items() if k not in ("posts", "lookups"))
    replies = brand_replies()
    reply_count = sum(len(r) for r in replies.values())
    duplicates = reply_count - len(replies)
    print(
        f"\nfault soak: rows={ROWS} rounds={rounds} requests={seen['posts']} posts + "
        f"{seen['lookups']} lookups, injected failures seen={failures} "
        f"(5xx={seen['5xx']}, 429={seen['429']}, timeouts={seen['timeout']}), "
        f"sent={states['sent']} (found on X after a timeout={totals['found_existing']}), "
        f"dead={states['dead']}, replies={reply_count}, duplicates={duplicates}"
    )

    assert not [k for k in seen if k.startswith("other")], seen
    assert seen["5xx"] >= 10, seen
    assert seen["429"] >= 2, seen
    assert seen["timeout"] >= 1, seen
    assert states == {"sent": ROWS}, states
    assert set(replies) == targets
    assert duplicates == 0
    sent = list(db.session.scalars(select(OutboxMessage)))
    assert {r.remote_id for r in sent} == {r[0]["id"] for r in replies.values()}
    assert all(replies[r.target][0]["id"] == r.remote_id for r in sent)
    assert all(r.attempts <= r.max_attempts for r in sent)
    # Timed-out POSTs that landed anyway were found by the lookup, not posted a second time.
    assert totals["found_existing"] >= 1


VOTERS = 40
MERGED_VOTERS = 7


def test_stage_fan_out_to_voters_under_faults_reaches_each_post_exactly_once(
    x_app: Any,
    brand_account: SocialAccount,
    sandbox_store: SandboxStore,
    brand_replies: Callable[[], dict[str, list[dict[str, Any]]]],
    make_user: Callable[..., Any],
    clock: Clock,
) -> None:
    """One idea with 40 voters who replied on X, and a merged duplicate with 7 more: its
    stage change answers all 49 posts once each through the same 30 % faults and 429s; the
    duplicate's unsent merge replies are superseded by the stage change and never sent."""
    brand_account.acknowledge = False
    db.session.commit()
    connector = jobs.connector_for(brand_account)
    try:
        idea_post = post_mention(
            sandbox_store, username="origin", text="@hanbit #idea q9001a q9001b eSIM"
        )
        dup_post = post_mention(
            sandbox_store, username="dup", text="@hanbit #아이디어 q9002a q9002b 이심"
        )
        voters = [
            post_mention(
                sandbox_store,
                username=f"voter{n}",
                text="@hanbit #아이디어 저도요" if n % 2 else "@hanbit #idea me too",
                in_reply_to_tweet_id=str((idea_post if n < VOTERS else dup_post)["id"]),
            )
            for n in range(VOTERS + MERGED_VOTERS)
        ]
        result = jobs.run_import(brand_account, connector, owner="soak-importer")
    finally:
        connector.close()
    assert result is not None
    assert (result.imported, result.voted) == (2, VOTERS + MERGED_VOTERS)
    idea, duplicate = (
        db.session.scalar(select(Idea).where(Idea.source_post_id == str(p["id"])))
        for p in (idea_post, dup_post)
    )
    assert idea is not None
    assert duplicate is not None
    staff = make_user("staff", initials="KG")
    merge_ideas(duplicate, idea, staff)
    db.session.commit()
    assert len(list(db.session.scalars(select(OutboxMessage)))) == 1 + MERGED_VOTERS
    change_stage(idea, find_stage("planned"), "On the plan", staff, check_workflow=False)
    db.session.commit()
    expected = 2 + VOTERS + MERGED_VOTERS
    targets = {str(p["id"]) for p in (idea_post, dup_post, *voters)}

    seen, totals, states, rounds = deliver_under_faults(x_app, sandbox_store, clock, expected)

    replies = brand_replies()
    reply_count = sum(len(r) for r in replies.values())
    print(
        f"\nfan-out fault soak: posts={expected} rounds={rounds} requests={seen['posts']} posts"
        f" + {seen['lookups']} lookups (5xx={seen['5xx']}, 429={seen['429']}, "
        f"timeouts={seen['timeout']}), states={dict(states)}, replies={reply_count}, "
        f"duplicates={reply_count - len(replies)}"
    )
    assert not [k for k in seen if k.startswith("other")], seen
    assert seen["5xx"] >= 5, seen
    assert seen["429"] >= 2, seen
    assert states == {"sent": expected, "superseded": 1 + MERGED_VOTERS}, states
    assert set(replies) == targets
    assert reply_count == expected  # one reply per post: no duplicates, no merge replies
    assert all("[Planned]" in r[0]["text"] or "[계획됨]" in r[0]["text"] for r in replies.values())
