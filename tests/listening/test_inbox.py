"""The staff's listening inbox (issue 19): the queue per account, and reply, convert, route,
dismiss and reopen, each once only however often the form is sent or however many staff act."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from ideaboard.accounts.models import User
from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.listening import inbox
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social.compose import weighted_length
from ideaboard.social.models import InboxState, MentionLog, MentionOutcome, SocialAccount
from ideaboard.triage.models import Team
from tests.helpers import csrf_token, login, post, wait_for_lock_waiter
from tests.i18n.pages import latin_words, readable_text
from tests.i18n.test_pages import ENGLISH_UI

QUESTION_KO = "@hanbit 요금제 변경은 어디서 하나요?"
COMPLAINT_KO = "@hanbit 인터넷이 또 끊겼어요…"
_posts = count(1_900_000_000_000_000_000)


def account(network: str = "x", username: str = "hanbit", **kw: Any) -> SocialAccount:
    row = SocialAccount(
        network=network,
        remote_user_id=f"{network}-{username}",
        username=username,
        signature="IB",
        **kw,
    )
    db.session.add(row)
    db.session.commit()
    return row


def logged(
    acct: SocialAccount,
    text: str = QUESTION_KO,
    *,
    handle: str = "minji",
    state: str | None = InboxState.OPEN.value,
    outcome: str = MentionOutcome.SKIPPED.value,
    ago: timedelta = timedelta(minutes=5),
    **kw: Any,
) -> MentionLog:
    """A mention the importer logged as untagged (open in the inbox), classified."""
    from ideaboard.listening.classify import classify

    post_id = str(next(_posts))
    entry = MentionLog(
        account_id=acct.id,
        post_id=post_id,
        author_handle=handle,
        author_remote_id=f"id-{handle}",
        text=text,
        posted_at=utcnow() - ago,
        fetched_at=utcnow() - ago,
        outcome=outcome,
        reason="no idea tag",
        post_url=f"https://x.com/{handle}/status/{post_id}",
        lang="ko",
        label=classify(text).label,
        inbox_state=state,
        **kw,
    )
    db.session.add(entry)
    db.session.commit()
    return entry


def act(
    client: FlaskClient,
    entry: MentionLog,
    action: str,
    state: str = "open",
    follow_redirects: bool = False,
    **data: Any,
) -> Any:
    return post(
        client,
        f"/staff/listening/{entry.id}/{action}",
        {"state": state, **data},
        follow_redirects=follow_redirects,
    )


def first_team() -> Team:
    """The first of the teams the migrations create."""
    return db.session.scalars(select(Team).order_by(Team.position, Team.id)).first()  # type: ignore[return-value]


def outbox_rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def fresh(entry: MentionLog) -> MentionLog:
    db.session.expire_all()
    return db.session.get_one(MentionLog, entry.id)


# --- the page ------------------------------------------------------------------------------------


def test_customers_get_403_and_visitors_the_login_page(
    app: Flask, make_user: Callable[..., User]
) -> None:
    entry = logged(account())
    visitor = app.test_client()
    assert visitor.get("/staff/listening").status_code == 302
    assert "/login" in visitor.get("/staff/listening").headers["Location"]
    customer = app.test_client()
    login(customer, make_user())
    assert customer.get("/staff/listening").status_code == 403
    for action in ("reply", "convert", "route", "dismiss", "reopen"):
        answer = act(customer, entry, action, text="hi", team="1")
        assert answer.status_code == 403, action
    assert fresh(entry).inbox_state == "open"
    assert outbox_rows() == []


def test_the_inbox_shows_open_korean_mentions_classified_with_why(
    staff_client: FlaskClient,
) -> None:
    acct = account()
    logged(acct, QUESTION_KO, ago=timedelta(minutes=9))
    logged(acct, COMPLAINT_KO, handle="jiwoo", ago=timedelta(minutes=1))
    logged(acct, "@hanbit 다크 모드 #아이디어", state=None, outcome="imported")  # an idea
    page = staff_client.get("/staff/listening").get_data(as_text=True)
    assert "요금제 변경은 어디서 하나요?" in page
    assert "인터넷이 또 끊겼어요" in page
    assert "다크 모드" not in page
    # newest first, each with its class and the rules that decided it
    assert page.index("인터넷이 또 끊겼어요") < page.index("요금제 변경은")
    assert 'data-label="complaint"' in page
    assert 'data-label="question"' in page
    assert "complaint.ko.disconnected" in page
    assert "question.ko.where" in page
    assert "https://x.com/minji/status/" in page
    assert "𝕏" in page


def test_the_staff_navigation_links_the_inbox_with_its_open_count(
    staff_client: FlaskClient,
) -> None:
    acct = account()
    for _n in range(3):
        logged(acct)
    logged(acct, state="dismissed")
    page = staff_client.get("/staff/").get_data(as_text=True)
    link = re.search(r'<a href="/staff/listening"[^>]*>[^<]*<span class="queue-count">(\d+)', page)
    assert link is not None
    assert link.group(1) == "3"


def test_one_queue_per_account_and_filters_by_class_state_and_team(
    staff_client: FlaskClient,
) -> None:
    x, sky = account("x", "hanbit"), account("bluesky", "hanbit.bsky.social")
    team = first_team()
    on_x = logged(x, QUESTION_KO, handle="on-x")
    on_sky = logged(sky, COMPLAINT_KO, handle="on-sky")
    routed = logged(x, "@hanbit 청구서가 이상해요 확인 부탁드려요", handle="routed-one",
                    state="routed", team_id=team.id)  # fmt: skip
    done = logged(x, "@hanbit 감사합니다", handle="dismissed-one", state="dismissed")

    def handles(**args: Any) -> set[str]:
        page = staff_client.get("/staff/listening", query_string=args).get_data(as_text=True)
        return set(re.findall(r"@([\w.-]+)</a>", page)) - {"hanbit", "hanbit.bsky.social"}

    assert handles() == {"on-x", "on-sky"}
    assert handles(account=x.id) == {"on-x"}
    assert handles(account=sky.id) == {"on-sky"}
    assert handles(label="complaint") == {"on-sky"}
    assert handles(state="routed") == {"routed-one"}
    assert handles(state="dismissed") == {"dismissed-one"}
    assert handles(team=team.id, state="routed") == {"routed-one"}
    assert handles(team=team.id) == set()  # the open queue has nothing of the team
    # anything unknown is the default queue, never an error
    assert handles(state="nonsense", label="x", account="abc", team="-1") == {"on-x", "on-sky"}
    assert {on_x.id, on_sky.id, routed.id, done.id}


def test_the_inbox_is_paged_with_the_shared_pager(staff_client: FlaskClient) -> None:
    acct = account()
    for n in range(inbox_page_size() + 2):
        logged(acct, f"@hanbit 질문 {n} 어디서 하나요?", handle=f"p{n}", ago=timedelta(minutes=n))
    first = staff_client.get("/staff/listening").get_data(as_text=True)
    assert "@p0</a>" in first
    assert f"@p{inbox_page_size() + 1}</a>" not in first
    assert 'rel="next"' in first
    second = staff_client.get("/staff/listening?page=2").get_data(as_text=True)
    assert f"@p{inbox_page_size() + 1}</a>" in second
    assert "@p0</a>" not in second


def inbox_page_size() -> int:
    from ideaboard.listening.views import PAGE

    return PAGE


# --- reply -------------------------------------------------------------------------------------


def test_reply_queues_one_signed_reply_on_the_accounts_network(
    staff_client: FlaskClient, staff: User
) -> None:
    acct = account()
    entry = logged(acct)
    answer = act(staff_client, entry, "reply", text="마이페이지 > 요금제에서 바꾸실 수 있어요.")
    assert answer.status_code == 302
    (row,) = outbox_rows()
    assert row.kind == "x_reply"
    assert row.text == "마이페이지 > 요금제에서 바꾸실 수 있어요. ^KG"
    assert row.target == entry.post_id
    assert row.payload["in_reply_to_tweet_id"] == entry.post_id
    assert row.dedupe_key == f"x_reply:listen:{acct.id}:post:{entry.post_id}:1"
    assert row.account_id == acct.id
    assert row.state == "pending"
    entry = fresh(entry)
    assert entry.inbox_state == "replied"
    assert entry.handled_by_id == staff.id
    assert entry.first_response_at is not None
    assert entry.handled_at is not None
    # it has left the open queue, and shows under "replied"
    assert entry.post_id not in staff_client.get("/staff/listening").get_data(as_text=True)
    replied = staff_client.get("/staff/listening?state=replied").get_data(as_text=True)
    assert f"mention-{entry.id}" in replied


def test_a_bluesky_reply_is_a_bluesky_reply_row(staff_client: FlaskClient) -> None:
    entry = logged(account("bluesky", "hanbit.bsky.social"))
    act(staff_client, entry, "reply", text="Thanks, we are on it")
    (row,) = outbox_rows()
    assert row.kind == "bluesky_reply"
    assert row.dedupe_key.startswith("bluesky_reply:listen:")


def test_a_double_submitted_reply_queues_one_row(staff_client: FlaskClient) -> None:
    entry = logged(account())
    first = act(staff_client, entry, "reply", text="확인해 볼게요")
    second = act(staff_client, entry, "reply", text="확인해 볼게요", follow_redirects=True)
    assert first.status_code == 302
    assert second.status_code == 200
    assert "already handled by Kim Gyu" in second.get_data(as_text=True)
    assert len(outbox_rows()) == 1


def test_a_follow_up_reply_after_reopening_gets_the_next_key(staff_client: FlaskClient) -> None:
    acct = account()
    entry = logged(acct)
    act(staff_client, entry, "reply", text="first answer")
    act(staff_client, entry, "reopen", state="replied")
    assert fresh(entry).inbox_state == "open"
    act(staff_client, entry, "reply", text="second answer")
    keys = [row.dedupe_key for row in outbox_rows()]
    base = f"x_reply:listen:{acct.id}:post:{entry.post_id}:"
    assert keys == [base + "1", base + "2"]
    first_response = fresh(entry).first_response_at
    assert first_response is not None


def race(app: Flask, users: list[User], path: str, data: dict[str, str]) -> list[str]:
    """POST the same form as each user at the same moment; return each one's flash."""
    clients = []
    for user in users:
        client = app.test_client()
        login(client, user)
        clients.append((client, csrf_token(client)))
    barrier = threading.Barrier(len(clients))
    flashes: list[str] = []
    errors: list[BaseException] = []

    def send(client: FlaskClient, token: str) -> None:
        try:
            barrier.wait(timeout=10)
            answer = client.post(path, data={**data, "csrf_token": token})
            assert answer.status_code == 302, answer.status_code
            page = client.get(answer.headers["Location"]).get_data(as_text=True)
            flashes.append(" ".join(re.findall(r'class="flash[^"]*"[^>]*>([^<]*)<', page)))
        except BaseException as error:
            errors.append(error)

    db.session.commit()  # the test's own read ends: on SQLite it would hold off the writers
    threads = [threading.Thread(target=send, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return flashes


def test_two_staff_racing_to_reply_queue_one_row(
    app: Flask, make_user: Callable[..., User], staff: User
) -> None:
    entry = logged(account())
    other = make_user("staff", name="Lee Sun", initials="LS")
    path = f"/staff/listening/{entry.id}/reply"
    flashes = race(app, [staff, other], path, {"state": "open", "text": "확인해 볼게요"})
    rows = outbox_rows()
    assert len(rows) == 1
    winner = fresh(entry).handled_by_id
    assert rows[0].text == "확인해 볼게요 ^" + ("KG" if winner == staff.id else "LS")
    winner_name = "Kim Gyu" if winner == staff.id else "Lee Sun"
    # the loser is told who won; the winner is told its reply is queued
    assert sorted("already handled by" in f for f in flashes) == [False, True]
    assert any(f"already handled by {winner_name}" in f for f in flashes)


def test_two_staff_racing_to_convert_make_one_idea_and_one_acknowledgement(
    app: Flask, make_user: Callable[..., User], staff: User
) -> None:
    entry = logged(account(), "@hanbit 요금 고지서를 PDF로도 받을 수 있으면 좋겠어요")
    other = make_user("staff", name="Lee Sun", initials="LS")
    flashes = race(app, [staff, other], f"/staff/listening/{entry.id}/convert", {"state": "open"})
    assert db.session.scalar(select(func.count()).select_from(Idea)) == 1
    (ack,) = outbox_rows()
    assert ack.dedupe_key.startswith("x_reply:ack:")
    assert fresh(entry).idea_id is not None
    assert sum("already handled by" in f for f in flashes) == 1


@pytest.mark.postgresql_only
def test_a_reply_waiting_on_another_staff_members_lock_loses_on_postgresql(
    app: Flask, make_user: Callable[..., User], staff: User
) -> None:
    entry = logged(account())
    entry_id, staff_id = entry.id, staff.id
    other_id = make_user("staff", name="Lee Sun", initials="LS").id
    holding, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    outcome: list[str] = []

    def first() -> None:  # replies, then keeps its transaction open until released
        with app.app_context():
            try:
                me = db.session.get_one(User, other_id)
                inbox.reply(db.session.get_one(MentionLog, entry_id), "먼저 답합니다", me, "open")
                holding.set()
                assert release.wait(timeout=30)
                db.session.commit()
            except BaseException as error:
                errors.append(error)
                holding.set()
            finally:
                db.session.remove()

    def second() -> None:  # its UPDATE waits for the first's row lock, then matches nothing
        with app.app_context():
            try:
                me = db.session.get_one(User, staff_id)
                inbox.reply(db.session.get_one(MentionLog, entry_id), "저도 답합니다", me, "open")
                db.session.commit()
                outcome.append("won")
            except inbox.AlreadyHandled as lost:
                db.session.rollback()
                outcome.append(lost.message)
            except BaseException as error:
                errors.append(error)
            finally:
                db.session.remove()

    db.session.commit()
    one = threading.Thread(target=first)
    one.start()
    assert holding.wait(timeout=30)
    two = threading.Thread(target=second)
    two.start()
    with db.engine.connect() as observer:
        wait_for_lock_waiter(observer, errors)
    release.set()
    one.join(timeout=30)
    two.join(timeout=30)
    assert not errors, errors
    assert outcome == ["This mention was already handled by Lee Sun (now: Replied)."]
    (row,) = outbox_rows()
    assert row.text == "먼저 답합니다 ^LS"


def test_an_empty_reply_is_a_form_error(staff_client: FlaskClient) -> None:
    entry = logged(account())
    for text in ("", "   ", "\u200b"):
        answer = act(staff_client, entry, "reply", text=text)
        assert answer.status_code == 422
        assert "Write a reply first." in answer.get_data(as_text=True)
    assert outbox_rows() == []
    assert fresh(entry).inbox_state == "open"


def test_a_korean_reply_too_long_by_weight_is_refused_and_kept(
    staff_client: FlaskClient,
) -> None:
    entry = logged(account())
    text = "가" * 137  # 137 characters, far below 280, but 274 weighted + " ^KG" = 278
    assert act(staff_client, entry, "reply", text=text).status_code == 302
    act(staff_client, entry, "reopen", state="replied")
    longer = "나" * 139  # 278 weighted + 4 = 282 > 280
    assert weighted_length(f"{longer} ^KG") == 282
    answer = act(staff_client, entry, "reply", text=longer)
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "too long for X: 282 of 280 weighted characters" in page
    assert f">{longer}</textarea>" in page  # the text is kept to shorten
    assert len(outbox_rows()) == 1
    assert fresh(entry).inbox_state == "open"


def test_the_same_korean_reply_fits_bluesky(staff_client: FlaskClient) -> None:
    entry = logged(account("bluesky", "hanbit.bsky.social"))
    assert act(staff_client, entry, "reply", text="나" * 139).status_code == 302
    assert len(outbox_rows()) == 1


def test_control_characters_and_oversized_replies_are_form_errors(
    staff_client: FlaskClient,
) -> None:
    entry = logged(account())
    assert act(staff_client, entry, "reply", text="bad\x00text").status_code == 422
    assert act(staff_client, entry, "reply", text="a" * 2_001).status_code == 422
    assert outbox_rows() == []


# --- convert -------------------------------------------------------------------------------------


def test_convert_makes_an_idea_with_the_acknowledgement(
    staff_client: FlaskClient, staff: User
) -> None:
    acct = account()
    entry = logged(acct, "@hanbit 가족끼리 남은 데이터를 나눠 쓰면 좋겠어요", handle="sora")
    answer = act(staff_client, entry, "convert")
    assert answer.status_code == 302
    entry = fresh(entry)
    idea = db.session.get_one(Idea, entry.idea_id)
    assert idea.title == "가족끼리 남은 데이터를 나눠 쓰면 좋겠어요"
    assert idea.source == "x"
    assert idea.source_post_id == entry.post_id
    assert idea.source_author_handle == "sora"
    assert not idea.held
    assert idea.hidden_at is None
    assert entry.inbox_state == "converted"
    assert entry.outcome == "skipped"
    assert entry.handled_by_id == staff.id
    assert entry.first_response_at is not None
    (ack,) = outbox_rows()
    assert ack.kind == "x_reply"
    assert ack.target == entry.post_id
    assert ack.dedupe_key == f"x_reply:ack:{acct.id}:post:{entry.post_id}"
    assert ack.payload == {"in_reply_to_tweet_id": entry.post_id, "ack": "imported"}
    # twice: one idea, one acknowledgement
    again = act(staff_client, entry, "convert", follow_redirects=True)
    assert "already handled" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Idea)) == 1
    assert len(outbox_rows()) == 1


