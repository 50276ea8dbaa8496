"""The staff note on X (issue 15, item 2): {note} in full, as a thread of at most 3 posts.

Composition is checked on the texts; delivery drives tweepy against the sandbox X API over
real HTTP and checks where the posts land: the first reply answers the customer's post, each
continuation answers the first reply, in order, each exactly once.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.outbox import rules as outbox
from ideaboard.outbox.delivery import DeliveryResult, deliver_due
from ideaboard.outbox.models import OutboxMessage
from ideaboard.outbox.queries import sent_replies
from ideaboard.social import jobs, threads
from ideaboard.social.compose import MAX_POSTS, compose_stage_posts, weighted_length
from ideaboard.social.models import SocialAccount
from ideaboard.social.senders import social_senders
from ideaboard.triage.services import change_stage, find_stage
from sandboxes.x import SandboxStore, clear_faults, set_faults, timeline
from tests.helpers import Clock
from tests.social.helpers import BRAND_ID

ImportPosts = Callable[..., tuple[list[dict[str, Any]], list[Idea]]]

URL = "https://ideas.hanbit.co.kr/plan"
# 200 characters of Korean with a URL in it: far over 280 weighted with the reply around it.
NOTE_KO = (
    "검토 결과 내년 1분기 요금제 개편에 반영하기로 했습니다. 네트워크 팀이 이 일을 맡았고, "
    "해외 로밍 중에 남은 데이터를 다음 달로 넘기는 방식과 가족 회선끼리 나누어 쓰는 방식을 "
    f"함께 시험하고 있습니다. 일정과 조건은 {URL} 에 올리고 답글로 다시 꼭 알려드리겠습니다. "
    "오래 기다려 주셔서 정말 고맙습니다!"
)
# The same length without a URL (what a plain stage reply carries).
NOTE_KO_PLAIN = (
    "검토 결과 내년 1분기 요금제 개편에 반영하기로 했습니다. 네트워크 팀이 이 일을 맡았고, "
    "해외 로밍 중에 남은 데이터를 다음 달로 넘기는 방식과 가족 회선끼리 나누어 쓰는 방식을 "
    "함께 시험하고 있습니다. 시험이 끝나면 일정과 조건을 아이디어 페이지에 올리고 답글로 다시 "
    "알려드리겠습니다. 기다려 주셔서 고맙습니다!"
)
PAGE = "https://ideas.hanbit.co.kr/ideas/7"


def posts_for(note: str, **overrides: Any) -> list[str]:
    options: dict[str, Any] = {
        "stage_slug": "planned",
        "stage_name": "Planned",
        "lang": "ko",
        "title": "데이터 이월 서비스",
        "url": "",
        "signature": "KG",
        "note": note,
        "handle": "minji",
        "more_url": PAGE,
        **overrides,
    }
    return compose_stage_posts(**options)


def note_words_in(
    posts: list[str], handle: str = "minji", title: str = "데이터 이월 서비스"
) -> list[str]:
    """The words of the posts that are not the reply's own wording, marker or signature."""
    words: list[str] = []
    for number, post in enumerate(posts):
        tokens = post.split(" ")
        assert tokens[-1] == "^KG"  # every post is signed, the signature whole
        tokens = tokens[:-1]
        if number:
            assert tokens[0] == f"@{handle}"  # continuations name the customer
            tokens = tokens[1:]
        else:
            head = f'[계획됨] "{title}" 아이디어를 개선 계획에 넣었습니다.'.split(" ")
            assert tokens[: len(head)] == head
            tokens = tokens[len(head) :]
        if tokens and tokens[-1] == "…":
            tokens = tokens[:-1]
        words.extend(tokens)
    return words


