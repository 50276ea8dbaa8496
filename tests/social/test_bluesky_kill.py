"""Crash safety on Bluesky: `flask ideaboard worker|import-mentions` killed with SIGKILL
mid-run, then run again, against the sandbox PDS served on 127.0.0.1 by this test process
(the real atproto SDK over HTTP in the subprocess, configured by IDEABOARD_BLUESKY_*).
Every wait is bounded; every subprocess is killed in `finally`.
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
from ideaboard.social import jobs
from ideaboard.social.models import MentionLog, SocialAccount
from ideaboard.triage.services import change_stage, find_stage
from sandboxes.bluesky import SandboxStore, clear_faults, post_mention, set_faults, timeline
from tests.helpers import (
    CliRunner,
    cli_env,
    count_rows,
    deliver_until_sent,
    instance_app_file,
    outbox_states,
    read,
    wait_out_stale_claims,
    wait_until,
)
from tests.social.bluesky.helpers import BLUESKY_APP_PASSWORD, BLUESKY_HANDLE

pytestmark = pytest.mark.slow

STALE_SECONDS = 3
AT = f"@{BLUESKY_HANDLE}"


@pytest.fixture
def cli(
    app: Flask, bluesky_account: SocialAccount, bluesky_url: str, tmp_path: Path
) -> Iterator[CliRunner]:
    """Start (`cli.start`) or run to the end (`cli.run`) CLI commands; kill leftovers after.

    The CLI runs as production runs it, with the sandbox as Bluesky, and in this test's
    instance folder, where the test process keeps the account's login session: every
    process shares it, and nothing is left in the developer's instance/ folder."""
    app_file, instance = instance_app_file(app, tmp_path)
    env = cli_env(
        app,
        **instance,
        IDEABOARD_PUBLIC_URL="https://ideas.hanbit.co.kr",
        IDEABOARD_BLUESKY_HANDLE=BLUESKY_HANDLE,
        IDEABOARD_BLUESKY_APP_PASSWORD=BLUESKY_APP_PASSWORD,
        IDEABOARD_BLUESKY_SERVICE=bluesky_url,
        IDEABOARD_OUTBOX_STALE_SECONDS=str(STALE_SECONDS),
        IDEABOARD_X_TIMEOUT_SECONDS="1",
    )
    with CliRunner(env, tmp_path, run_timeout=60, app_file=app_file) as runner:
        yield runner


def brand_replies(store: SandboxStore, brand_did: str) -> list[dict[str, Any]]:
    """The brand's live replies in the sandbox, oldest first."""
    return [
        p
        for p in reversed(timeline(store))
        if p["did"] == brand_did and p["reply_parent"] and not p["deleted"]
    ]


def import_once(account: SocialAccount) -> None:
    connector = jobs.connector_for(account)
    try:
        jobs.run_import(account, connector, owner="kill-test")
    finally:
        connector.close()
    db.session.commit()


