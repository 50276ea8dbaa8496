"""Fault soak on Mastodon: IdeaBoard's importer and outbox against a flaky sandbox Mastodon
server on 127.0.0.1 import every tagged mention once and send every reply exactly once.

40 tagged mentions (every visibility, some with a content warning) are imported while the
server answers 30 % of requests with 500/503 and some with 429; then their acknowledgements
go out through the same faults plus timeouts after which the server still makes the status
(the ambiguous case). Time moves on with the jobs' clock between rounds, so backoff and
rate-limit resets pass without sleeping.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.outbox.delivery import deliver_due
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social import jobs
from ideaboard.social.connectors import Connector, FetchError, Mention, Posted, SendError
from ideaboard.social.models import SocialAccount
from ideaboard.social.senders import social_senders
from sandboxes.mastodon import SandboxStore, clear_faults, post_mention, set_faults, set_rate_limit
from tests.helpers import Clock
from tests.social.mastodon_helpers import brand_statuses

MENTIONS = 40
MAX_ROUNDS = 40
CLIENT_TIMEOUT_S = 0.3
SEED = 2026
VISIBILITIES = ("public", "unlisted", "private", "direct")


def kind_of(error: FetchError | SendError) -> str:
    if error.retry_at is not None:
        return "429"
    if getattr(error, "ambiguous", False) or "timed out" in error.message:
        return "timeout"
    if error.message[:3] in ("500", "502", "503", "504"):
        return "5xx"
    return "other: " + error.message[:80]


class Counting:
    """The real MastodonConnector, counting what the network did to each call."""

    def __init__(self, inner: Connector, seen: Counter[str]) -> None:
        self.inner = inner
        self.seen = seen
        self.network = inner.network
        self.cursor_key = inner.cursor_key

    def _call(self, label: str, call: Callable[[], Any]) -> Any:
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

    def close(self) -> None:
        self.inner.close()


def flaky(store: SandboxStore, round_no: int, *, timeouts: bool) -> None:
    set_faults(
        store,
        error_rate=0.25,
        rate_429=0.05,
        reset_s=60,
        timeout_rate=0.05 if timeouts else 0.0,
        timeout_sleep_s=CLIENT_TIMEOUT_S + 0.15,  # the server finishes just after we gave up
        seed=SEED + round_no,
    )


@pytest.mark.slow
def test_import_and_replies_under_faults_happen_exactly_once(
    app: Any,
    mastodon_account: SocialAccount,
    mastodon_store: SandboxStore,
    clock: Clock,
) -> None:
    app.config["IDEABOARD_X_TIMEOUT_SECONDS"] = CLIENT_TIMEOUT_S
    set_rate_limit(mastodon_store, limit=1_000_000)  # injected 429s only
    posted = [
        post_mention(
            mastodon_store,
            acct=f"fan{n}" if n % 3 else f"fan{n}@other.example",
            text=f"@hanbit #아이디어 q{n:04d}a q{n:04d}b 요금제 옵션"
            if n % 2
            else f"@hanbit #idea q{n:04d}a q{n:04d}b plan option",
            visibility=VISIBILITIES[n % 4],
            spoiler_text="요금" if n % 5 == 0 else "",
        )
        for n in range(MENTIONS)
    ]
    seen: Counter[str] = Counter()
    account_id = mastodon_account.id

    def counted(account: SocialAccount) -> Counting:
        return Counting(jobs.connector_for(account), seen)

    # Import: poll until the cursor stands past every mention.
    imported_rounds = 0
    try:
        for round_no in range(MAX_ROUNDS):
            imported_rounds += 1
            flaky(mastodon_store, round_no, timeouts=False)
            account = db.session.get_one(SocialAccount, account_id)
            connector = counted(account)
            try:
                jobs.run_import(account, connector, owner="soak-importer")
                break
            except FetchError:
                clock.advance(hours=2)  # past the 429's reset
            finally:
                connector.close()
    finally:
        clear_faults(mastodon_store)
    ideas = db.session.scalar(select(func.count()).select_from(Idea))
    sources = set(db.session.scalars(select(Idea.source_post_id)))
    assert ideas == MENTIONS
    assert sources == {str(p["id"]) for p in posted}

    # Deliver the acknowledgements through faults and timeouts.
    states: Counter[str] = Counter()
    rounds = 0
    try:
        while rounds < MAX_ROUNDS:
            rounds += 1
            flaky(mastodon_store, 100 + rounds, timeouts=True)
            deliver_due(worker="soak-worker", senders=social_senders(counted))
            db.session.expire_all()
            states = Counter(db.session.scalars(select(OutboxMessage.state)))
            if states["sent"] == MENTIONS or states["dead"]:
                break
            clock.advance(hours=2)  # past any backoff and any 429 reset
    finally:
        clear_faults(mastodon_store)

    replies = brand_statuses(mastodon_store)
    per_target = Counter(r["in_reply_to_id"] for r in replies)
    print(
        f"\nmastodon fault soak: mentions={MENTIONS} import rounds={imported_rounds} "
        f"delivery rounds={rounds} reads={seen['reads']} posts={seen['posts']} "
        f"lookups={seen['lookups']} (5xx={seen['5xx']}, 429={seen['429']}, "
        f"timeouts={seen['timeout']}), states={dict(states)}, replies={len(replies)}, "
        f"duplicates={sum(n - 1 for n in per_target.values())}"
    )
    assert not [k for k in seen if k.startswith("other")], seen
    assert seen["5xx"] >= 5, seen
    assert seen["timeout"] >= 1, seen
    assert states == {"sent": MENTIONS}, states
    assert set(per_target) == {p["id"] for p in posted}
    assert set(per_target.values()) == {1}  # every mention answered exactly once
    by_id = {p["id"]: p for p in posted}
    for reply in replies:
        mention = by_id[reply["in_reply_to_id"]]
        assert VISIBILITIES.index(reply["visibility"]) >= VISIBILITIES.index(mention["visibility"])
        assert reply["spoiler_text"] == mention["spoiler_text"]