def test_converting_a_held_mention_approves_its_idea(
    staff_client: FlaskClient, make_idea: Callable[..., Idea]
) -> None:
    acct = account(moderation="hold")
    idea = make_idea(title="야간 데이터 무제한 요금제")
    idea.held, idea.hidden_at, idea.hidden_reason = True, utcnow(), "held for approval"
    idea.source, idea.source_account_id, idea.source_post_id = "x", acct.id, "1777"
    db.session.commit()
    entry = logged(acct, "@hanbit 야간 데이터 무제한 요금제 #아이디어", outcome="held",
                   idea_id=idea.id)  # fmt: skip
    assert act(staff_client, entry, "convert").status_code == 302
    db.session.expire_all()
    assert not idea.held
    assert idea.hidden_at is None
    assert fresh(entry).inbox_state == "converted"
    assert db.session.scalar(select(func.count()).select_from(Idea)) == 1
    (ack,) = outbox_rows()
    assert ack.target == "1777"


# --- route, dismiss, reopen -------------------------------------------------------------------


def test_route_to_a_team_and_find_it_in_the_teams_filter(
    staff_client: FlaskClient,
) -> None:
    team = first_team()
    entry = logged(account(), COMPLAINT_KO)
    assert act(staff_client, entry, "route", team=str(team.id)).status_code == 302
    entry = fresh(entry)
    assert (entry.inbox_state, entry.team_id) == ("routed", team.id)
    page = staff_client.get(f"/staff/listening?state=routed&team={team.id}")
    assert f"mention-{entry.id}" in page.get_data(as_text=True)
    assert outbox_rows() == []


