"""The delivery loop with senders of its own: typed outcomes, commits, kinds without a sender."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.outbox.delivery import deliver_due
from ideaboard.outbox.models import OutboxMessage
from ideaboard.outbox.senders import (
    Deferred,
    Failed,
    Found,
    Outcome,
    Sent,
    Skipped,
    register_sender,
    registered_senders,
)


@dataclass
class ScriptedSender:
    """Answers each send with the next scripted outcome and notes what it saw."""

    outcomes: list[Outcome]
    prepared: list[int] = field(default_factory=list)
    open_during_send: list[bool] = field(default_factory=list)
    settled: list[tuple[int, str]] = field(default_factory=list)  # (row id, state recorded)
    closed: bool = False

    def prepare(self, row: OutboxMessage, now: datetime) -> dict[str, Any]:
        self.prepared.append(row.id)
        return {"id": row.id, "text": row.text}

    def send(self, snapshot: dict[str, Any]) -> Outcome:
        self.open_during_send.append(db.session().in_transaction())
        return self.outcomes.pop(0)

    def settle(self, row: OutboxMessage, outcome: Outcome) -> None:
        self.settled.append((row.id, row.state))

    def close(self) -> None:
        self.closed = True


def _row(key: str, kind: str = "email", **values: Any) -> int:
    row = OutboxMessage(kind=kind, dedupe_key=key, text=f"text {key}", target="a@example.com")
    for name, value in values.items():
        setattr(row, name, value)
    db.session.add(row)
    db.session.commit()
    return row.id


def _get(row_id: int) -> OutboxMessage:
    db.session.expire_all()
    row = db.session.get(OutboxMessage, row_id)
    assert row is not None
    return row


def test_the_app_registers_a_sender_for_each_networks_kinds_and_webhooks_only(app: Flask) -> None:
    assert set(registered_senders(app)) == {
        "x_reply", "x_post", "bluesky_reply", "bluesky_post", "mastodon_reply", "mastodon_post",
        "webhook",
    }  # fmt: skip


def test_a_kind_without_a_sender_fails_as_final_with_a_clear_message(app: Flask) -> None:
    row_id = _row("mail-1")

    result = deliver_due(worker="t")

    assert (result.claimed, result.dead, result.sent) == (1, 1, 0)
    row = _get(row_id)
    assert (row.state, row.last_error) == ("dead", "no sender for email messages yet")


def test_outcomes_are_recorded_and_no_transaction_is_open_while_sending(app: Flask) -> None:
    soon = utcnow() + timedelta(minutes=5)
    sender = ScriptedSender(
        [
            Sent("r-1", "https://example.com/r-1", cost_usd=0.25),
            Found("r-2", note="it was there already"),
            Failed("refused", final=True),
            Failed("flaky"),
            Deferred("slow down", soon),
            Skipped("the recipient unsubscribed"),
        ]
    )
    ids = [_row(f"mail-{n}") for n in range(6)]

    result = deliver_due(worker="t", senders={"email": lambda: sender})

    assert sender.prepared == ids
    assert sender.open_during_send == [False] * 6
    assert sender.closed
    assert (result.claimed, result.sent, result.found_existing) == (6, 1, 1)
    assert (result.dead, result.failed, result.deferred, result.skipped) == (1, 1, 1, 1)
    # settle() sees each row after its outcome is recorded, in the same transaction.
    assert sender.settled == list(
        zip(ids, ["sent", "sent", "dead", "failed", "failed", "cancelled"], strict=True)
    )
    sent, found, dead, failed, deferred, skipped = (_get(i) for i in ids)
    assert (skipped.state, skipped.last_error) == ("cancelled", "the recipient unsubscribed")
    assert (sent.state, sent.remote_id, sent.remote_url, sent.cost_usd) == (
        "sent", "r-1", "https://example.com/r-1", 0.25,
    )  # fmt: skip
    assert (found.state, found.remote_id, found.last_error) == (
        "sent",
        "r-2",
        "it was there already",
    )
    assert (dead.state, dead.last_error) == ("dead", "refused")
    assert (failed.state, failed.attempts, failed.last_error) == ("failed", 1, "flaky")
    assert failed.next_attempt_at > utcnow()
    # A deferral is not the row's fault: the attempt is given back and the row waits.
    assert (deferred.state, deferred.attempts) == ("failed", 0)
    assert deferred.next_attempt_at == soon + timedelta(seconds=1)


def test_a_sender_may_answer_in_prepare_without_sending(app: Flask) -> None:
    class Refusing(ScriptedSender):
        def prepare(self, row: OutboxMessage, now: datetime) -> Any:
            return Failed("nowhere to send it", final=True)

    sender = Refusing([])
    row_id = _row("mail-x")

    assert deliver_due(worker="t", senders={"email": lambda: sender}).dead == 1
    assert sender.open_during_send == []
    assert _get(row_id).last_error == "nowhere to send it"


def test_a_sender_that_raises_leaves_the_row_claimed_for_recovery(app: Flask) -> None:
    class Crashing(ScriptedSender):
        def send(self, snapshot: dict[str, Any]) -> Outcome:
            raise RuntimeError("the process dies here")

    sender = Crashing([])
    row_id = _row("mail-crash")

    with pytest.raises(RuntimeError):
        deliver_due(worker="t", senders={"email": lambda: sender})
    db.session.rollback()
    assert sender.closed
    row = _get(row_id)
    assert (row.state, row.attempts, row.claimed_by) == ("sending", 1, "t")


def test_registered_senders_are_per_app(app: Flask, app_factory: Any) -> None:
    sender = ScriptedSender([Sent("r-9")])
    register_sender(app, "email", lambda: sender)
    row_id = _row("mail-9")

    assert deliver_due(worker="t").sent == 1
    assert _get(row_id).state == "sent"
    assert db.session.scalar(select(OutboxMessage.remote_id)) == "r-9"
