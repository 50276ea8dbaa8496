"""A stage change reaches everyone who raised the idea on X, once each (issue 15, items 1 and 5).

Customers post in the sandbox X API, IdeaBoard imports them through tweepy over real HTTP
(ideas, votes by matching text, votes by replying to an idea's post), staff change stages, and
the outbox is delivered back to the sandbox, where the replies are counted.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from ideaboard.accounts.models import User
from ideaboard.database import utcnow
from ideaboard.errors import Conflict
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.outbox import rules as outbox
from ideaboard.outbox.delivery import deliver_due
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social import jobs
from ideaboard.social.connectors import XConnector
from ideaboard.social.models import MentionLog, SocialAccount
from ideaboard.triage.models import Stage, StatusChange
from ideaboard.triage.services import change_stage, find_stage, merge_ideas
from sandboxes.x import SandboxStore, post_mention
from tests.helpers import Clock, csrf_token, login, post, wait_for_lock_waiter

Replies = Callable[[], dict[str, list[dict[str, Any]]]]


@pytest.fixture
def quiet_account(brand_account: SocialAccount) -> SocialAccount:
    """The brand account without acknowledgements: only stage replies are queued."""
    brand_account.acknowledge = False
    db.session.commit()
    return brand_account


@pytest.fixture
def customers(
    quiet_account: SocialAccount, x_connector: XConnector, sandbox_store: SandboxStore
) -> Callable[..., list[dict[str, Any]]]:
    """Post each (username, text[, post replied to]) in the sandbox, import them all once."""

    def run(*posts: tuple[Any, ...]) -> list[dict[str, Any]]:
        made = []
        for username, body, *parent in posts:
            made.append(
                post_mention(
                    sandbox_store,
                    username=username,
                    text=body,
                    in_reply_to_tweet_id=str(parent[0]["id"]) if parent else None,
                )
            )
        jobs.run_import(quiet_account, x_connector, owner="test-importer")
        return made

    return run


def rows(change: StatusChange | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if change is not None:
        query = query.where(OutboxMessage.status_change_id == change.id)
    return list(db.session.scalars(query))


def idea_of(post: dict[str, Any]) -> Idea:
    idea = db.session.scalar(select(Idea).where(Idea.source_post_id == str(post["id"])))
    assert idea is not None
    return idea


def outcome_of(post: dict[str, Any]) -> tuple[str, int | None]:
    log = db.session.scalar(select(MentionLog).where(MentionLog.post_id == str(post["id"])))
    assert log is not None
    return log.outcome, log.idea_id


def deliver() -> Any:
    return deliver_due(worker="test-worker")


def move(idea: Idea, slug: str, staff: User, note: str = "Update") -> StatusChange:
    change = change_stage(idea, find_stage(slug), note, staff, check_workflow=False)
    db.session.commit()
    return change


def test_stage_change_reaches_the_poster_the_voters_and_the_merged_posters_once_each(
    customers: Callable[..., list[dict[str, Any]]],
    make_user: Callable[..., User],
    brand_replies: Replies,
) -> None:
    staff = make_user("staff", initials="KG")
    minji, hyun = customers(
        ("minji", "@hanbit #아이디어 q0101a q0101b 데이터 이월 서비스"),
        ("hyun", "@hanbit #idea q0202a q0202b roaming data rollover"),
    )
    jisoo, tom, sora = customers(
        ("jisoo", "@hanbit #아이디어 q0101a q0101b 데이터 이월 서비스"),  # same words: a vote
        ("tom", "@hanbit #idea count me in", minji),  # a reply to the idea's post: a vote
        ("sora", "@hanbit #아이디어 저도 원해요", hyun),  # a vote on the idea merged later
    )
    idea, duplicate = idea_of(minji), idea_of(hyun)
    assert outcome_of(jisoo) == ("voted", idea.id)
    assert outcome_of(tom) == ("voted", idea.id)
    assert outcome_of(sora) == ("voted", duplicate.id)
    assert rows() == []  # nothing was acknowledged

    merge_ideas(duplicate, idea, staff, "같은 아이디어라 합쳤습니다.")
    db.session.commit()
    merged = rows()
    assert sorted(r.target for r in merged) == sorted(str(p["id"]) for p in (hyun, sora))
    assert deliver().sent == 2

    change = move(idea, "planned", staff, "다음 분기에 합니다.")
    queued = rows(change)
    everyone = {str(p["id"]): p for p in (minji, jisoo, tom, hyun, sora)}
    assert sorted(r.target for r in queued) == sorted(everyone)
    assert {r.state for r in queued} == {"pending"}
    by_target = {r.target: r for r in queued}
    assert by_target[str(tom["id"])].lang == "en"
    assert by_target[str(tom["id"])].text.startswith('[Planned] Your idea "q0101a')
    assert by_target[str(jisoo["id"])].text.startswith('[계획됨] "q0101a')
    # The duplicate's poster and voter are answered about the idea they raised.
    assert "q0202a q0202b roaming data rollover" in by_target[str(sora["id"])].text
    assert {r.account_id for r in queued} == {idea.source_account_id}

    result = deliver()

    assert (result.claimed, result.sent) == (5, 5)
    replies = brand_replies()
    for post_id, row in ((r.target, r) for r in rows(change)):
        stage_replies = [p for p in replies[post_id] if p["id"] == row.remote_id]
        assert len(stage_replies) == 1, post_id
        assert row.state == "sent"
    # Each post got exactly one reply about "planned"; the merged ones also had the merge news.
    planned = {
        post_id: [p for p in found if "[Planned]" in p["text"] or "[계획됨]" in p["text"]]
        for post_id, found in replies.items()
    }
    assert {k: len(v) for k, v in planned.items()} == dict.fromkeys(everyone, 1)
    assert sum(len(found) for found in replies.values()) == 7  # 5 + the 2 merge replies
    assert deliver().claimed == 0


def test_a_person_with_several_posts_hears_once_on_the_latest(
    customers: Callable[..., list[dict[str, Any]]],
    make_user: Callable[..., User],
    brand_replies: Replies,
) -> None:
    staff = make_user("staff", initials="KG")
    (minji,) = customers(("minji", "@hanbit #아이디어 q0301a q0301b 가족 결합 할인"))
    (first,) = customers(("jisoo", "@hanbit #아이디어 q0301a q0301b 가족 결합 할인"))
    (second,) = customers(("jisoo", "@hanbit #아이디어 꼭 해주세요", minji))
    (own,) = customers(("minji", "@hanbit #아이디어 제 아이디어에 한 표 더", minji))
    idea = idea_of(minji)
    assert [outcome_of(p) for p in (first, second, own)] == [("voted", idea.id)] * 3

    change = move(idea, "under-review", staff)

    assert sorted(r.target for r in rows(change)) == sorted([str(second["id"]), str(own["id"])])
    assert deliver().sent == 2
    assert sorted(brand_replies()) == sorted([str(second["id"]), str(own["id"])])


def _held_summary(page: str) -> str:
    match = re.search(r'<li id="held-echo-\d+">\s*<p>([^<]*)</p>', page)
    assert match is not None, "the held fan-out is not on the page"
    return match.group(1)


def test_a_fan_out_above_the_limit_waits_for_staff_to_confirm_or_cancel(
    x_app: Any,
    client: FlaskClient,
    customers: Callable[..., list[dict[str, Any]]],
    make_user: Callable[..., User],
    brand_replies: Replies,
) -> None:
    x_app.config["IDEABOARD_ECHO_MAX_REPLIES"] = 2
    staff = make_user("staff", initials="KG")
    (minji,) = customers(("minji", "@hanbit #idea q0401a q0401b eSIM for smart watches"))
    voters = customers(
        ("jisoo", "@hanbit #idea q0401a q0401b eSIM for smart watches"),
        ("tom", "@hanbit #idea yes please", minji),
    )
    idea = idea_of(minji)
    login(client, staff)

    response = post(
        client,
        f"/staff/ideas/{idea.id}/stage",
        {"stage-stage": "under-review", "stage-note": "Looking at it"},
    )

    assert response.status_code == 302
    (change,) = db.session.scalars(select(StatusChange).where(StatusChange.idea_id == idea.id))
    held = rows(change)
    assert [r.state for r in held] == ["held"] * 3
    assert deliver().claimed == 0  # held rows are never claimed
    cost = sum(outbox.estimated_cost(r) for r in held)
    expected = f"Idea #{idea.id} → Under Review: 3 replies, estimated cost ${cost:.2f}."
    staff_page = client.get(f"/staff/ideas/{idea.id}").get_data(as_text=True)
    assert _held_summary(staff_page) == expected
    outbox_page = client.get("/staff/outbox").get_data(as_text=True)
    assert _held_summary(outbox_page) == expected
    assert "waiting for confirmation" in outbox_page
    korean = client.get(f"/staff/ideas/{idea.id}", headers={"Accept-Language": "ko"})
    assert "확인을 기다리는" in korean.get_data(as_text=True)

    # Without the CSRF token nothing happens.
    refused = client.post(f"/staff/echo/{change.id}/confirm", data={})
    assert refused.status_code == 400
    assert [r.state for r in rows(change)] == ["held"] * 3
    # A row of a held fan-out is not retried on its own.
    with pytest.raises(Conflict):
        outbox.retry(rows(change)[0])
    db.session.rollback()

    confirmed = post(client, f"/staff/echo/{change.id}/confirm", {"next": "https://evil.test/"})
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"] == f"/staff/ideas/{idea.id}"  # stays on the site
    assert [r.state for r in rows(change)] == ["pending"] * 3
    assert "held-echo-" not in client.get(f"/staff/ideas/{idea.id}").get_data(as_text=True)
    assert deliver().sent == 3
    targets = sorted(str(p["id"]) for p in (minji, *voters))
    assert sorted(brand_replies()) == targets

    # The next change is held too; cancelling it sends nothing.
    second = move(idea, "planned", staff)
    assert [r.state for r in rows(second)] == ["held"] * 3
    cancelled = post(client, f"/staff/echo/{second.id}/cancel", {"next": "/staff/outbox"})
    assert (cancelled.status_code, cancelled.headers["Location"]) == (302, "/staff/outbox")
    assert [r.state for r in rows(second)] == ["cancelled"] * 3
    assert deliver().claimed == 0
    assert sum(len(found) for found in brand_replies().values()) == 3
    # Confirming again finds nothing to send, and says so.
    again = post(client, f"/staff/echo/{second.id}/confirm", follow_redirects=True)
    assert "No replies of this stage change wait" in again.get_data(as_text=True)
    assert post(client, "/staff/echo/999999/confirm").status_code == 404


def test_at_the_limit_replies_go_without_confirmation(
    x_app: Any,
    customers: Callable[..., list[dict[str, Any]]],
    make_user: Callable[..., User],
) -> None:
    x_app.config["IDEABOARD_ECHO_MAX_REPLIES"] = 2
    (minji,) = customers(("minji", "@hanbit #idea q0451a q0451b Family data sharing"))
    customers(("tom", "@hanbit #idea yes please", minji))
    change = move(idea_of(minji), "under-review", make_user("staff", initials="KG"))
    assert [r.state for r in rows(change)] == ["pending", "pending"]


def test_two_quick_stage_changes_send_one_reply_per_post(
    client: FlaskClient,
    customers: Callable[..., list[dict[str, Any]]],
    make_user: Callable[..., User],
    brand_replies: Replies,
) -> None:
    staff = make_user("staff", initials="KG")
    (minji,) = customers(("minji", "@hanbit #아이디어 q0501a q0501b 요금 알림 문자"))
    (tom,) = customers(("tom", "@hanbit #idea me too", minji))
    idea = idea_of(minji)

    first = move(idea, "under-review", staff)
    second = move(idea, "planned", staff)

    older, newer = rows(first), rows(second)
    assert [r.state for r in older] == ["superseded", "superseded"]
    assert all(r.last_error == f"superseded by status change #{second.id}" for r in older)
    assert [r.state for r in newer] == ["pending", "pending"]
    with pytest.raises(Conflict):
        outbox.retry(older[0])
    with pytest.raises(Conflict):
        outbox.cancel(older[0])
    db.session.rollback()

    result = deliver()

    assert (result.claimed, result.sent) == (2, 2)
    replies = brand_replies()
    assert sorted(replies) == sorted([str(minji["id"]), str(tom["id"])])
    assert all(len(found) == 1 for found in replies.values())
    assert {found[0]["id"] for found in replies.values()} == {r.remote_id for r in rows(second)}
    assert [r.state for r in rows(first)] == ["superseded", "superseded"]
    login(client, staff)
    page = client.get("/staff/outbox?state=superseded").get_data(as_text=True)
    assert "A newer stage change replaced this reply; it is not sent." in page
    assert "replaced by a newer reply (2)" in page
    api = client.get("/api/v1/outbox?state=superseded").get_json()
    assert sorted(r["id"] for r in api["items"]) == sorted(r.id for r in rows(first))
    assert {r["state"] for r in api["items"]} == {"superseded"}


def test_a_failed_or_parked_reply_is_superseded_and_a_sent_one_is_kept(
    customers: Callable[..., list[dict[str, Any]]],
    make_user: Callable[..., User],
    brand_replies: Replies,
) -> None:
    staff = make_user("staff", initials="KG")
    first_post, second_post, third_post = customers(
        ("minji", "@hanbit #아이디어 q0601a q0601b 데이터 선물"),
        ("jisoo", "@hanbit #아이디어 q0602a q0602b 통화 연결음"),
        ("tom", "@hanbit #idea q0603a q0603b Caller tunes"),
    )
    ideas = [idea_of(p) for p in (first_post, second_post, third_post)]
    changes = [move(idea, "under-review", staff) for idea in ideas]
    failed, parked, sent = (rows(c)[0] for c in changes)
    failed.state, parked.state = "failed", "parked"
    failed.next_attempt_at = parked.next_attempt_at = utcnow() + timedelta(hours=1)
    db.session.commit()
    assert deliver().sent == 1  # only the third is still pending
    assert rows(changes[2])[0].state == "sent"

    later = [move(idea, "planned", staff) for idea in ideas]

    assert [rows(c)[0].state for c in changes] == ["superseded", "superseded", "sent"]
    assert [rows(c)[0].state for c in later] == ["pending"] * 3
    assert deliver().sent == 3
    assert sorted(len(found) for found in brand_replies().values()) == [1, 1, 2]


def test_a_reply_already_being_sent_is_left_alone_and_the_newer_one_goes_too(
    x_app: Any,
    customers: Callable[..., list[dict[str, Any]]],
    make_user: Callable[..., User],
    brand_replies: Replies,
    clock: Clock,
) -> None:
    staff = make_user("staff", initials="KG")
    (minji,) = customers(("minji", "@hanbit #아이디어 q0701a q0701b 잔여 데이터 위젯"))
    idea = idea_of(minji)
    first = move(idea, "under-review", staff)
    stale = timedelta(seconds=float(x_app.config["IDEABOARD_OUTBOX_STALE_SECONDS"]))
    claimed = outbox.claim_next("worker-a", clock.now(), skip_accounts=set(), stale_after=stale)
    db.session.commit()
    assert claimed is not None
    assert claimed.status_change_id == first.id

    second = move(idea, "planned", staff)  # while worker-a is sending the first reply

    assert [r.state for r in rows(first)] == ["sending"]
    assert [r.state for r in rows(second)] == ["pending"]
    # worker-a died mid-send; its row is taken over once stale, and the newer reply goes too.
    clock.advance(stale + timedelta(seconds=1))
    result = deliver()
    assert (result.claimed, result.sent) == (2, 2)
    (replies,) = brand_replies().values()
    assert len(replies) == 2
    assert [r.state for r in rows()] == ["sent", "sent"]


def test_internal_stages_are_not_echoed_and_do_not_supersede(
    customers: Callable[..., list[dict[str, Any]]],
    make_user: Callable[..., User],
    brand_replies: Replies,
) -> None:
    staff = make_user("staff", initials="KG")
    (minji,) = customers(("minji", "@hanbit #아이디어 q0801a q0801b 로밍 요금 알림"))
    customers(("tom", "@hanbit #idea +1", minji))
    idea = idea_of(minji)
    internal = Stage(slug="legal-check", name="Legal check", position=25, is_public=False)
    db.session.add(internal)
    db.session.commit()
    public = move(idea, "under-review", staff)
    assert [r.state for r in rows(public)] == ["pending", "pending"]

    move(idea, "legal-check", staff, "Legal has to look first")

    assert [r.status_change_id for r in rows()] == [public.id, public.id]
    assert [r.state for r in rows()] == ["pending", "pending"]  # still going out
    back = move(idea, "planned", staff, "Legal is fine with it")  # internal → public
    assert [r.state for r in rows(public)] == ["superseded", "superseded"]
    assert [r.state for r in rows(back)] == ["pending", "pending"]
    assert deliver().sent == 2
    assert all("[Planned]" in found[0]["text"] or "[계획됨]" in found[0]["text"]
               for found in brand_replies().values())  # fmt: skip


def test_the_public_page_links_the_reply_to_the_ideas_own_post(
    client: FlaskClient,
    customers: Callable[..., list[dict[str, Any]]],
    make_user: Callable[..., User],
) -> None:
    (minji,) = customers(("minji", "@hanbit #아이디어 q0901a q0901b 해지 위약금 조회"))
    (tom,) = customers(("tom", "@hanbit #idea yes", minji))
    idea = idea_of(minji)
    change = move(idea, "under-review", make_user("staff", initials="KG"))
    deliver()
    own = next(r for r in rows(change) if r.target == str(minji["id"]))
    voter = next(r for r in rows(change) if r.target == str(tom["id"]))
    assert own.remote_url
    assert voter.remote_url
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert own.remote_url in page
    assert voter.remote_url not in page


def test_staff_need_the_csrf_token_and_the_staff_role(
    client: FlaskClient,
    customers: Callable[..., list[dict[str, Any]]],
    make_user: Callable[..., User],
    x_app: Any,
) -> None:
    x_app.config["IDEABOARD_ECHO_MAX_REPLIES"] = 0  # every fan-out waits
    (minji,) = customers(("minji", "@hanbit #idea q1001a q1001b Bill in English"))
    change = move(idea_of(minji), "under-review", make_user("staff", initials="KG"))
    assert [r.state for r in rows(change)] == ["held"]
    customer = make_user()
    login(client, customer)
    response = client.post(
        f"/staff/echo/{change.id}/confirm", data={"csrf_token": csrf_token(client)}
    )
    assert response.status_code == 403
    assert [r.state for r in rows(change)] == ["held"]


@pytest.mark.postgresql_only
def test_racing_a_claim_on_postgresql_never_supersedes_a_claimed_row(
    x_app: Any,
    customers: Callable[..., list[dict[str, Any]]],
    make_user: Callable[..., User],
    brand_replies: Replies,
) -> None:
    staff = make_user("staff", initials="KG")
    (minji,) = customers(("minji", "@hanbit #아이디어 q1101a q1101b 데이터 쉐어링"))
    idea_id, staff_id = idea_of(minji).id, staff.id
    first = move(idea_of(minji), "under-review", staff)
    (row,) = rows(first)
    errors: list[BaseException] = []

    def change_in_another_session(slug: str) -> None:
        with x_app.app_context():
            try:
                idea, by = db.session.get_one(Idea, idea_id), db.session.get_one(User, staff_id)
                change_stage(idea, find_stage(slug), "Moving on", by, check_workflow=False)
                db.session.commit()
            except BaseException as error:  # reported in the test's thread
                errors.append(error)
            finally:
                db.session.remove()

    # 1. A worker has claimed the row but not committed: the staff member's UPDATE waits for
    #    it, then sees `sending` and leaves the row alone.
    with db.engine.connect() as worker:
        claim = worker.begin()
        claimed = worker.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.state == "pending")
            .values(state="sending", claimed_at=utcnow(), claimed_by="worker-b")
        )
        assert claimed.rowcount == 1
        staff_thread = threading.Thread(target=change_in_another_session, args=("planned",))
        staff_thread.start()
        with db.engine.connect() as observer:
            wait_for_lock_waiter(observer, errors)
        claim.commit()
    staff_thread.join(timeout=10)
    assert not staff_thread.is_alive()
    assert errors == []
    second = db.session.scalars(
        select(StatusChange).where(StatusChange.idea_id == idea_id).order_by(StatusChange.id)
    ).all()[-1]
    assert [r.state for r in rows(first)] == ["sending"]
    assert [r.state for r in rows(second)] == ["pending"]

    # 2. The other way round: a stage change holds its supersede uncommitted; a worker
    #    claiming meanwhile skips the locked row (SKIP LOCKED) instead of sending it.
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(state="sent"))
    db.session.commit()
    move_now = change_stage(
        db.session.get_one(Idea, idea_id), find_stage("in-progress"), "Building it",
        db.session.get_one(User, staff_id), check_workflow=False,
    )  # fmt: skip
    found: list[Any] = []

    def claim_in_another_session() -> None:
        with x_app.app_context():
            try:
                found.append(
                    outbox.claim_next(
                        "worker-c", utcnow(), skip_accounts=set(), stale_after=timedelta(hours=1)
                    )
                )
                db.session.commit()
            except BaseException as error:
                errors.append(error)
            finally:
                db.session.remove()

    worker_thread = threading.Thread(target=claim_in_another_session)
    worker_thread.start()
    worker_thread.join(timeout=10)
    assert not worker_thread.is_alive()
    assert errors == []
    assert found == [None]  # the second change's row is locked by the uncommitted supersede
    db.session.commit()
    assert [r.state for r in rows(second)] == ["superseded"]
    assert [r.state for r in rows(move_now)] == ["pending"]
    assert deliver().sent == 1
    assert len(brand_replies()[str(minji["id"])]) == 1


def test_the_limit_comes_from_the_environment(
    app_factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert app_factory().config["IDEABOARD_ECHO_MAX_REPLIES"] == 100
    monkeypatch.setenv("IDEABOARD_ECHO_MAX_REPLIES", "7")
    assert app_factory().config["IDEABOARD_ECHO_MAX_REPLIES"] == 7
    for bad in ("lots", "-1", "2.5"):
        monkeypatch.setenv("IDEABOARD_ECHO_MAX_REPLIES", bad)
        with pytest.raises(RuntimeError, match="IDEABOARD_ECHO_MAX_REPLIES"):
            app_factory()


def test_a_superseded_reply_takes_its_thread_with_it(
    customers: Callable[..., list[dict[str, Any]]],
    make_user: Callable[..., User],
    brand_replies: Replies,
) -> None:
    staff = make_user("staff", initials="KG")
    (minji,) = customers(("minji", "@hanbit #아이디어 q0601a q0601b 요금 알림 문자"))
    idea = idea_of(minji)
    long_note = "검토 결과를 자세히 알려 드립니다. " * 14  # too long for one post: a thread

    first = move(idea, "under-review", staff, note=long_note)
    older = rows(first)
    assert len(older) >= 2  # the reply and at least one continuation waiting for it
    assert {r.state for r in older[1:]} == {"waiting"}

    second = move(idea, "planned", staff, note="Q1")

    # The continuations went with their reply: nothing is left waiting for ever.
    assert {r.state for r in rows(first)} == {"superseded"}
    assert [r.state for r in rows(second)] == ["pending"]
    assert deliver().sent == 1
    (found,) = brand_replies()[str(minji["id"])]
    assert "Q1" in found["text"]