@pytest.mark.parametrize("team", ["999", "abc", "", "-1"])
def test_routing_to_an_unknown_team_is_a_form_error(staff_client: FlaskClient, team: str) -> None:
    entry = logged(account())
    answer = act(staff_client, entry, "route", team=team)
    assert answer.status_code == 422
    assert "Choose one of the teams." in answer.get_data(as_text=True)
    assert fresh(entry).inbox_state == "open"


def test_dismiss_then_reopen(staff_client: FlaskClient) -> None:
    entry = logged(account(), "@hanbit 좋은 아침!")
    assert act(staff_client, entry, "dismiss").status_code == 302
    assert fresh(entry).inbox_state == "dismissed"
    assert f"mention-{entry.id}" not in staff_client.get("/staff/listening").get_data(as_text=True)
    assert act(staff_client, entry, "reopen", state="dismissed").status_code == 302
    assert fresh(entry).inbox_state == "open"


def test_an_action_from_a_stale_state_loses_with_a_flash(staff_client: FlaskClient) -> None:
    entry = logged(account())
    act(staff_client, entry, "dismiss")
    # another tab still shows it open: routing it from "open" must not undo the dismissal
    answer = act(staff_client, entry, "route", team=str(first_team().id), follow_redirects=True)
    assert "already handled by Kim Gyu (now: Dismissed)." in answer.get_data(as_text=True)
    assert fresh(entry).inbox_state == "dismissed"
    assert fresh(entry).team_id is None


