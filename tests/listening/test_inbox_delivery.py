"""A listening reply really leaves: an untagged mention imported from the sandbox X API
through tweepy, answered in the inbox, delivered once through the outbox to the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import select

from ideaboard.accounts.models import User
from ideaboard.extensions import db
from ideaboard.outbox.delivery import deliver_due
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social import jobs
from ideaboard.social.models import MentionLog, SocialAccount
from sandboxes.x import SandboxStore, post_mention, timeline
from tests.helpers import login, post
from tests.social.helpers import BRAND_ID


def brand_replies(store: SandboxStore, post_id: str) -> list[dict[str, Any]]:
    return [
        p
        for p in timeline(store)
        if p["author_id"] == BRAND_ID and p["in_reply_to_tweet_id"] == post_id
    ]


def test_an_inbox_reply_is_delivered_once_to_the_mention_on_x(
    app: Flask,
    x_store: tuple[str, SandboxStore],
    x_account: SocialAccount,
    make_user: Callable[..., User],
) -> None:
    _url, store = x_store
    posted = post_mention(store, username="minji", text="@hanbit 요금제 변경은 어디서 하나요?")
    connector = jobs.connector_for(x_account)
    try:
        jobs.run_import(x_account, connector, owner="test-importer")
    finally:
        connector.close()
    entry = db.session.scalar(select(MentionLog).where(MentionLog.post_id == str(posted["id"])))
    assert entry is not None
    assert (entry.outcome, entry.reason, entry.label, entry.inbox_state) == (
        "skipped", "no idea tag", "question", "open",
    )  # fmt: skip

    client = app.test_client()
    login(client, make_user("staff", name="Kim Gyu", initials="KG"))
    reply = {"state": "open", "text": "마이페이지 > 요금제 변경에서 바로 바꾸실 수 있어요."}
    path = f"/staff/listening/{entry.id}/reply"
    assert post(client, path, reply).status_code == 302
    assert post(client, path, reply).status_code == 302  # sent twice: "already handled"

    first = deliver_due(worker="test-worker")
    again = deliver_due(worker="test-worker")
    assert first.sent == 1
    assert again.sent == 0
    (row,) = db.session.scalars(select(OutboxMessage))
    db.session.refresh(row)
    assert row.state == "sent"
    assert row.remote_id
    (landed,) = brand_replies(store, str(posted["id"]))
    assert landed["text"].endswith("마이페이지 > 요금제 변경에서 바로 바꾸실 수 있어요. ^KG")
