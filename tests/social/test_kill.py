"""Crash safety: `flask ideaboard worker|deliver|import-mentions` killed with SIGKILL mid-run.

The CLI runs in a subprocess against a copy of the migrated database and the sandbox X API
served on 127.0.0.1 by this test process. Every wait is bounded, and every subprocess is killed
in `finally`, so none outlives its test.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social.models import MentionLog, SocialAccount
from sandboxes.x import SandboxStore, clear_faults, post_mention, set_faults
from tests.helpers import (
    CliRunner,
    cli_env,
    count_rows,
    deliver_until_sent,
    outbox_states,
    read,
    wait_out_stale_claims,
    wait_until,
)
from tests.social.helpers import BRAND_ID, BRAND_USERNAME, PUBLIC_URL

pytestmark = pytest.mark.slow

STALE_SECONDS = 3
Replies = Callable[[], dict[str, list[dict[str, Any]]]]


def x_cli_env(app: Flask, sandbox_url: str) -> dict[str, str]:
    """The environment of a production-like CLI: this test's database, the sandbox as X."""
    return cli_env(
        app,
        IDEABOARD_PUBLIC_URL=PUBLIC_URL,
        IDEABOARD_X_API_URL=sandbox_url,
        IDEABOARD_X_USER_ID=BRAND_ID,
        IDEABOARD_X_USERNAME=BRAND_USERNAME,
        IDEABOARD_X_CONSUMER_KEY="dummy-consumer-key",
        IDEABOARD_X_CONSUMER_SECRET="dummy-consumer-secret",
        IDEABOARD_X_ACCESS_TOKEN="dummy-access-token",
        IDEABOARD_X_ACCESS_TOKEN_SECRET="dummy-access-token-secret",
        IDEABOARD_OUTBOX_STALE_SECONDS=str(STALE_SECONDS),
        IDEABOARD_X_TIMEOUT_SECONDS="1",
    )


@pytest.fixture
def cli(x_app: Flask, sandbox_url: str, tmp_path: Path) -> Iterator[CliRunner]:
    """Start (`cli.start`) or run to the end (`cli.run`) CLI commands; kill leftovers after."""
    with CliRunner(x_cli_env(x_app, sandbox_url), tmp_path) as runner:
        yield runner


def fan_out_rows(
    brand_account: SocialAccount, connector: Any, store: SandboxStore, staff: Any, rows: int
) -> set[str]:
    """One idea and rows - 1 voters who replied to its post; its stage change answers all."""
    from ideaboard.social import jobs
    from ideaboard.triage.services import change_stage, find_stage

    brand_account.acknowledge = False
    db.session.commit()
    first = post_mention(store, username="origin", text="@hanbit #idea q0001a q0001b eSIM")
    voters = [
        post_mention(
            store,
            username=f"fan{n}",
            text="@hanbit #아이디어 저도요",
            in_reply_to_tweet_id=str(first["id"]),
        )
        for n in range(rows - 1)
    ]
    jobs.run_import(brand_account, connector, owner="kill-test")
    idea = db.session.scalar(select(Idea).where(Idea.source_post_id == str(first["id"])))
    assert idea is not None
    change_stage(idea, find_stage("planned"), "On the plan", staff, check_workflow=False)
    db.session.commit()
    return {str(p["id"]) for p in (first, *voters)}