@pytest.mark.parametrize(
    ("action", "state"),
    [("reply", "converted"), ("dismiss", "dismissed"), ("reopen", "open"), ("route", "bogus"),
     ("convert", "")],
)  # fmt: skip
def test_an_action_that_cannot_start_from_the_state_is_a_form_error(
    staff_client: FlaskClient, action: str, state: str
) -> None:
    entry = logged(account())
    answer = act(staff_client, entry, action, state=state, text="hello", team="1")
    assert answer.status_code == 422
    assert fresh(entry).inbox_state == "open"
    assert outbox_rows() == []


def test_unknown_mentions_are_404(staff_client: FlaskClient) -> None:
    not_in_inbox = logged(account(), "@hanbit 아이디어 #아이디어", state=None, outcome="imported")
    for action in ("reply", "convert", "route", "dismiss", "reopen"):
        assert post(staff_client, f"/staff/listening/999999/{action}",
                    {"state": "open"}).status_code == 404  # fmt: skip
        assert act(staff_client, not_in_inbox, action).status_code == 404
    assert staff_client.post("/staff/listening/abc/reply").status_code == 404


def test_an_action_without_a_csrf_token_changes_nothing(staff_client: FlaskClient) -> None:
    entry = logged(account())
    answer = staff_client.post(f"/staff/listening/{entry.id}/dismiss", data={"state": "open"})
    assert answer.status_code == 400
    assert fresh(entry).inbox_state == "open"


