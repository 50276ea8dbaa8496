"""Importing tagged mentions through tweepy from the sandbox X API on 127.0.0.1 (issue #8).

Every test drives `jobs.run_import` with the real `XConnector` (tweepy over HTTP) and checks
the stored ideas, the mention log, the account cursor and the outbox.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from ideaboard.errors import PermissionDenied
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea, Source, Vote
from ideaboard.outbox.delivery import deliver_due
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social import importer, jobs
from ideaboard.social.connectors import FetchError, Mention, XConnector
from ideaboard.social.models import MentionLog, SocialAccount, SocialIdentity
from sandboxes.x import SandboxStore, post_mention, set_faults
from sandboxes.x.limits import usage
from tests.social.helpers import BRAND_ID

TAGS = ["#아이디어", "#Idea", "#IDEA", "#idea", "#iDeA"]
# Hashtags that look like the idea tag but are not it: X glues Korean particles to the tag.
NEAR_MISSES = ["#ideas", "#아이디어가", "#help", ""]


def token(n: int, part: str) -> str:
    """A word no other mention's title contains (fixed length, so never a substring of another)."""
    return f"q{n:04d}{part}"


def tagged_text(n: int) -> str:
    tag = TAGS[n % len(TAGS)]
    if tag == "#아이디어":
        return f"@hanbit {tag} {token(n, 'a')} {token(n, 'b')} {token(n, 'c')} 요금제"
    return f"@hanbit {tag} {token(n, 'a')} {token(n, 'b')} {token(n, 'c')} option"


def untagged_text(n: int) -> str:
    return f"@hanbit {token(n, 'u')} {token(n, 'v')} 문의 {NEAR_MISSES[n % len(NEAR_MISSES)]}"


def mentions_used(store: SandboxStore) -> int:
    """Requests counted on the sandbox's mentions endpoint in the current window."""
    bucket = usage(store)["mentions"]
    return bucket["limit"] - bucket["remaining"]


def make_retweet(
    store: SandboxStore, original: dict[str, Any], author: str, username: str
) -> dict[str, Any]:
    """Post "RT @author: …" and mark it a retweet (the sandbox has no retweet endpoint)."""
    post = post_mention(store, username=username, text=f"RT @{author}: {original['source_text']}")
    with store.transaction(write=True) as tx:
        tx.execute(
            "UPDATE tweets SET referenced_tweets = ? WHERE id = ?",
            (json.dumps([{"type": "retweeted", "id": str(original["id"])}]), post["id"]),
        )
    return post


def log_of(post_id: int | str) -> MentionLog | None:
    return db.session.scalar(select(MentionLog).where(MentionLog.post_id == str(post_id)))


