"""Crash safety on Mastodon: `flask ideaboard worker|import-mentions` killed with SIGKILL
mid-run, then run again, against the sandbox Mastodon server on 127.0.0.1 (real Mastodon.py
over HTTP in the subprocess). Every wait is bounded; every subprocess is killed in `finally`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social import jobs
from ideaboard.social.models import MentionLog, SocialAccount
from sandboxes.mastodon import DEFAULT_TOKEN, SandboxStore, clear_faults, post_mention, set_faults
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
from tests.social.mastodon_helpers import brand_statuses

pytestmark = pytest.mark.slow

STALE_SECONDS = 3


@pytest.fixture
def cli(mastodon_account: SocialAccount, mastodon_url: str, tmp_path: Path) -> Iterator[CliRunner]:
    """Start (`cli.start`) or run to the end (`cli.run`) CLI commands; kill leftovers after."""
    from flask import current_app

    env = cli_env(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        IDEABOARD_PUBLIC_URL="https://ideas.hanbit.co.kr",
        IDEABOARD_MASTODON_BASE_URL=mastodon_url,
        IDEABOARD_MASTODON_ACCESS_TOKEN=DEFAULT_TOKEN,
        IDEABOARD_OUTBOX_STALE_SECONDS=str(STALE_SECONDS),
        IDEABOARD_X_TIMEOUT_SECONDS="1",
    )
    with CliRunner(env, tmp_path, run_timeout=60) as runner:
        yield runner


def test_worker_killed_mid_delivery_then_deliver_sends_each_reply_exactly_once(
    cli: Any, mastodon_account: SocialAccount, mastodon_store: SandboxStore
) -> None:
    rows = 30
    posted = [
        post_mention(
            mastodon_store,
            acct=f"fan{n}",
            text=f"@hanbit #아이디어 q{n:04d}a q{n:04d}b 요금제",
            visibility=("public", "direct")[n % 2],
        )
        for n in range(rows)
    ]
    connector = jobs.connector_for(mastodon_account)
    try:
        jobs.run_import(mastodon_account, connector, owner="kill-test")
    finally:
        connector.close()
    db.session.commit()
    targets = {p["id"] for p in posted}
    assert outbox_states() == {"pending": rows}
    set_faults(mastodon_store, latency_ms=200, endpoint="statuses.create")  # ~200 ms per send

    worker = cli.start("worker", "--interval", "60")
    wait_until(
        lambda: len(brand_statuses(mastodon_store)) >= 5,
        timeout=30,
        what="the worker's first replies",
    )
    worker.kill()
    worker.wait(timeout=10)
    replies_at_kill = len(brand_statuses(mastodon_store))
    at_kill = outbox_states()
    time.sleep(0.3)  # the request the worker died in still completes on the server
    clear_faults(mastodon_store)

    assert 5 <= replies_at_kill < rows
    assert at_kill["sending"] <= 1
    wait_out_stale_claims(STALE_SECONDS)  # a row owned by the dead worker is taken over then
    outputs = deliver_until_sent(cli, rows)

    replies = brand_statuses(mastodon_store)
    per_target = Counter(r["in_reply_to_id"] for r in replies)
    print(
        f"\nmastodon kill worker: rows={rows} replies at kill={replies_at_kill} "
        f"rows at kill={dict(at_kill)} deliver runs={outputs} sent={outbox_states()['sent']} "
        f"replies={len(replies)} duplicates={len(replies) - len(per_target)}"
    )
    assert outbox_states() == {"sent": rows}
    assert set(per_target) == targets
    assert set(per_target.values()) == {1}  # exactly one reply per mention
    remote = {r for (r,) in read(select(OutboxMessage.remote_id))}
    assert remote == {str(r["id"]) for r in replies}


def test_import_killed_mid_run_then_rerun_imports_each_tagged_mention_once(
    cli: Any, mastodon_account: SocialAccount, mastodon_store: SandboxStore
) -> None:
    tagged: list[str] = []
    everything: list[str] = []
    for n in range(300):  # 240 tagged, 60 untagged (a first poll reads up to 320)
        text = (
            f"@hanbit #아이디어 q{n:04d}a q{n:04d}b 요금제"
            if n % 5
            else f"@hanbit q{n:04d}a 문의드립니다"
        )
        status = post_mention(mastodon_store, acct=f"fan{n}", text=text)
        everything.append(str(status["id"]))
        if n % 5:
            tagged.append(str(status["id"]))

    importer = cli.start("import-mentions")
    wait_until(lambda: count_rows(Idea) >= 30, timeout=60, what="the first imported ideas")
    importer.kill()
    importer.wait(timeout=10)
    at_kill = count_rows(Idea)
    assert 30 <= at_kill < len(tagged), "the import finished before it could be killed"
    # The dead importer still holds the lease until it runs out; move time along.
    db.session.execute(update(SocialAccount).values(lease_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()

    rerun = cli.run("import-mentions")

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    ideas = [pid for (pid,) in read(select(Idea.source_post_id))]
    logged = [pid for (pid,) in read(select(MentionLog.post_id))]
    print(
        f"\nmastodon kill import: mentions={len(everything)} tagged={len(tagged)} "
        f"ideas at kill={at_kill} after rerun: ideas={len(ideas)} unique={len(set(ideas))} "
        f"logged={len(logged)} | {rerun.stdout.strip()}"
    )
    assert sorted(ideas) == sorted(tagged)  # every tagged mention, each exactly once
    assert sorted(logged) == sorted(everything)