def test_next_stays_on_the_site(staff_client: FlaskClient) -> None:
    entry = logged(account())
    answer = act(staff_client, entry, "dismiss", next="https://evil.example/")
    assert answer.status_code == 302
    assert "evil.example" not in answer.headers["Location"]


def test_the_inbox_speaks_korean(app: Flask, make_user: Callable[..., User]) -> None:
    acct = account()
    entry = logged(acct, COMPLAINT_KO, handle="minji")
    logged(acct, QUESTION_KO, handle="minji", state="routed", team_id=first_team().id)
    client = app.test_client()
    login(client, make_user("staff", name="김규", initials="KG", locale="ko"))
    client.get("/")  # the login flash is read
    for path in ("/staff/listening", "/staff/listening?state=routed"):
        html = client.get(path).get_data(as_text=True)
        text = readable_text(html)  # the rules' names are code, not read as UI text
        assert "리스닝 받은함" in text
        assert [phrase for phrase in ENGLISH_UI if phrase in text] == []
        assert latin_words(text) <= {"X", "hanbit", "minji", "KG", "KST", "IdeaBoard", "English"}
    html = client.get("/staff/listening").get_data(as_text=True)
    assert "불만" in html
    assert "답글 보내기" in html
    answer = act(client, entry, "reply", text="가" * 139)
    assert "X에 올리기에 답글이 너무 깁니다" in answer.get_data(as_text=True)


def test_a_mastodon_reply_counts_the_authors_mention_put_in_front(
    staff_client: FlaskClient,
) -> None:
    entry = logged(account("mastodon", "hanbit", post_limit=30), handle="sam@toot.example")
    # "@sam@toot.example " counts as "@sam " (5): 21 + " ^KG" (4) + 5 = 30 fits, 22 does not
    assert act(staff_client, entry, "reply", text="b" * 22).status_code == 422
    assert act(staff_client, entry, "reply", text="a" * 21).status_code == 302
    (row,) = outbox_rows()
    assert row.kind == "mastodon_reply"
    assert row.text == "a" * 21 + " ^KG"


def test_the_reply_number_is_the_first_key_not_taken(app: Flask) -> None:
    prefix = "x_reply:listen:1:post:42:"
    for n in [*range(1, 13), 14]:
        db.session.add(OutboxMessage(kind="x_reply", dedupe_key=f"{prefix}{n}", text="t"))
    db.session.add(OutboxMessage(kind="x_reply", dedupe_key="x_reply:listen:1:post:421:13"))
    db.session.commit()
    assert inbox._next_reply_number(prefix, batch=5) == 13
    assert inbox._next_reply_number("x_reply:listen:1:post:7:") == 1