def test_import_pages_through_every_tagged_mention_once_oldest_first(
    brand_account: SocialAccount, x_connector: XConnector, sandbox_store: SandboxStore
) -> None:
    tagged: list[dict[str, Any]] = []
    untagged: list[dict[str, Any]] = []
    for n in range(250):  # 170 tagged, 80 untagged, interleaved
        if n % 25 < 17:
            tagged.append(post_mention(sandbox_store, username=f"fan{n}", text=tagged_text(n)))
        else:
            untagged.append(post_mention(sandbox_store, username=f"fan{n}", text=untagged_text(n)))
    retweets = [make_retweet(sandbox_store, tagged[i], f"fan{i}", f"rt{i}") for i in (0, 1)]
    own = post_mention(sandbox_store, username="hanbit", text="@hanbit 공지입니다 #아이디어 환영")
    assert (len(tagged), len(untagged)) == (170, 80)

    result = jobs.run_import(brand_account, x_connector, owner="test-importer")

    assert result is not None
    assert (result.fetched, result.imported, result.skipped) == (252, 170, 82)
    assert (result.held, result.voted, result.already_seen) == (0, 0, 0)
    assert mentions_used(sandbox_store) == 3  # 252 mentions: three pages of at most 100
    ideas = list(db.session.scalars(select(Idea).order_by(Idea.id)))
    assert [i.source_post_id for i in ideas] == [str(p["id"]) for p in tagged]
    # Oldest first: idea ids grow with post ids.
    assert [int(i.source_post_id) for i in ideas] == sorted(int(i.source_post_id) for i in ideas)
    assert {i.source for i in ideas} == {Source.X.value}
    assert {i.source_lang for i in ideas} == {"ko", "en"}
    assert all(i.source_url.endswith(f"/status/{i.source_post_id}") for i in ideas)
    assert str(own["id"]) not in {i.source_post_id for i in ideas}  # X never lists it

    logs = {log.post_id: log for log in db.session.scalars(select(MentionLog))}
    assert len(logs) == 252
    assert Counter(log.outcome for log in logs.values()) == {"imported": 170, "skipped": 82}
    assert {logs[str(p["id"])].reason for p in untagged} == {"no idea tag"}
    assert {logs[str(p["id"])].reason for p in retweets} == {"a retweet"}
    assert {logs[str(p["id"])].reason for p in tagged} == {"new idea"}

    acks = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [a.target for a in acks] == [str(p["id"]) for p in tagged]
    assert {a.state for a in acks} == {"pending"}
    assert {a.idea_id for a in acks} == {i.id for i in ideas}

    account = db.session.get(SocialAccount, brand_account.id)
    assert account.since_id == str(max(p["id"] for p in [*tagged, *untagged, *retweets]))
    assert account.last_polled_at is not None
    assert (account.lease_owner, account.lease_until, account.last_error) == (None, None, None)

    again = jobs.run_import(brand_account, x_connector, owner="test-importer")

    assert again is not None
    assert (again.fetched, again.already_seen, again.imported, again.skipped) == (252, 252, 0, 0)
    assert db.session.scalar(select(func.count()).select_from(Idea)) == 170
    assert db.session.scalar(select(func.count()).select_from(MentionLog)) == 252
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 170