def test_a_200_character_korean_note_becomes_a_thread_of_at_most_3_posts() -> None:
    assert len(NOTE_KO) == 200
    posts = posts_for(NOTE_KO)

    assert 2 <= len(posts) <= MAX_POSTS
    assert all(weighted_length(p) <= 280 for p in posts)
    assert all(p.endswith(" … ^KG") for p in posts[:-1])  # more follows
    assert not posts[-1].endswith(" … ^KG")
    # The note is there in full, in order, and no word or URL is cut.
    assert note_words_in(posts) == NOTE_KO.split(" ")
    assert sum(URL in p.split(" ") for p in posts) == 1
    assert PAGE not in " ".join(posts)  # no link: the template's include_link is off


def test_a_short_note_stays_in_one_post_with_the_title_shortened_only_so_far() -> None:
    (post,) = posts_for("2분기에 출시합니다.")
    head = '[계획됨] "데이터 이월 서비스" 아이디어를 개선 계획에 넣었습니다.'
    assert post == f"{head} 2분기에 출시합니다. ^KG"
    # A long title gives way to a short note (down to 30 characters), not to a thread.
    title = ("해외에 나가 있는 동안 쓰지 못한 기본 데이터와 통화 시간을 " * 4)[:140]
    (post,) = posts_for("2분기에 출시합니다.", title=title)
    assert weighted_length(post) <= 280
    assert post.endswith('…" 아이디어를 개선 계획에 넣었습니다. 2분기에 출시합니다. ^KG')
    # Its thread would keep more of the title: so a long note does not shorten it further.
    first, *_rest = posts_for(NOTE_KO_PLAIN, title=title)
    assert first.startswith('[계획됨] "해외에 나가 있는 동안 쓰지 못한')


def test_a_note_too_long_for_3_posts_ends_with_the_link_to_the_idea() -> None:
    note = " ".join([NOTE_KO_PLAIN] * 4)
    posts = posts_for(note)

    assert len(posts) == MAX_POSTS
    assert all(weighted_length(p) <= 280 for p in posts)
    assert posts[-1].endswith(f" … {PAGE} ^KG")  # the page has the note in full
    shown = note_words_in([*posts[:-1], posts[-1].replace(f" {PAGE}", "")])
    assert shown == note.split(" ")[: len(shown)]  # a prefix of the note, whole words only
    assert len(shown) < len(note.split(" "))


def test_english_note_and_a_word_longer_than_a_post() -> None:
    note = "We ship it in Q1; the network team owns it. " + "x" * 300
    posts = posts_for(note, lang="en", handle="jisoo")
    assert all(weighted_length(p) <= 280 for p in posts)
    assert "".join(posts).count("x") == 300  # split between characters: the one exception
    assert posts[0].startswith('[Planned] Your idea "데이터 이월 서비스" is on our plan. We ship')


def test_default_stage_replies_leave_the_link_out_but_the_launched_reply_carries_it(
    app: Any,
) -> None:
    from ideaboard.social.reply_templates import wording

    for slug in ("under-review", "planned", "in-progress", "declined", "duplicate"):
        for lang in ("ko", "en"):
            words = wording("stage", slug, lang)
            assert "{note}" in words.text
            assert words.include_link is False
    assert wording("stage", "launched", "ko").include_link is True
    assert wording("ack_imported", "", "ko").include_link is True
    assert wording("launch_announcement", "", "en").include_link is True


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll the sandbox (a real server in another thread) until predicate holds, bounded."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for the sandbox"
        time.sleep(0.02)


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def deliver(**kwargs: Any) -> DeliveryResult:
    return deliver_due(worker="test-worker", **kwargs)


def brand_posts(store: SandboxStore) -> list[dict[str, Any]]:
    """The brand's live posts, oldest first."""
    found = [p for p in timeline(store) if p["author_id"] == BRAND_ID and not p["deleted"]]
    return sorted(found, key=lambda p: int(p["id"]))


