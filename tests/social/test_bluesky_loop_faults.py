"""Fault soak on Bluesky: IdeaBoard's importer and outbox against a flaky sandbox PDS on
127.0.0.1 (the real atproto SDK over HTTP) import every tagged mention once and send every
reply exactly once.

40 tagged Korean and English posts addressed to the brand (@mentions, replies to the brand's
own posts, quotes of them) and four tagged votes are imported while the server answers 30 %
of requests with 500/503 and throws bursts of 429; then their acknowledgements, and one stage
change's fan-out with a note too long for one post (a thread of three posts to each of five
people), go out through the same faults plus timeouts after which the server still makes the
post (the ambiguous case). Time moves on with the jobs' clock between rounds, so backoff and
rate-limit resets pass without sleeping.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import pytest
from atproto_client.exceptions import InvokeTimeoutError
from flask import Flask
from sqlalchemy import func, select

from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.outbox.delivery import deliver_due
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social import jobs
from ideaboard.social.connectors import (
    Connector,
    FetchError,
    Identity,
    Mention,
    Posted,
    SendError,
)
from ideaboard.social.models import MentionLog, SocialAccount
from ideaboard.social.senders import social_senders
from ideaboard.triage.services import change_stage, find_stage
from sandboxes.bluesky import (
    SandboxStore,
    clear_faults,
    post_mention,
    set_faults,
    set_rate_limits,
    timeline,
)
from tests.helpers import Clock
from tests.social.bluesky.helpers import BLUESKY_HANDLE

T = TypeVar("T")
MENTIONS = 40
VOTERS = 4
MAX_ROUNDS = 40
CLIENT_TIMEOUT_S = 0.3
SERVER_TIMEOUT_SLEEP_S = CLIENT_TIMEOUT_S + 0.15  # the server finishes just after we gave up
SEED = 2026
AT = f"@{BLUESKY_HANDLE}"
LONG_NOTE = (  # about 620 graphemes: three Bluesky posts
    "검토 결과 내년 1분기 요금제 개편에 반영하기로 했습니다. 네트워크 팀이 이 일을 맡았고, "
    "해외 로밍 중에 남은 데이터를 다음 달로 넘기는 방식과 가족 회선끼리 나누어 쓰는 방식을 "
    "함께 시험하고 있습니다. 시험이 끝나면 일정과 조건을 이 페이지와 답글로 다시 "
    "알려드리겠습니다. "
) * 4


def kind_of(error: FetchError | SendError) -> str:
    """What the network did: a 429, a timeout, a server error (or something unexpected)."""
    if error.retry_at is not None:
        return "429"
    cause = error.__cause__
    if isinstance(cause, InvokeTimeoutError) or error.message.startswith("timeout"):
        return "timeout"
    status = getattr(getattr(cause, "response", None), "status_code", None)
    if status in (500, 502, 503, 504):
        return "5xx"
    return "other: " + error.message[:80]


class Counting:
    """The real BlueskyConnector, counting what the network did to each call."""

    def __init__(self, inner: Connector, seen: Counter[str]) -> None:
        self.inner = inner
        self.seen = seen
        self.network = inner.network
        self.cursor_key = inner.cursor_key

    def _call(self, label: str, call: Callable[[], T]) -> T:
        self.seen[label] += 1
        try:
            return call()
        except (FetchError, SendError) as error:
            self.seen[kind_of(error)] += 1
            raise

    def fetch_mentions(self, *, since_id: str | None, start_time: datetime | None) -> list[Mention]:
        return self._call(
            "reads", lambda: self.inner.fetch_mentions(since_id=since_id, start_time=start_time)
        )

    def post_reply(self, text: str, in_reply_to: str) -> Posted:
        return self._call("posts", lambda: self.inner.post_reply(text, in_reply_to))

    def post(self, text: str) -> Posted:
        return self._call("posts", lambda: self.inner.post(text))

    def find_reply(self, in_reply_to: str, text: str) -> str | None:
        return self._call("lookups", lambda: self.inner.find_reply(in_reply_to, text))

    def identify(self) -> Identity:
        return self.inner.identify()

    def close(self) -> None:
        self.inner.close()


def flaky(store: SandboxStore, round_no: int, *, timeouts: bool) -> None:
    """A seeded mix of faults for one round; every fourth round opens with a burst of 429s
    (the first 429 of a delivery round leaves the account's other rows to the next one)."""
    set_faults(
        store,
        error_rate=0.3,
        timeout_rate=0.08 if timeouts else 0.0,
        timeout_sleep_s=SERVER_TIMEOUT_SLEEP_S,
        burst_429=2 if round_no % 4 == 0 else 0,
        burst_429_reset_s=60,
        seed=SEED + round_no,
    )


def deliver_under_faults(
    store: SandboxStore, clock: Clock, seen: Counter[str], totals: Counter[str], first_round: int
) -> tuple[Counter[str], int]:
    """Deliver rounds against the flaky sandbox until nothing is due (or a row is dead);
    return the row states and the rounds run."""

    def counted(account: SocialAccount) -> Counting:
        return Counting(jobs.connector_for(account), seen)

    states: Counter[str] = Counter()
    rounds = 0
    try:
        while rounds < MAX_ROUNDS:
            rounds += 1
            flaky(store, first_round + rounds, timeouts=True)
            timeouts_before = seen["timeout"]
            result = deliver_due(worker="soak-worker", senders=social_senders(counted))
            totals.update({k: v for k, v in vars(result).items() if v})
            db.session.expire_all()
            states = Counter(db.session.scalars(select(OutboxMessage.state)))
            if set(states) <= {"sent"} or states["dead"]:
                break
            if seen["timeout"] > timeouts_before:
                # A request we gave up on finishes on the server a moment later; the outbox's
                # real retry delay (minutes) covers that, the jobs' clock alone does not.
                time.sleep(SERVER_TIMEOUT_SLEEP_S - CLIENT_TIMEOUT_S + 0.1)
            clock.advance(hours=2)  # past any backoff and any 429 reset
    finally:
        clear_faults(store)
    return states, rounds


def brand_replies(store: SandboxStore, brand_did: str) -> list[dict[str, Any]]:
    """The brand's live replies in the sandbox, oldest first."""
    return [
        p
        for p in reversed(timeline(store))
        if p["did"] == brand_did and p["reply_parent"] and not p["deleted"]
    ]


@pytest.mark.slow
def test_import_and_replies_under_faults_happen_exactly_once(
    app: Flask,
    bluesky_account: SocialAccount,
    bluesky_store: SandboxStore,
    make_user: Callable[..., Any],
    clock: Clock,
) -> None:
    app.config["IDEABOARD_X_TIMEOUT_SECONDS"] = CLIENT_TIMEOUT_S
    set_rate_limits(bluesky_store, unlimited=True)  # injected 429s only
    brand_did = bluesky_account.remote_user_id
    brand_posts = [
        post_mention(bluesky_store, handle=BLUESKY_HANDLE, text=text)
        for text in (
            "새 요금제를 준비하고 있어요. 의견을 들려주세요!",
            "What should we build next?",
        )
    ]

    def customer_post(n: int) -> dict[str, Any]:
        words = (
            f"#아이디어 q{n:04d}a q{n:04d}b 요금제 옵션"
            if n % 2
            else f"#idea q{n:04d}a q{n:04d}b plan option"
        )
        brand_post = brand_posts[n % 2]["uri"]
        if n % 4 == 1:  # a reply to the brand's post, no @mention
            return post_mention(bluesky_store, handle=f"fan{n}", text=words, reply_to=brand_post)
        if n % 4 == 2:  # a quote of the brand's post
            return post_mention(bluesky_store, handle=f"fan{n}", text=words, quote=brand_post)
        return post_mention(bluesky_store, handle=f"fan{n}", text=f"{AT} {words}")

    seen: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    account_id = bluesky_account.id
    posted: list[dict[str, Any]] = []
    voters: list[dict[str, Any]] = []
    polls = import_rounds = 0

    # Import: the posts arrive in four waves; after each, poll until a poll gets through (the
    # cursor and the overlap re-read meet the posts already imported).
    try:
        for wave in range(4):
            posted += [customer_post(n) for n in range(wave * 10, wave * 10 + 10)]
            if wave == 1:  # votes: replies to the first idea's post, tagged
                voters = [
                    post_mention(
                        bluesky_store,
                        handle=f"voter{n}",
                        text=f"{AT} #아이디어 저도요" if n % 2 else f"{AT} #idea me too",
                        reply_to=posted[0]["uri"],
                    )
                    for n in range(VOTERS)
                ]
            for _ in range(MAX_ROUNDS):
                import_rounds += 1
                flaky(bluesky_store, 900 + import_rounds, timeouts=False)
                account = db.session.get_one(SocialAccount, account_id)
                connector = Counting(jobs.connector_for(account), seen)
                try:
                    if jobs.run_import(account, connector, owner="soak-importer") is not None:
                        polls += 1
                        break
                except FetchError as error:
                    if error.retry_at is not None:  # just past the 429's reset: the overlap
                        wait = (error.retry_at - clock.now()).total_seconds()  # still covers it
                        clock.advance(seconds=max(0.0, wait) + 1)
                finally:
                    connector.close()
    finally:
        clear_faults(bluesky_store)
    assert polls == 4
    origin = posted[0]  # an @mention: the idea whose stage change is fanned out
    ideas = db.session.scalar(select(func.count()).select_from(Idea))
    sources = set(db.session.scalars(select(Idea.source_post_id)))
    outcomes = Counter(db.session.scalars(select(MentionLog.outcome)))
    logged = list(db.session.scalars(select(MentionLog.post_id)))
    assert ideas == MENTIONS
    assert sources == {p["uri"] for p in posted}
    assert outcomes == {"imported": MENTIONS, "voted": VOTERS}, outcomes
    assert len(logged) == len(set(logged)) == MENTIONS + VOTERS
    import_seen = Counter(seen)

    # Deliver the acknowledgements through faults and timeouts.
    acks = list(db.session.scalars(select(OutboxMessage)))
    ack_states, ack_rounds = deliver_under_faults(bluesky_store, clock, seen, totals, 100)
    assert ack_states == {"sent": len(acks)}, ack_states
    assert {p["uri"] for p in posted} <= {row.target for row in acks}

    # One stage change with a long note: a thread of three posts to the idea's poster and to
    # each voter, delivered through the same faults.
    idea = db.session.scalars(select(Idea).where(Idea.source_post_id == origin["uri"])).one()
    staff = make_user("staff", initials="KG")
    change_stage(idea, find_stage("planned"), LONG_NOTE, staff, check_workflow=False)
    db.session.commit()
    fan_out = [
        row
        for row in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        if row.status_change_id is not None
    ]
    stage_states, stage_rounds = deliver_under_faults(bluesky_store, clock, seen, totals, 200)

    rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    replies = brand_replies(bluesky_store, brand_did)
    by_uri = {r["uri"]: r for r in replies}
    copies = Counter((r["reply_parent"], r["text"]) for r in replies)
    duplicates = sum(n - 1 for n in copies.values())
    sent = seen - import_seen  # what the network did to the deliveries
    print(
        f"\nbluesky fault soak: import: mentions={MENTIONS} votes={VOTERS} polls={polls} "
        f"rounds={import_rounds} reads={import_seen['reads']} (5xx={import_seen['5xx']}, "
        f"429={import_seen['429']}), imported={ideas} | delivery: acks={len(acks)} "
        f"rounds={ack_rounds}, fan-out rows={len(fan_out)} rounds={stage_rounds}, "
        f"posts={sent['posts']} lookups={sent['lookups']} (5xx={sent['5xx']}, "
        f"429={sent['429']}, timeouts={sent['timeout']}, found after a timeout="
        f"{totals['found_existing']}), states={dict(Counter(r.state for r in rows))}, "
        f"replies={len(replies)}, duplicates={duplicates}"
    )
    assert not [k for k in seen if k.startswith("other")], seen
    assert import_seen["5xx"] >= 1, import_seen
    assert import_seen["429"] >= 1, import_seen
    assert sent["5xx"] >= 10, sent
    assert sent["429"] >= 2, sent
    assert sent["timeout"] >= 2, sent
    assert stage_states == {"sent": len(rows)}, stage_states
    # Every row went out exactly once: one post on Bluesky per row, the one the row names.
    assert duplicates == 0
    assert len(replies) == len(rows)
    assert {r.remote_id for r in rows} == set(by_uri)
    for row in acks:
        assert by_uri[row.remote_id]["reply_parent"] == row.target
    # Each person's thread is a chain: part 1 answers their post, each next part the one
    # before it, all in the thread that their post is in.
    thread_starts = [row for row in fan_out if (row.payload or {}).get("part") == 1]
    assert len(thread_starts) == 1 + VOTERS
    assert {row.target for row in thread_starts} == {origin["uri"], *(v["uri"] for v in voters)}
    for first in thread_starts:
        parts = [first] + sorted(
            (r for r in fan_out if (r.payload or {}).get("thread") == first.id),
            key=lambda r: int(r.payload["part"]),
        )
        assert len(parts) == 3
        posts = [by_uri[part.remote_id] for part in parts]
        assert [p["reply_parent"] for p in posts] == [first.target] + [p["uri"] for p in posts[:-1]]
        assert {p["reply_root"] for p in posts} == {origin["uri"]}
        assert posts[0]["text"].startswith("[계획됨]") or posts[0]["text"].startswith("[Planned]")
