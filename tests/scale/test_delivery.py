"""Four `flask ideaboard deliver` processes at once over 2,000 outbox rows: each sent once.

The rows are replies to 2,000 posts in the sandbox X API (served on 127.0.0.1 by this test,
rate limits off). On PostgreSQL the processes claim rows with FOR UPDATE SKIP LOCKED; on
SQLite their claims are serialised by BEGIN IMMEDIATE. Either way every row must end `sent`
and every post must have exactly one reply from the brand.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, insert, select

from bench.server import ROOT, app_env
from ideaboard.database import utcnow
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social.models import SocialAccount
from sandboxes.x import SandboxStore, timeline
from tests.social.helpers import BRAND_ID, BRAND_USERNAME

pytestmark = pytest.mark.slow

ROWS = 2_000
PROCESSES = 4
_CLAIMED = re.compile(r"Claimed (\d+): sent (\d+)")


def _seed(database_url: str, store: SandboxStore) -> set[str]:
    """Post ROWS customer mentions to the sandbox and queue one reply to each; return targets."""
    with store.transaction(write=True) as tx:  # one transaction: the store's own code
        authors = [store.ensure_user(tx, f"fan{n}", None) for n in range(50)]
        targets = [
            str(
                store.create_tweet(tx, author=authors[n % 50], text=f"@hanbit #idea q{n:05d}")["id"]
            )
            for n in range(ROWS)
        ]
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            account_id = conn.execute(
                insert(SocialAccount).values(
                    network="x",
                    remote_user_id=BRAND_ID,
                    username=BRAND_USERNAME,
                    display_name="Hanbit Telecom",
                    tags="idea",
                    signature="IB",
                )
            ).inserted_primary_key[0]
            now = utcnow()
            conn.execute(
                insert(OutboxMessage),
                [
                    {
                        "kind": "x_reply",
                        "account_id": account_id,
                        "state": "pending",
                        "dedupe_key": f"x_reply:scale:{target}",
                        "target": target,
                        "lang": "en",
                        "text": f"Thank you! Your idea {n} is on the board. -IB",
                        "payload": {"in_reply_to_tweet_id": target},
                        "attempts": 0,
                        "max_attempts": 8,
                        "next_attempt_at": now,
                        "created_at": now,
                        "check_first": False,
                    }
                    for n, target in enumerate(targets)
                ],
            )
    finally:
        engine.dispose()
    return set(targets)


def _rows(database_url: str) -> list[Any]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    select(
                        OutboxMessage.target,
                        OutboxMessage.state,
                        OutboxMessage.remote_id,
                        OutboxMessage.attempts,
                        OutboxMessage.claimed_by,
                    )
                )
            )
    finally:
        engine.dispose()


def test_four_deliver_processes_send_every_row_exactly_once(
    database_url: str, sandbox: tuple[str, SandboxStore], tmp_path: Path
) -> None:
    sandbox_url, store = sandbox
    targets = _seed(database_url, store)
    env = app_env(
        database_url,
        IDEABOARD_PUBLIC_URL="https://ideas.hanbit.co.kr",
        IDEABOARD_X_API_URL=sandbox_url,
        IDEABOARD_X_USER_ID=BRAND_ID,
        IDEABOARD_X_USERNAME=BRAND_USERNAME,
        IDEABOARD_X_CONSUMER_KEY="dummy-consumer-key",
        IDEABOARD_X_CONSUMER_SECRET="dummy-consumer-secret",
        IDEABOARD_X_ACCESS_TOKEN="dummy-access-token",
        IDEABOARD_X_ACCESS_TOKEN_SECRET="dummy-access-token-secret",
        IDEABOARD_X_TIMEOUT_SECONDS="30",
        IDEABOARD_OUTBOX_STALE_SECONDS="600",  # no row may be taken over in this test
    )
    command = [sys.executable, "-m", "flask", "--app", "app.py", "ideaboard", "deliver"]
    logs = [tmp_path / f"deliver-{n}.log" for n in range(PROCESSES)]
    procs: list[subprocess.Popen[bytes]] = []
    began = time.perf_counter()
    try:
        for log in logs:
            with log.open("wb") as out:
                procs.append(
                    subprocess.Popen(
                        command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
                    )
                )
        deadline = time.monotonic() + 100
        for proc in procs:
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
    seconds = time.perf_counter() - began
    outputs = [log.read_text() for log in logs]
    assert [proc.returncode for proc in procs] == [0] * PROCESSES, outputs

    claimed = [_CLAIMED.search(out) for out in outputs]
    assert all(claimed), outputs
    per_process = [(int(m.group(1)), int(m.group(2))) for m in claimed if m]
    rows = _rows(database_url)
    states = Counter(row.state for row in rows)
    replies: dict[str, list[dict[str, Any]]] = {}
    for post in timeline(store):
        if post["author_id"] == BRAND_ID and post["in_reply_to_tweet_id"] and not post["deleted"]:
            replies.setdefault(str(post["in_reply_to_tweet_id"]), []).append(post)
    print(
        f"\n{PROCESSES} deliver processes, {ROWS} rows: {seconds:.1f} s "
        f"({ROWS / seconds:.0f} rows/s); (claimed, sent) per process: {per_process}; "
        f"claimed_by: {sorted(Counter(r.claimed_by for r in rows).values())}"
    )

    assert states == {"sent": ROWS}
    assert sum(c for c, _ in per_process) == ROWS  # no row claimed twice
    assert sum(s for _, s in per_process) == ROWS
    assert all(row.attempts == 1 for row in rows)
    assert len({row.remote_id for row in rows}) == ROWS
    assert set(replies) == targets
    assert all(len(posts) == 1 for posts in replies.values())  # exactly one reply per post
    assert {str(posts[0]["id"]) for posts in replies.values()} == {r.remote_id for r in rows}