@pytest.fixture
def thread_idea(
    brand_account: SocialAccount, import_posts: ImportPosts, make_user: Callable[..., Any]
) -> tuple[dict[str, Any], Idea]:
    """An idea from minji's post, moved to Planned with the 200-character note (acks off)."""
    brand_account.acknowledge = False
    db.session.commit()
    (post,), (idea,) = import_posts(("minji", "@hanbit #아이디어 데이터 이월 서비스 해주세요"))
    staff = make_user("staff", initials="KG")
    change_stage(idea, find_stage("planned"), NOTE_KO_PLAIN, staff, check_workflow=False)
    db.session.commit()
    return post, idea


def test_continuations_go_out_in_order_each_answering_the_first_reply(
    thread_idea: tuple[dict[str, Any], Idea], sandbox_store: SandboxStore
) -> None:
    post, idea = thread_idea
    queued = rows()
    assert len(queued) == 2
    first, second = queued
    assert (first.state, first.target) == ("pending", str(post["id"]))
    assert (second.state, second.target) == ("waiting", None)
    assert second.payload["after"] == first.id
    assert second.payload["thread"] == first.id

    result = deliver()

    assert (result.claimed, result.sent) == (2, 2)
    first, second = rows()
    sent = brand_posts(sandbox_store)
    assert [p["id"] for p in sent] == [first.remote_id, second.remote_id]  # in order
    assert sent[0]["in_reply_to_tweet_id"] == str(post["id"])
    assert sent[1]["in_reply_to_tweet_id"] == first.remote_id == second.target
    assert [p["text"] for p in sent] == ["@minji " + first.text, second.text]
    words = note_words_in([first.text, second.text], title="데이터 이월 서비스 해주세요")
    assert words == NOTE_KO_PLAIN.split(" ")
    assert deliver().claimed == 0  # nothing left, nothing sent twice
    assert len(brand_posts(sandbox_store)) == 2
    # The idea's page links the first reply of the thread for this stage change.
    assert sent_replies(idea)[first.status_change_id] == first.remote_url


def test_a_continuation_waits_while_the_first_post_fails(
    thread_idea: tuple[dict[str, Any], Idea], sandbox_store: SandboxStore, clock: Clock
) -> None:
    set_faults(sandbox_store, error_rate=1.0, error_status=503, endpoint="create_tweet", seed=4)

    result = deliver()

    assert (result.claimed, result.failed) == (1, 1)  # the continuation was not claimed
    assert [r.state for r in rows()] == ["failed", "waiting"]
    clear_faults(sandbox_store)
    clock.advance(hours=1)
    assert deliver().sent == 2
    first, second = rows()
    assert second.target == first.remote_id
    assert len(brand_posts(sandbox_store)) == 2


def test_a_continuation_that_timed_out_but_landed_is_not_sent_twice(
    x_app: Any, thread_idea: tuple[dict[str, Any], Idea], sandbox_store: SandboxStore, clock: Clock
) -> None:
    assert deliver(limit=1).sent == 1  # the first reply; its continuation is now due
    # The continuation's POST: the client gives up after 0.3 s, the sandbox posts at 1.0 s.
    x_app.config["IDEABOARD_X_TIMEOUT_SECONDS"] = 0.3
    set_faults(sandbox_store, timeout_rate=1.0, timeout_sleep_s=1.0, endpoint="create_tweet")
    assert deliver().failed == 1
    first, second = rows()
    assert (second.state, second.check_first) == ("failed", True)
    wait_until(lambda: len(brand_posts(sandbox_store)) == 2)  # it lands on X after all
    clear_faults(sandbox_store)
    x_app.config["IDEABOARD_X_TIMEOUT_SECONDS"] = 5.0
    clock.advance(hours=1)

    result = deliver()

    assert (result.claimed, result.found_existing, result.sent) == (1, 1, 0)
    first, second = rows()
    sent = brand_posts(sandbox_store)
    assert [p["id"] for p in sent] == [first.remote_id, second.remote_id]
    assert sent[1]["in_reply_to_tweet_id"] == first.remote_id


