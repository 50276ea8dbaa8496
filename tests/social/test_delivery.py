"""Delivering the outbox through tweepy to the sandbox X API on 127.0.0.1 (issue #8).

Replies are checked where they land — the sandbox timeline — as well as in the outbox rows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from ideaboard.errors import Conflict
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.outbox import rules as outbox
from ideaboard.outbox.delivery import DeliveryResult, deliver_due
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social.compose import weighted_length
from ideaboard.social.connectors import XConnector
from ideaboard.social.models import SocialAccount
from ideaboard.triage.services import change_stage, find_stage
from sandboxes.x import (
    SandboxStore,
    clear_faults,
    delete_post,
    post_mention,
    set_faults,
)
from tests.helpers import Clock

ImportPosts = Callable[..., tuple[list[dict[str, Any]], list[Idea]]]
Replies = Callable[[], dict[str, list[dict[str, Any]]]]

LONG_KO = (
    "@hanbit #아이디어 해외에 나가 있는 동안 쓰지 못한 기본 데이터와 통화 시간을 다음 달로 "
    "넘기고 가족 회선끼리 나누어 쓸 수 있게 하며 남은 양을 앱 첫 화면과 잠금 화면에서 바로 "
    "확인하고 한 번에 충전하고 선물까지 할 수 있는 요금제 옵션을 새로 만들어 주시면 정말 좋겠습니다"
)


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def deliver() -> DeliveryResult:
    return deliver_due(worker="test-worker")


def test_stage_change_sends_one_reply_per_imported_post_within_280(
    brand_account: SocialAccount,
    import_posts: ImportPosts,
    make_user: Callable[..., Any],
    make_idea: Callable[..., Idea],
    brand_replies: Replies,
) -> None:
    brand_account.acknowledge = False  # only the stage replies go out
    db.session.commit()
    staff = make_user("staff", initials="KG")
    posts, ideas = import_posts(
        ("minji", LONG_KO),
        ("jisoo", "@hanbit #Idea q0002a Split the bill between family lines"),
    )
    web_idea = make_idea(title="q0003a 웹에서 낸 아이디어")
    assert ideas[0].title.endswith("…")
    assert 120 < len(ideas[0].title) <= 140
    stage = find_stage("under-review")
    for idea in [*ideas, web_idea]:
        change_stage(idea, stage, "팀에서 검토를 시작했습니다.", staff, check_workflow=False)
    db.session.commit()

    queued = rows()
    assert [(r.target, r.state, r.kind) for r in queued] == [
        (str(p["id"]), "pending", "x_reply") for p in posts
    ]  # the web idea has no post to reply to
    assert all(r.status_change_id is not None for r in queued)

    result = deliver()

    assert (result.claimed, result.sent) == (2, 2)
    replies = brand_replies()
    assert sorted(replies) == sorted(str(p["id"]) for p in posts)
    for row in rows():
        (reply,) = replies[row.target]
        assert (row.state, row.remote_id, row.attempts) == ("sent", reply["id"], 1)
        assert reply["in_reply_to_tweet_id"] == row.target
        assert row.text.endswith("^KG")
        assert weighted_length(row.text) <= 280
        assert row.remote_url == f"https://x.com/hanbit/status/{reply['id']}"
    korean = rows()[0]
    assert korean.text.startswith('[검토 중] "해외에')
    assert "…" in korean.text  # the long title was shortened to fit
    assert weighted_length(korean.text) > 260
    # Nothing is due any more: a second run sends nothing.
    assert deliver().claimed == 0
    assert sum(len(r) for r in brand_replies().values()) == 2


def _duplicate(connector: XConnector, row: OutboxMessage, store: SandboxStore) -> None:
    connector.post_reply(row.text, row.target)  # the same reply is on X already


def _not_mentioned(connector: XConnector, row: OutboxMessage, store: SandboxStore) -> None:
    plain = post_mention(store, username="minji", text="오늘 날씨 좋네요 q0009a")  # no @hanbit
    row.target = str(plain["id"])
    row.payload = {"in_reply_to_tweet_id": row.target}
    db.session.commit()


def _deleted(connector: XConnector, row: OutboxMessage, store: SandboxStore) -> None:
    assert delete_post(store, row.target)


@pytest.mark.parametrize(
    ("prepare", "expected_error", "replies_after"),
    [
        (_duplicate, "403: You are not allowed to create a Tweet with duplicate content.", 1),
        (_not_mentioned, "403: Reply to this conversation is not allowed because", 0),
        (_deleted, "403: You attempted to reply to a Tweet that is deleted", 0),
    ],
    ids=["duplicate-content", "reply-not-allowed", "deleted-target"],
)
def test_forbidden_reply_is_final_dead_with_xs_reason(
    import_posts: ImportPosts,
    x_connector: XConnector,
    sandbox_store: SandboxStore,
    brand_replies: Replies,
    prepare: Callable[[XConnector, OutboxMessage, SandboxStore], None],
    expected_error: str,
    replies_after: int,
) -> None:
    import_posts(("minji", "@hanbit #아이디어 q0001a 데이터 쿠폰 유효기간 늘려 주세요"))
    (row,) = rows()
    prepare(x_connector, row, sandbox_store)

    result = deliver()

    assert (result.claimed, result.dead, result.sent) == (1, 1, 0)
    (row,) = rows()
    assert (row.state, row.attempts, row.remote_id) == ("dead", 1, None)
    assert row.last_error.startswith(expected_error)
    assert sum(len(r) for r in brand_replies().values()) == replies_after
    assert deliver().claimed == 0  # dead rows are not picked up again


def test_server_error_fails_the_row_and_schedules_a_later_attempt(
    import_posts: ImportPosts,
    sandbox_store: SandboxStore,
    brand_replies: Replies,
    clock: Clock,
) -> None:
    import_posts(("minji", "@hanbit #아이디어 q0001a 멤버십 포인트로 요금 내기"))
    set_faults(sandbox_store, error_rate=1.0, error_status=503, endpoint="create_tweet", seed=8)
    before = clock.now()

    result = deliver()

    assert (result.claimed, result.failed) == (1, 1)
    (row,) = rows()
    assert (row.state, row.attempts, row.remote_id) == ("failed", 1, None)
    assert row.last_error.startswith("503: ")
    # 30 s backoff for the first failure, plus up to half of it as jitter.
    assert before + timedelta(seconds=30) <= row.next_attempt_at
    assert row.next_attempt_at <= clock.now() + timedelta(seconds=45)
    assert deliver().claimed == 0  # not due yet
    assert brand_replies() == {}

    clear_faults(sandbox_store)
    clock.advance(minutes=1)
    assert deliver().sent == 1
    (row,) = rows()
    assert (row.state, row.attempts, row.last_error) == ("sent", 2, None)
    assert list(brand_replies()) == [row.target]


def test_rate_limited_send_waits_for_the_reset_and_keeps_the_attempt(
    import_posts: ImportPosts,
    sandbox_store: SandboxStore,
    brand_replies: Replies,
    clock: Clock,
) -> None:
    import_posts(
        ("minji", "@hanbit #아이디어 q0001a 약정 할인 조회 기능"),
        ("jisoo", "@hanbit #idea q0002a eSIM transfer in the app"),
    )
    set_faults(sandbox_store, burst_429=1, burst_429_reset_s=4, endpoint="create_tweet")
    before = clock.now()

    result = deliver()

    # The account is left alone for the rest of the run: the second row is not even tried.
    assert (result.claimed, result.deferred, result.failed) == (1, 1, 0)
    first, second = rows()
    assert (first.state, first.attempts, first.last_error) == ("failed", 0, "rate limited (429)")
    assert before + timedelta(seconds=4) < first.next_attempt_at
    assert first.next_attempt_at < before + timedelta(seconds=7)  # X's reset + 1 s
    assert (second.state, second.attempts) == ("pending", 0)

    assert deliver().sent == 1  # the other row is due; the limited one waits
    assert list(brand_replies()) == [second.target]
    clock.advance(seconds=10)
    assert deliver().sent == 1
    first, second = rows()
    assert (first.state, first.attempts) == ("sent", 1)
    assert sorted(brand_replies()) == sorted([first.target, second.target])


def test_row_is_dead_after_its_last_attempt(
    import_posts: ImportPosts, sandbox_store: SandboxStore, brand_replies: Replies, clock: Clock
) -> None:
    import_posts(("minji", "@hanbit #아이디어 q0001a 통화 연결음 무료"))
    (row,) = rows()
    row.max_attempts = 3
    db.session.commit()
    set_faults(sandbox_store, error_rate=1.0, error_status=500, endpoint="create_tweet", seed=3)

    outcomes = []
    for _ in range(4):
        result = deliver()
        outcomes.append((result.claimed, result.failed, result.dead))
        clock.advance(hours=2)

    assert outcomes == [(1, 1, 0), (1, 1, 0), (1, 0, 1), (0, 0, 0)]
    (row,) = rows()
    assert (row.state, row.attempts) == ("dead", 3)
    assert row.last_error.startswith("500: ")
    assert brand_replies() == {}


def test_staff_retry_resends_a_dead_row_and_cancel_stops_a_pending_one(
    import_posts: ImportPosts, sandbox_store: SandboxStore, brand_replies: Replies
) -> None:
    posts, _ideas = import_posts(
        ("minji", "@hanbit #아이디어 q0001a 부가서비스 한눈에 보기"),
        ("jisoo", "@hanbit #idea q0002a Pause my line while abroad"),
    )
    first, second = rows()
    first.max_attempts = 1
    db.session.commit()
    set_faults(sandbox_store, error_rate=1.0, error_status=503, endpoint="create_tweet", seed=5)
    outbox.cancel(second)
    db.session.commit()

    assert deliver().dead == 1
    first, second = rows()
    assert (first.state, second.state) == ("dead", "cancelled")

    clear_faults(sandbox_store)
    outbox.retry(first)
    db.session.commit()
    assert (first.state, first.attempts) == ("pending", 0)
    result = deliver()

    assert (result.claimed, result.sent) == (1, 1)
    first, second = rows()
    assert (first.state, second.state) == ("sent", "cancelled")
    assert list(brand_replies()) == [str(posts[0]["id"])]
    with pytest.raises(Conflict):
        outbox.retry(first)
    with pytest.raises(Conflict):
        outbox.cancel(first)


def test_monthly_cap_parks_rows_until_next_month_with_the_reason(
    brand_account: SocialAccount,
    import_posts: ImportPosts,
    brand_replies: Replies,
    clock: Clock,
) -> None:
    # Two reads (0.005 each) and one acknowledgement with its link (0.20) fit; a second not.
    brand_account.monthly_cap_usd = 0.30
    db.session.commit()
    posts, _ideas = import_posts(
        ("minji", "@hanbit #아이디어 q0001a 청구서 알림 시간 설정"),
        ("jisoo", "@hanbit #idea q0002a Show roaming prices before I land"),
    )

    result = deliver()

    assert (result.claimed, result.sent, result.deferred) == (2, 1, 1)
    sent, parked = rows()
    assert (sent.state, sent.cost_usd) == ("sent", pytest.approx(0.20))
    now = clock.now()
    month = datetime(now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=UTC)
    assert (parked.state, parked.attempts) == ("parked", 0)
    assert now < parked.next_attempt_at <= month
    assert parked.last_error.startswith("monthly cap of $0.30 reached; waits until ")
    assert f"{month:%Y-%m-%d}" in parked.last_error
    assert list(brand_replies()) == [str(posts[0]["id"])]
    assert deliver().claimed == 0
    if clock.now() + timedelta(hours=2) < month:
        clock.advance(hours=2)  # looked at again later this month: still over the cap
        assert deliver().deferred == 1
        assert rows()[1].state == "parked"
        assert len(brand_replies()) == 1

    clock.set(month + timedelta(hours=1))  # next month: spend (reads too) is zero
    assert deliver().sent == 1
    assert sorted(brand_replies()) == sorted(str(p["id"]) for p in posts)
    assert rows()[1].attempts == 1


def test_raising_the_cap_releases_parked_rows_at_once(
    brand_account: SocialAccount, import_posts: ImportPosts, brand_replies: Replies, clock: Clock
) -> None:
    brand_account.monthly_cap_usd = 0.30
    db.session.commit()
    posts, _ideas = import_posts(
        ("minji", "@hanbit #아이디어 q0001a 데이터 안심 옵션"),
        ("jisoo", "@hanbit #idea q0002a Weekly data usage digest"),
    )
    assert deliver().deferred == 1
    assert [r.state for r in rows()] == ["sent", "parked"]
    account = db.session.get(SocialAccount, brand_account.id)
    account.monthly_cap_usd = 5.0
    # What the accounts page does when an admin saves a new cap.
    assert outbox.release_capped(account.id, clock.now()) == 1
    db.session.commit()
    (released,) = [r for r in rows() if r.state != "sent"]
    assert (released.state, released.last_error) == ("pending", None)

    assert deliver().sent == 1
    assert [(r.state, r.last_error) for r in rows()] == [("sent", None), ("sent", None)]
    assert sorted(brand_replies()) == sorted(str(p["id"]) for p in posts)


def test_timed_out_reply_that_lands_late_is_recorded_as_sent_not_dead(
    x_app: Any,
    import_posts: ImportPosts,
    sandbox_store: SandboxStore,
    brand_replies: Replies,
    clock: Clock,
) -> None:
    import_posts(("minji", "@hanbit #아이디어 q0001a 공유기 교체 주기 알림"))
    # First POST: the client gives up after 0.3 s; the sandbox still posts at 1.0 s.
    x_app.config["IDEABOARD_X_TIMEOUT_SECONDS"] = 0.3
    set_faults(sandbox_store, timeout_rate=1.0, timeout_sleep_s=1.0, endpoint="create_tweet")
    assert deliver().failed == 1
    (row,) = rows()
    assert (row.state, row.check_first) == ("failed", True)
    # The retry looks first (nothing yet), then its POST is slow and arrives after the first.
    x_app.config["IDEABOARD_X_TIMEOUT_SECONDS"] = 5.0
    set_faults(sandbox_store, latency_ms=1500, endpoint="create_tweet")
    clock.advance(hours=2)

    deliver()

    assert len(brand_replies()[row.target]) == 1  # X has exactly one reply…
    (row,) = rows()
    assert row.state == "sent"  # …so the row should say it was sent
    assert row.remote_id == brand_replies()[row.target][0]["id"]


def test_stage_replies_belong_to_the_ideas_account_and_respect_its_cap(
    brand_account: SocialAccount,
    import_posts: ImportPosts,
    make_user: Callable[..., Any],
    brand_replies: Replies,
) -> None:
    brand_account.acknowledge = False
    # Less than the read of the mention and one stage reply without a link (0.005 + 0.015).
    brand_account.monthly_cap_usd = 0.01
    db.session.commit()
    _posts, (idea,) = import_posts(("minji", "@hanbit #아이디어 q0001a 잠금 화면 잔여 데이터"))
    change_stage(
        idea, find_stage("planned"), "다음 분기에 합니다.", make_user("staff", initials="KG"),
        check_workflow=False,
    )  # fmt: skip
    db.session.commit()
    (row,) = rows()
    assert row.account_id == idea.source_account_id == brand_account.id

    result = deliver()

    assert (result.sent, result.deferred) == (0, 1)
    (row,) = rows()
    assert row.state == "parked"
    assert row.last_error.startswith("monthly cap of $0.01 reached")
    assert brand_replies() == {}