@pytest.mark.parametrize("fan_out", [False, True], ids=["acknowledgements", "stage-fan-out"])
def test_worker_killed_mid_delivery_then_deliver_sends_each_reply_exactly_once(
    cli: CliRunner,
    bluesky_account: SocialAccount,
    bluesky_store: SandboxStore,
    make_user: Callable[..., Any],
    fan_out: bool,
) -> None:
    rows = 30
    brand_did = bluesky_account.remote_user_id
    if fan_out:  # one stage change replying to the idea's post and 29 voters' posts
        bluesky_account.acknowledge = False
        db.session.commit()
        first = post_mention(
            bluesky_store, handle="origin", text=f"{AT} #idea q0001a q0001b eSIM plan"
        )
        posts = [first] + [
            post_mention(
                bluesky_store,
                handle=f"fan{n}",
                text=f"{AT} #아이디어 저도요",
                reply_to=first["uri"],
            )
            for n in range(rows - 1)
        ]
        import_once(bluesky_account)
        idea = db.session.scalars(select(Idea).where(Idea.source_post_id == first["uri"])).one()
        staff = make_user("staff", initials="KG")
        change_stage(idea, find_stage("planned"), "On the plan", staff, check_workflow=False)
        db.session.commit()
    else:  # 30 acknowledgements, one per imported idea
        posts = [
            post_mention(
                bluesky_store, handle=f"fan{n}", text=f"{AT} #아이디어 q{n:04d}a q{n:04d}b 요금제"
            )
            for n in range(rows)
        ]
        import_once(bluesky_account)
    targets = {p["uri"] for p in posts}
    assert outbox_states() == {"pending": rows}
    # ~200 ms per post, so the worker is mid-delivery when it is killed.
    set_faults(bluesky_store, latency_ms=200, endpoint="com.atproto.repo.createRecord")

    worker = cli.start("worker", "--interval", "60")
    wait_until(
        lambda: len(brand_replies(bluesky_store, brand_did)) >= 5,
        timeout=30,
        what="the worker's first replies",
    )
    worker.kill()
    worker.wait(timeout=10)
    replies_at_kill = len(brand_replies(bluesky_store, brand_did))
    at_kill = outbox_states()
    time.sleep(0.3)  # the request the worker died in still completes on the server
    clear_faults(bluesky_store)

    assert 5 <= replies_at_kill < rows
    assert at_kill["sending"] <= 1
    assert at_kill["sent"] + at_kill["sending"] + at_kill["pending"] == rows
    wait_out_stale_claims(STALE_SECONDS)  # a row the dead worker owned is taken over then
    outputs = deliver_until_sent(cli, rows)

    replies = brand_replies(bluesky_store, brand_did)
    per_target = Counter(r["reply_parent"] for r in replies)
    print(
        f"\nbluesky kill worker ({'fan-out' if fan_out else 'acks'}): rows={rows} "
        f"replies at kill={replies_at_kill} rows at kill={dict(at_kill)} "
        f"deliver runs={outputs} sent={outbox_states()['sent']} replies={len(replies)} "
        f"duplicates={len(replies) - len(per_target)}"
    )
    assert outbox_states() == {"sent": rows}
    assert set(per_target) == targets
    assert set(per_target.values()) == {1}  # exactly one reply per post
    remote = {r for (r,) in read(select(OutboxMessage.remote_id))}
    assert remote == {r["uri"] for r in replies}


def test_import_killed_mid_run_then_rerun_imports_each_tagged_mention_once(
    cli: CliRunner, bluesky_store: SandboxStore
) -> None:
    tagged: list[str] = []
    everything: list[str] = []
    for n in range(300):  # 240 tagged, 60 untagged: three pages of notifications
        text = (
            f"{AT} #아이디어 q{n:04d}a q{n:04d}b 요금제"
            if n % 5
            else f"{AT} q{n:04d}a 문의드립니다"
        )
        post = post_mention(bluesky_store, handle=f"fan{n}", text=text)
        everything.append(post["uri"])
        if n % 5:
            tagged.append(post["uri"])

    importer = cli.start("import-mentions")
    wait_until(lambda: count_rows(Idea) >= 30, timeout=60, what="the first imported ideas")
    importer.kill()
    importer.wait(timeout=10)
    at_kill = count_rows(Idea)
    logged_at_kill = count_rows(MentionLog)
    assert 30 <= at_kill < len(tagged), "the import finished before it could be killed"

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
        f"\nbluesky kill import: mentions={len(everything)} tagged={len(tagged)} "
        f"ideas at kill={at_kill} logged at kill={logged_at_kill} after rerun: "
        f"ideas={len(ideas)} unique={len(set(ideas))} logged={len(logged)} acks={len(acks)} "
        f"| {rerun.stdout.strip()}"
    )
    assert sorted(ideas) == sorted(tagged)  # every tagged mention, each exactly once
    assert sorted(logged) == sorted(everything)  # every mention logged once
    assert sorted(acks) == sorted(tagged)
    outcomes = Counter(o for (o,) in read(select(MentionLog.outcome)))
    assert outcomes == {"imported": 240, "skipped": 60}
    ((lease_owner,),) = read(select(SocialAccount.lease_owner))
    assert lease_owner is None