def test_import_never_makes_an_idea_of_the_accounts_own_post(
    brand_account: SocialAccount, x_connector: XConnector, sandbox_store: SandboxStore
) -> None:
    own = post_mention(sandbox_store, username="hanbit", text="@hanbit 새 요금제 안내 #아이디어")
    # X leaves the account's own posts out of its mentions; the importer refuses them anyway.
    assert x_connector.fetch_mentions(since_id=None, start_time=None) == []
    mention = Mention(
        id=str(own["id"]),
        text=own["text"],
        author_id=BRAND_ID,
        author_handle="hanbit",
        author_name="Hanbit Telecom",
        created_at=datetime.now(UTC),
        lang="ko",
        hashtags=["아이디어"],
    )

    outcome = importer.process_mention(brand_account, mention, datetime.now(UTC))
    db.session.commit()

    assert outcome == "skipped"
    assert log_of(own["id"]).reason == "the account's own post"
    assert db.session.scalar(select(func.count()).select_from(Idea)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_tagged_reply_to_an_imported_ideas_post_counts_as_a_vote_by_its_author(
    brand_account: SocialAccount,
    x_connector: XConnector,
    sandbox_store: SandboxStore,
    import_posts: Callable[..., tuple[list[dict[str, Any]], list[Idea]]],
) -> None:
    (post,), (idea,) = import_posts(
        ("minji", "@hanbit #아이디어 해외 로밍 데이터를 하루 단위로 켜게 해 주세요")
    )
    reply = post_mention(
        sandbox_store,
        username="jisoo",
        text="@hanbit 저도 꼭 필요해요 #아이디어",
        in_reply_to_tweet_id=post["id"],
    )
    later = post_mention(sandbox_store, username="doyun", text="@hanbit #idea Dark mode for bills")

    result = jobs.run_import(brand_account, x_connector, owner="test-importer")

    assert result is not None
    assert (result.voted, result.imported) == (1, 1)
    db.session.refresh(idea)
    assert (idea.up_count, idea.score) == (1, 1)
    voter = db.session.scalar(select(SocialIdentity).where(SocialIdentity.handle == "jisoo"))
    vote = db.session.scalar(select(Vote).where(Vote.idea_id == idea.id))
    assert (vote.user_id, vote.value) == (voter.user_id, 1)
    assert (log_of(reply["id"]).outcome, log_of(reply["id"]).reason) == (
        "voted",
        f"reply to idea #{idea.id}",
    )
    assert db.session.scalar(select(Idea).where(Idea.source_post_id == str(reply["id"]))) is None
    # The mention after the vote is imported in the same poll.
    assert db.session.scalar(select(Idea).where(Idea.source_post_id == str(later["id"])))


def test_mention_matching_an_existing_idea_becomes_a_vote_and_a_matched_ack(
    brand_account: SocialAccount,
    x_connector: XConnector,
    sandbox_store: SandboxStore,
    import_posts: Callable[..., tuple[list[dict[str, Any]], list[Idea]]],
) -> None:
    _posts, (idea,) = import_posts(("minji", "@hanbit #idea Family data sharing plan"))
    again = post_mention(
        sandbox_store, username="jisoo", text="@hanbit #Idea family data sharing plan"
    )

    result = jobs.run_import(brand_account, x_connector, owner="test-importer")

    assert result is not None
    assert result.voted == 1
    assert log_of(again["id"]).reason == f"matches idea #{idea.id}"
    ack = db.session.scalar(select(OutboxMessage).where(OutboxMessage.target == str(again["id"])))
    assert ack.payload["ack"] == "matched"


def test_late_indexed_mention_below_the_cursor_is_picked_up_by_the_overlap_window(
    brand_account: SocialAccount,
    x_connector: XConnector,
    sandbox_store: SandboxStore,
    import_posts: Callable[..., tuple[list[dict[str, Any]], list[Idea]]],
) -> None:
    (first,), _ideas = import_posts(
        ("minji", "@hanbit #아이디어 q0001a 데이터 선물하기 횟수 늘려 주세요")
    )
    cursor = db.session.get(SocialAccount, brand_account.id).since_id
    assert cursor == str(first["id"])
    # Indexed late by X: written two minutes ago, so its id is below the cursor.
    late = post_mention(
        sandbox_store,
        username="seoyeon",
        text="@hanbit #Idea q0002a Let me pick my bill date",
        created_at=datetime.now(UTC) - timedelta(minutes=2),
    )
    assert late["id"] < int(cursor)
    # A pure since_id poll never sees it…
    assert x_connector.fetch_mentions(since_id=cursor, start_time=None) == []

    result = jobs.run_import(brand_account, x_connector, owner="test-importer")

    # …the overlap window (last poll − 10 min) does, and the first mention is not redone.
    assert result is not None
    assert (result.imported, result.already_seen) == (1, 1)
    idea = db.session.scalar(select(Idea).where(Idea.source_post_id == str(late["id"])))
    assert idea is not None
    assert idea.title == "q0002a Let me pick my bill date"
    assert db.session.get(SocialAccount, brand_account.id).since_id == cursor
    assert db.session.scalar(select(func.count()).select_from(Idea)) == 2


def test_title_drops_leading_mentions_and_the_tag_and_keeps_the_first_sentence(
    import_posts: Callable[..., tuple[list[dict[str, Any]], list[Idea]]],
) -> None:
    long_en = "@hanbit #idea " + " ".join(f"word{n:03d}" for n in range(60))
    long_ko = "@hanbit @minji #아이디어 " + "가나다라마바사아자차" * 20
    texts = [
        (
            "minji",
            "@hanbit @hanbit_cs #아이디어 요금제 데이터를 다음 달로 넘겨 주세요. 그러면 좋겠어요!",
        ),
        ("jisoo", "@hanbit #IDEA Show the data left on the lock screen? It would help a lot"),
        ("doyun", long_en),
        ("seoyeon", long_ko),
    ]

    posts, ideas = import_posts(*texts)

    assert [i.title for i in ideas[:2]] == [
        "요금제 데이터를 다음 달로 넘겨 주세요.",
        "Show the data left on the lock screen?",
    ]
    for idea in ideas[2:]:
        assert len(idea.title) <= 140
        assert idea.title.endswith("…")
        assert "#" not in idea.title
        assert "@" not in idea.title
    assert ideas[2].title.startswith("word000 word001")
    assert ideas[3].title.startswith("가나다라마바사아자차")
    # The body keeps the whole post.
    assert [i.body for i in ideas] == [t for _u, t in texts]
    assert all(i.source_post_id == str(p["id"]) for i, p in zip(ideas, posts, strict=True))


def test_held_account_keeps_ideas_hidden_until_staff_approve_and_acknowledge_them(
    brand_account: SocialAccount,
    make_user: Callable[..., Any],
    brand_replies: Callable[[], dict[str, list[dict[str, Any]]]],
    import_posts: Callable[..., tuple[list[dict[str, Any]], list[Idea]]],
) -> None:
    brand_account.moderation = "hold"
    db.session.commit()
    staff = make_user("staff", initials="KG")
    customer = make_user()

    posts, ideas = import_posts(
        ("minji", "@hanbit #아이디어 q0001a 가족 결합 할인 늘려 주세요"),
        ("jisoo", "@hanbit #idea q0002a Paperless bills by default"),
    )

    assert all(i.held and i.hidden_at is not None for i in ideas)
    assert {i.hidden_reason for i in ideas} == {"held for approval"}
    assert {log_of(p["id"]).outcome for p in posts} == {"held"}
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0

    with pytest.raises(PermissionDenied):
        importer.approve_held_idea(ideas[0], customer)
    importer.approve_held_idea(ideas[0], staff)
    importer.approve_held_idea(ideas[0], staff)  # twice: still one acknowledgement
    db.session.commit()

    assert (ideas[0].held, ideas[0].hidden_at) == (False, None)
    assert ideas[1].held
    acks = list(db.session.scalars(select(OutboxMessage)))
    assert [(a.target, a.state, a.payload["ack"]) for a in acks] == [
        (str(posts[0]["id"]), "pending", "imported")
    ]

    delivered = deliver_due(worker="test-worker")

    assert delivered.sent == 1
    replies = brand_replies()
    assert list(replies) == [str(posts[0]["id"])]
    assert (
        f"/ideas/{ideas[0].id}"
        in replies[str(posts[0]["id"])][0]["entities"]["urls"][0]["expanded_url"]
    )


def test_rate_limited_poll_sets_next_poll_at_and_waits_for_the_reset(
    brand_account: SocialAccount, x_connector: XConnector, sandbox_store: SandboxStore
) -> None:
    post = post_mention(
        sandbox_store, username="minji", text="@hanbit #아이디어 q0001a 알뜰폰 요금제"
    )
    set_faults(sandbox_store, burst_429=1, burst_429_reset_s=5, endpoint="mentions")
    started = datetime.now(UTC)

    with pytest.raises(FetchError) as caught:
        jobs.run_import(brand_account, x_connector, owner="test-importer")

    account = db.session.get(SocialAccount, brand_account.id)
    assert caught.value.retry_at is not None
    assert account.next_poll_at == caught.value.retry_at
    assert started + timedelta(seconds=3) < account.next_poll_at < started + timedelta(seconds=8)
    assert account.last_error == "rate limited"
    assert (account.lease_owner, account.since_id, account.last_polled_at) == (None, None, None)
    assert db.session.scalar(select(func.count()).select_from(Idea)) == 0

    # Before the reset the poll does not even call X.
    used = mentions_used(sandbox_store)
    assert jobs.run_import(brand_account, x_connector, owner="test-importer") is None
    assert mentions_used(sandbox_store) == used

    result = jobs.run_import(
        brand_account,
        x_connector,
        owner="test-importer",
        now=account.next_poll_at + timedelta(seconds=1),
    )

    assert result is not None
    assert result.imported == 1
    assert db.session.scalar(select(Idea.source_post_id)) == str(post["id"])
    assert db.session.get(SocialAccount, brand_account.id).last_error is None
