"""Crash safety of e-mail: `flask ideaboard deliver` killed with SIGKILL mid-batch, then rerun.

The CLI runs in a subprocess on this test's database and sends to a real SMTP server on
loopback (aiosmtpd, in this process) that answers DATA slowly, so the kill lands mid-batch.
A row the dead process was sending stays `sending` until it is stale; the rerun sends it again
with the same Message-ID (derived from the row's dedupe key). The server keeps one copy per
Message-ID, as receiving servers that recognise a resend do, and counts every message offered,
so the test can tell "delivered once" from "offered twice".

It runs on both databases: claiming a row differs between them (FOR UPDATE SKIP LOCKED on
PostgreSQL, a conditional UPDATE on SQLite), and that is what a crash puts to the test.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from ideaboard.extensions import db
from ideaboard.mail import enqueue
from ideaboard.outbox.models import OutboxMessage
from tests.helpers import CliRunner, cli_env, outbox_states, wait_until
from tests.mail.helpers import SmtpServer

pytestmark = pytest.mark.slow

STALE_SECONDS = 2
ROWS = 40


def mail_cli_env(app: Flask, server: SmtpServer) -> dict[str, str]:
    """A production-like CLI's environment: this test's database, the loopback SMTP server."""
    return cli_env(
        app,
        SECRET_KEY="test-secret-key",
        IDEABOARD_SMTP_URL=server.url(),
        IDEABOARD_MAIL_FROM="ideas@board.test",
        IDEABOARD_OUTBOX_STALE_SECONDS=str(STALE_SECONDS),
        IDEABOARD_SMTP_TIMEOUT_SECONDS="5",
    )


def test_deliver_killed_mid_batch_then_rerun_delivers_each_email_once(
    app: Flask, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    for n in range(ROWS):
        enqueue.enqueue(letter="test", to=f"person{n}@example.com", dedupe_key=f"email:kill:{n}")
    db.session.commit()
    # The server takes each message at once and answers 250 after 0.1 s (the batch takes
    # ~4 s): a kill then lands after the server has the message, before the sender knows it.
    smtp_server.behaviour.reply_delay = 0.1
    smtp_server.behaviour.dedupe_message_ids = True
    cli = CliRunner(mail_cli_env(app, smtp_server), tmp_path, run_timeout=60)

    process = cli.start("deliver")
    try:
        wait_until(lambda: len(smtp_server.messages()) >= 8, timeout=30, what="the first e-mails")
        # Until the next message is taken: the kill lands while the sender waits for its 250.
        wait_until(lambda: len(smtp_server.messages()) >= 9, timeout=30, what="one more")
        process.kill()  # SIGKILL: no clean-up, a row may be left in `sending`
        process.wait(timeout=10)
    finally:
        cli.close()
    time.sleep(0.3)  # the message the process died in may still complete on the server
    at_kill = outbox_states()
    stored_at_kill = len(smtp_server.messages())
    assert 9 <= stored_at_kill < ROWS, "the kill did not land mid-batch"
    assert at_kill["sending"] == 1  # the message the server has and the row does not know

    time.sleep(STALE_SECONDS + 0.2)  # a row owned by the dead process is stale now
    smtp_server.behaviour.reply_delay = 0
    runs = []
    for _ in range(3):
        done = cli.run("deliver")
        assert done.returncode == 0, done.stdout + done.stderr
        runs.append(done.stdout.strip())
        if outbox_states() == {"sent": ROWS}:
            break

    received = smtp_server.messages()
    ids = Counter(m.message_id for m in received)
    recipients = sorted(r for m in received for r in m.rcpt_tos)
    print(
        f"\nkill deliver: messages={ROWS} stored at kill={stored_at_kill} rows at kill="
        f"{dict(at_kill)} reruns={runs} stored={len(received)} offered={smtp_server.offered} "
        f"resent in-flight={smtp_server.offered - len(received)} "
        f"duplicates={sum(c - 1 for c in ids.values())}"
    )
    assert outbox_states() == {"sent": ROWS}
    assert len(received) == ROWS
    assert set(ids.values()) == {1}
    assert recipients == sorted(f"person{n}@example.com" for n in range(ROWS))
    # The message in flight at the kill was handed over twice, with the same Message-ID, and
    # the server kept one copy; nothing else was offered twice.
    assert smtp_server.offered == ROWS + 1
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert {row.remote_id for row in rows} == set(ids)
    db.session.rollback()