def test_staff_retrying_a_continuation_early_sends_it_back_to_wait_or_cancels_it(
    thread_idea: tuple[dict[str, Any], Idea], sandbox_store: SandboxStore
) -> None:
    first, second = rows()
    outbox.retry(second)  # "Retry now" before the first is sent
    db.session.commit()
    set_faults(sandbox_store, error_rate=1.0, error_status=503, endpoint="create_tweet", seed=4)

    deliver()

    first, second = rows()
    assert (first.state, second.state, second.attempts) == ("failed", "waiting", 0)
    assert brand_posts(sandbox_store) == []
    outbox.cancel(first)  # staff give up the first post: the continuation cannot go
    outbox.retry(second)
    db.session.commit()
    clear_faults(sandbox_store)
    deliver()
    first, second = rows()
    assert (second.state, second.last_error) == ("cancelled", threads.NOT_SENT_BEFORE)
    assert brand_posts(sandbox_store) == []


def test_threads_under_faults_go_out_exactly_once_in_order(
    x_app: Any,
    brand_account: SocialAccount,
    import_posts: ImportPosts,
    sandbox_store: SandboxStore,
    make_user: Callable[..., Any],
    clock: Clock,
) -> None:
    """The fault soak of test_loop_faults (30 % 5xx, 429 bursts, POSTs that time out on the
    client but land) on 12 three-post threads: every part once, in order, answering the first."""
    from tests.social.test_loop_faults import CLIENT_TIMEOUT_S, CountingConnector, FlakyNetwork

    brand_account.acknowledge = False
    db.session.commit()
    ideas_count = 12
    posts, ideas = import_posts(
        *((f"fan{n}", f"@hanbit #아이디어 q{n:04d}a q{n:04d}b 요금제") for n in range(ideas_count))
    )
    staff = make_user("staff", initials="KG")
    note = " ".join([NOTE_KO_PLAIN] * 2)
    for idea in ideas:
        change_stage(idea, find_stage("planned"), note, staff, check_workflow=False)
    db.session.commit()
    assert len(rows()) == 3 * ideas_count

    x_app.config["IDEABOARD_X_TIMEOUT_SECONDS"] = CLIENT_TIMEOUT_S
    network = FlakyNetwork(sandbox_store)
    seen: Counter[str] = Counter()

    def factory(account: SocialAccount) -> CountingConnector:
        return CountingConnector(jobs.connector_for(account), network, seen)

    try:
        network.arm(burst=2)
        for _round in range(60):
            deliver_due(worker="soak", senders=social_senders(factory))
            states = Counter(r.state for r in rows())
            if states["sent"] == 3 * ideas_count or states["dead"]:
                break
            clock.advance(hours=2)
    finally:
        clear_faults(sandbox_store)

    print(f"\nthread soak: {dict(seen)} states={dict(states)}")
    assert states == {"sent": 3 * ideas_count}, states
    assert seen["5xx"] >= 5, seen
    on_x = {p["id"]: p for p in brand_posts(sandbox_store)}
    assert len(on_x) == 3 * ideas_count  # no duplicates
    by_thread: dict[int, list[OutboxMessage]] = {}
    for row in rows():
        by_thread.setdefault(row.payload.get("thread") or row.id, []).append(row)
    assert sorted(str(p["id"]) for p in posts) == sorted(
        parts[0].target for parts in by_thread.values()
    )
    for first, second, third in by_thread.values():
        assert [r.payload["part"] for r in (first, second, third)] == [1, 2, 3]
        assert on_x[first.remote_id]["in_reply_to_tweet_id"] == first.target
        assert on_x[second.remote_id]["in_reply_to_tweet_id"] == first.remote_id
        assert on_x[third.remote_id]["in_reply_to_tweet_id"] == first.remote_id
        assert int(first.remote_id) < int(second.remote_id) < int(third.remote_id)
        assert third.text.endswith(" 기다려 주셔서 고맙습니다! ^KG")  # the note's end