@pytest.mark.parametrize("fan_out", [False, True], ids=["acknowledgements", "stage-fan-out"])
def test_worker_killed_mid_delivery_then_deliver_sends_each_reply_exactly_once(
    cli: Any,
    import_posts: Callable[..., tuple[list[dict[str, Any]], list[Idea]]],
    sandbox_store: SandboxStore,
    brand_replies: Replies,
    brand_account: SocialAccount,
    x_connector: Any,
    make_user: Callable[..., Any],
    fan_out: bool,
) -> None:
    rows = 30
    if fan_out:  # one stage change replying to the idea's post and 29 voters' posts
        staff = make_user("staff", initials="KG")
        targets = fan_out_rows(brand_account, x_connector, sandbox_store, staff, rows)
    else:  # 30 acknowledgements, one per imported idea
        posts, _ideas = import_posts(
            *((f"fan{n}", f"@hanbit #아이디어 q{n:04d}a q{n:04d}b 요금제") for n in range(rows))
        )
        db.session.commit()
        targets = {str(p["id"]) for p in posts}
    assert outbox_states() == {"pending": rows}
    set_faults(sandbox_store, latency_ms=200, endpoint="create_tweet")  # ~200 ms per send

    worker = cli.start("worker", "--interval", "60")
    wait_until(lambda: len(brand_replies()) >= 5, timeout=25, what="the worker's first replies")
    worker.kill()
    worker.wait(timeout=10)
    replies_at_kill = len(brand_replies())
    at_kill = outbox_states()
    time.sleep(0.3)  # the request the worker died in still completes on the server
    clear_faults(sandbox_store)

    assert 5 <= replies_at_kill < rows
    assert at_kill["sending"] <= 1
    assert at_kill["sent"] + at_kill["sending"] + at_kill["pending"] == rows
    wait_out_stale_claims(STALE_SECONDS)  # a row owned by the dead worker is taken over then
    outputs = deliver_until_sent(cli, rows)

    replies = brand_replies()
    reply_count = sum(len(r) for r in replies.values())
    print(
        f"\nkill worker ({'fan-out' if fan_out else 'acks'}): rows={rows} "
        f"replies at kill={replies_at_kill} "
        f"rows at kill={dict(at_kill)} "
        f"deliver runs={outputs} sent={outbox_states()['sent']} replies={reply_count} "
        f"duplicates={reply_count - len(replies)}"
    )
    assert outbox_states() == {"sent": rows}
    assert set(replies) == targets
    assert reply_count == rows  # exactly one reply per post: no duplicates
    remote = {r for (r,) in read(select(OutboxMessage.remote_id))}
    assert remote == {r[0]["id"] for r in replies.values()}


def test_import_killed_mid_run_then_rerun_imports_each_tagged_mention_once(
    cli: Any, x_app: Flask, sandbox_store: SandboxStore
) -> None:
    tagged: list[str] = []
    everything: list[str] = []
    for n in range(400):  # 320 tagged, 80 untagged: four pages
        text = (
            f"@hanbit #아이디어 q{n:04d}a q{n:04d}b 요금제"
            if n % 5
            else f"@hanbit q{n:04d}a 문의드립니다"
        )
        post = post_mention(sandbox_store, username=f"fan{n}", text=text)
        everything.append(str(post["id"]))
        if n % 5:
            tagged.append(str(post["id"]))

    importer = cli.start("import-mentions")
    wait_until(lambda: count_rows(Idea) >= 40, timeout=30, what="the first imported ideas")
    importer.kill()
    importer.wait(timeout=10)
    at_kill = count_rows(Idea)
    logged_at_kill = count_rows(MentionLog)
    assert 40 <= at_kill < len(tagged), "the import finished before it could be killed"

    # The dead importer still holds the account's lease: a rerun waits for it to run out…
    blocked = cli.run("import-mentions")
    assert blocked.returncode == 0, blocked.stdout + blocked.stderr
    assert "another worker is importing" in blocked.stdout
    assert count_rows(Idea) == at_kill
    # …which it does once IDEABOARD_IMPORT_LEASE_SECONDS pass without renewal; move time along.
    db.session.execute(update(SocialAccount).values(lease_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()

    rerun = cli.run("import-mentions")

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    ideas = [pid for (pid,) in read(select(Idea.source_post_id))]
    logged = [pid for (pid,) in read(select(MentionLog.post_id))]
    acks = [target for (target,) in read(select(OutboxMessage.target))]
    print(
        f"\nkill import: mentions={len(everything)} tagged={len(tagged)} ideas at kill={at_kill} "
        f"logged at kill={logged_at_kill} after rerun: ideas={len(ideas)} "
        f"unique={len(set(ideas))} logged={len(logged)} acks={len(acks)} | {rerun.stdout.strip()}"
    )
    assert sorted(ideas) == sorted(tagged)  # every tagged mention, each exactly once
    assert sorted(logged) == sorted(everything)
    assert sorted(acks) == sorted(tagged)
    outcomes = Counter(o for (o,) in read(select(MentionLog.outcome)))
    assert outcomes == {"imported": 320, "skipped": 80}
    account = read(select(SocialAccount.since_id, SocialAccount.lease_owner))
    assert account == [(max(everything, key=int), None)]
