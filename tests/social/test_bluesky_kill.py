"""Crash safety on Bluesky: `flask ideaboard worker|import-mentions` killed with SIGKILL
mid-run, then run again, against the sandbox PDS served on 127.0.0.1 by this test process
(the real atproto SDK over HTTP in the subprocess, configured by IDEABOARD_BLUESKY_*).
Every wait is bounded; every subprocess is killed in `finally`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social import jobs
from ideaboard.social.models import MentionLog, SocialAccount
from ideaboard.triage.services import change_stage, find_stage
from sandboxes.bluesky import SandboxStore, clear_faults, post_mention, set_faults, timeline
from tests.social.bluesky.helpers import BLUESKY_APP_PASSWORD, BLUESKY_HANDLE

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
STALE_SECONDS = 3
AT = f"@{BLUESKY_HANDLE}"
# The CLI as production runs it (`flask --app app.py`), but with this test's instance folder,
# where the test process keeps the account's login session: every process shares it, and
# nothing is left in the developer's instance/ folder.
APP_FILE = """\
import os

from ideaboard import create_app

app = create_app()
app.instance_path = os.environ["KILL_TEST_INSTANCE_PATH"]
"""


def cli_env(app: Flask, bluesky_url: str) -> dict[str, str]:
    """A production-like CLI's environment: this test's database, the sandbox as Bluesky."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("IDEABOARD_", "FLASK_")) and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY="kill-test-secret",
        PYTHONUNBUFFERED="1",
        KILL_TEST_INSTANCE_PATH=app.instance_path,
        IDEABOARD_PUBLIC_URL="https://ideas.hanbit.co.kr",
        IDEABOARD_BLUESKY_HANDLE=BLUESKY_HANDLE,
        IDEABOARD_BLUESKY_APP_PASSWORD=BLUESKY_APP_PASSWORD,
        IDEABOARD_BLUESKY_SERVICE=bluesky_url,
        IDEABOARD_OUTBOX_STALE_SECONDS=str(STALE_SECONDS),
        IDEABOARD_X_TIMEOUT_SECONDS="1",
    )
    return env


@pytest.fixture
def cli(
    app: Flask, bluesky_account: SocialAccount, bluesky_url: str, tmp_path: Path
) -> Iterator[Any]:
    """Start (`cli.start`) or run to the end (`cli.run`) CLI commands; kill leftovers after."""
    env = cli_env(app, bluesky_url)
    app_file = tmp_path / "kill_test_app.py"
    app_file.write_text(APP_FILE, encoding="utf-8")
    started: list[subprocess.Popen[bytes]] = []

    def command(name: str, *args: str) -> list[str]:
        return [sys.executable, "-m", "flask", "--app", str(app_file), "ideaboard", name, *args]

    class Cli:
        @staticmethod
        def start(name: str, *args: str) -> subprocess.Popen[bytes]:
            log = (tmp_path / f"{name}-{len(started)}.log").open("wb")
            try:
                proc = subprocess.Popen(
                    command(name, *args), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
                )
            finally:
                log.close()
            started.append(proc)
            return proc

        @staticmethod
        def run(name: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                command(name, *args),
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )

    try:
        yield Cli
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def read(query: Any) -> Any:
    """Run one read on the shared database and end the transaction at once."""
    try:
        return db.session.execute(query).all()
    finally:
        db.session.rollback()


def count(model: Any) -> int:
    return int(read(select(func.count()).select_from(model))[0][0])


def states() -> Counter[str]:
    return Counter(state for (state,) in read(select(OutboxMessage.state)))


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
    cli: Any,
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
    assert states() == {"pending": rows}
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
    at_kill = states()
    time.sleep(0.3)  # the request the worker died in still completes on the server
    clear_faults(bluesky_store)

    assert 5 <= replies_at_kill < rows
    assert at_kill["sending"] <= 1
    assert at_kill["sent"] + at_kill["sending"] + at_kill["pending"] == rows
    in_flight = [
        claimed
        for (claimed,) in read(
            select(OutboxMessage.claimed_at).where(OutboxMessage.state == "sending")
        )
    ]
    if in_flight:  # a row owned by the dead worker is taken over once it is stale
        wait = (in_flight[0] + timedelta(seconds=STALE_SECONDS + 0.2) - utcnow()).total_seconds()
        time.sleep(max(0.0, wait))

    outputs = []
    for _ in range(3):
        done = cli.run("deliver")
        assert done.returncode == 0, done.stdout + done.stderr
        outputs.append(done.stdout.strip())
        if states() == {"sent": rows}:
            break

    replies = brand_replies(bluesky_store, brand_did)
    per_target = Counter(r["reply_parent"] for r in replies)
    print(
        f"\nbluesky kill worker ({'fan-out' if fan_out else 'acks'}): rows={rows} "
        f"replies at kill={replies_at_kill} rows at kill={dict(at_kill)} "
        f"deliver runs={outputs} sent={states()['sent']} replies={len(replies)} "
        f"duplicates={len(replies) - len(per_target)}"
    )
    assert states() == {"sent": rows}
    assert set(per_target) == targets
    assert set(per_target.values()) == {1}  # exactly one reply per post
    remote = {r for (r,) in read(select(OutboxMessage.remote_id))}
    assert remote == {r["uri"] for r in replies}


def test_import_killed_mid_run_then_rerun_imports_each_tagged_mention_once(
    cli: Any, bluesky_store: SandboxStore
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
    wait_until(lambda: count(Idea) >= 30, timeout=60, what="the first imported ideas")
    importer.kill()
    importer.wait(timeout=10)
    at_kill = count(Idea)
    logged_at_kill = count(MentionLog)
    assert 30 <= at_kill < len(tagged), "the import finished before it could be killed"

    # The dead importer still holds the account's lease: a rerun waits for it to run out…
    blocked = cli.run("import-mentions")
    assert blocked.returncode == 0, blocked.stdout + blocked.stderr
    assert "another worker is importing" in blocked.stdout
    assert count(Idea) == at_kill
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
