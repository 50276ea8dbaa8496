"""A page of mentions is one transaction with a savepoint per mention (issue 17).

One mention that raises is rolled back alone — nothing half-written of it stays —, logged as
failed with the error, and the rest of its page is imported; a database error (locked, gone)
rolls the whole page back with its cursor, and the next poll imports each mention once.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social import importer, jobs
from ideaboard.social.connectors import XConnector
from ideaboard.social.models import MentionLog, SocialAccount
from sandboxes.x import SandboxStore, post_mention


def count(model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def post_many(store: SandboxStore, n: int, bad: int) -> tuple[list[str], str]:
    """Post n tagged mentions with words of their own; the one at index `bad` says BOOM."""
    ids = []
    for i in range(n):
        word = "BOOM" if i == bad else "fine"
        post = post_mention(
            store, username=f"fan{i}", text=f"@hanbit #아이디어 q{i:04d}a q{i:04d}b {word}"
        )
        ids.append(str(post["id"]))
    return ids, ids[bad]


def test_a_mention_that_raises_is_logged_failed_and_its_page_is_imported(
    brand_account: SocialAccount,
    x_connector: XConnector,
    sandbox_store: SandboxStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids, bad = post_many(sandbox_store, 150, bad=120)  # several pages; a later one has the bad one
    real_ack = importer.enqueue_ack

    def ack(account: Any, idea: Idea, post_id: str, *args: Any, **kw: Any) -> None:
        if post_id == bad:  # after its idea and identity were flushed: all must go
            raise ValueError("a bug in the acknowledgement")
        real_ack(account, idea, post_id, *args, **kw)

    monkeypatch.setattr(importer, "enqueue_ack", ack)

    result = jobs.run_import(brand_account, x_connector, owner="test-importer")

    assert result is not None
    assert (result.fetched, result.imported, result.failed) == (150, 149, 1)
    logs = {log.post_id: log for log in db.session.scalars(select(MentionLog))}
    assert set(logs) == set(ids)
    assert logs[bad].outcome == "failed"
    assert logs[bad].reason == "failed: ValueError: a bug in the acknowledgement"
    assert logs[bad].idea_id is None
    imported = set(db.session.scalars(select(Idea.source_post_id)))
    assert imported == set(ids) - {bad}
    assert set(db.session.scalars(select(OutboxMessage.target))) == set(ids) - {bad}
    account = db.session.get_one(SocialAccount, brand_account.id)
    assert account.since_id == max(ids, key=int)
    assert (account.lease_owner, account.last_error) == (None, None)

    again = jobs.run_import(brand_account, x_connector, owner="test-importer")

    assert again is not None
    assert (again.fetched, again.already_seen, again.failed) == (150, 150, 0)
    assert count(Idea) == 149
    assert count(MentionLog) == 150


def test_a_database_error_rolls_the_page_and_its_cursor_back_and_the_rerun_imports_once(
    brand_account: SocialAccount,
    x_connector: XConnector,
    sandbox_store: SandboxStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids, bad = post_many(sandbox_store, 150, bad=130)
    real = importer.process_mention

    def locked(account: Any, mention: Any, now: Any, **kw: Any) -> Any:
        if mention.id == bad:
            raise OperationalError("INSERT …", {}, Exception("database is locked"))
        return real(account, mention, now, **kw)

    monkeypatch.setattr(importer, "process_mention", locked)

    with pytest.raises(OperationalError):
        jobs.run_import(brand_account, x_connector, owner="test-importer")

    # The pages before the bad mention's were committed with their cursor; nothing of its own.
    done = ids.index(bad) // jobs.IMPORT_PAGE * jobs.IMPORT_PAGE
    assert 0 < done < ids.index(bad)
    account = db.session.get_one(SocialAccount, brand_account.id)
    assert account.since_id == ids[done - 1]
    assert account.lease_owner is None
    assert count(Idea) == done
    assert count(MentionLog) == done

    monkeypatch.setattr(importer, "process_mention", real)
    rerun = jobs.run_import(brand_account, x_connector, owner="test-importer")

    assert rerun is not None
    assert (rerun.imported, rerun.already_seen, rerun.failed) == (
        150 - done,
        0,
        0,
    )  # since the cursor
    assert sorted(db.session.scalars(select(Idea.source_post_id)), key=int) == ids
    assert Counter(db.session.scalars(select(MentionLog.outcome))) == {"imported": 150}
    assert count(OutboxMessage) == 150
    assert db.session.get_one(SocialAccount, brand_account.id).since_id == ids[-1]


def test_within_a_page_a_reply_votes_for_the_idea_imported_just_before_it(
    brand_account: SocialAccount, x_connector: XConnector, sandbox_store: SandboxStore
) -> None:
    """The page's lookups learn the ideas the page creates: the same author is one identity,
    and a reply to a post imported earlier in the page is a vote on its idea."""
    first = post_mention(sandbox_store, username="minji", text="@hanbit #idea q0001a q0001b eSIM")
    reply = post_mention(
        sandbox_store,
        username="jisoo",
        text="@hanbit #아이디어 저도요",
        in_reply_to_tweet_id=str(first["id"]),
    )
    own_again = post_mention(
        sandbox_store, username="minji", text="@hanbit #idea q0002a q0002b roaming"
    )

    result = jobs.run_import(brand_account, x_connector, owner="test-importer")

    assert result is not None
    assert (result.imported, result.voted) == (2, 1)
    idea = db.session.scalar(select(Idea).where(Idea.source_post_id == str(first["id"])))
    assert idea is not None
    assert idea.up_count == 1
    log = db.session.scalar(select(MentionLog).where(MentionLog.post_id == str(reply["id"])))
    assert log is not None
    assert log.reason == f"reply to idea #{idea.id}"
    second = db.session.scalar(select(Idea).where(Idea.source_post_id == str(own_again["id"])))
    assert second is not None
    assert second.author_id == idea.author_id  # one identity and shadow user for minji
