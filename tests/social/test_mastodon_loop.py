"""The whole loop on Mastodon through IdeaBoard's own jobs: a customer's mention in the
sandbox becomes an idea, and the stage change goes back as a reply with the mention's
visibility and content warning (real Mastodon.py, real HTTP on loopback)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.outbox.delivery import deliver_due
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social import jobs
from ideaboard.triage.services import change_stage, find_stage
from sandboxes.mastodon import SandboxStore, post_mention
from tests.social.mastodon_helpers import BRAND_ACCOUNT_ID, brand_statuses


def _import(account: Any) -> None:
    connector = jobs.connector_for(account)
    try:
        jobs.run_import(account, connector, owner="test-importer")
    finally:
        connector.close()


def test_the_account_is_connected_with_the_servers_identity_and_limit(
    mastodon_account: Any, mastodon_url: str
) -> None:
    assert mastodon_account.network == "mastodon"
    assert mastodon_account.remote_user_id == BRAND_ACCOUNT_ID
    assert mastodon_account.username == "hanbit"
    # The server allows 500; IdeaBoard keeps room for "@author " and a content warning.
    assert mastodon_account.post_limit == 500 - 80
    assert mastodon_account.service_url == mastodon_url


def test_a_tagged_mention_becomes_an_idea_and_a_stage_change_replies_in_kind(
    mastodon_account: Any,
    mastodon_store: SandboxStore,
    make_user: Callable[..., Any],
) -> None:
    mastodon_account.acknowledge = False  # only the stage reply goes out
    db.session.commit()
    status = post_mention(
        mastodon_store,
        acct="minji@other.example",
        display_name="김민지",
        text="@hanbit 지하철에서도 5G가 잘 터지면 좋겠어요 #아이디어",
        visibility="direct",
        spoiler_text="통신 품질",
    )
    untagged = post_mention(mastodon_store, acct="jisoo", text="@hanbit 그냥 인사해요")
    _import(mastodon_account)
    idea = db.session.scalar(select(Idea).where(Idea.source_post_id == str(status["id"])))
    assert idea is not None
    assert "지하철에서도 5G가 잘 터지면 좋겠어요" in idea.title + idea.body
    assert db.session.scalar(select(Idea).where(Idea.source_post_id == str(untagged["id"]))) is None
    _import(mastodon_account)  # a second poll imports nothing twice
    assert len(db.session.scalars(select(Idea)).all()) == 1

    staff = make_user("staff", initials="KG")
    change_stage(
        idea, find_stage("under-review"), "팀에서 검토합니다.", staff, check_workflow=False
    )
    db.session.commit()
    [row] = db.session.scalars(select(OutboxMessage)).all()
    assert (row.kind, row.target) == ("mastodon_reply", str(status["id"]))

    result = deliver_due(worker="test-worker")

    assert result.sent == 1
    [reply] = brand_statuses(mastodon_store)
    assert reply["in_reply_to_id"] == status["id"]
    assert reply["visibility"] == "direct"  # a direct mention gets a direct reply
    assert reply["spoiler_text"] == "통신 품질"
    assert reply["text"].startswith("@minji@other.example ")
    assert reply["language"] == "ko"
    db.session.expire_all()
    sent = db.session.get(OutboxMessage, row.id)
    assert sent is not None
    assert (sent.state, sent.remote_id) == ("sent", str(reply["id"]))
    assert deliver_due(worker="test-worker").claimed == 0


NOTE_KO = (
    "검토 결과 내년 1분기 요금제 개편에 반영하기로 했습니다. 네트워크 팀이 이 일을 맡았고, "
    "해외 로밍 중에 남은 데이터를 다음 달로 넘기는 방식과 가족 회선끼리 나누어 쓰는 방식을 "
    "함께 시험하고 있습니다. 시험이 끝나면 일정과 조건을 아이디어 페이지에 올리고 답글로 다시 "
    "알려드리겠습니다. 기다려 주셔서 고맙습니다! "
)


def test_a_long_note_goes_out_as_a_thread_every_part_within_the_servers_limit(
    mastodon_account: Any,
    mastodon_store: SandboxStore,
    make_user: Callable[..., Any],
) -> None:
    from ideaboard.social.mastodon_text import post_length

    mastodon_account.acknowledge = False
    db.session.commit()
    status = post_mention(
        mastodon_store,
        acct="minji@other.example",
        text="@hanbit 데이터 이월 서비스 해주세요 #아이디어",
        visibility="private",
        spoiler_text="요금제 이야기",
    )
    _import(mastodon_account)
    idea = db.session.scalar(select(Idea).where(Idea.source_post_id == str(status["id"])))
    assert idea is not None
    staff = make_user("staff", initials="KG")
    change_stage(idea, find_stage("planned"), (NOTE_KO * 4).strip(), staff, check_workflow=False)
    db.session.commit()
    queued = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert len(queued) > 1  # a thread

    deliver_due(worker="test-worker")

    db.session.expire_all()
    states = [r.state for r in db.session.scalars(select(OutboxMessage)).all()]
    assert states == ["sent"] * len(queued)
    replies = brand_statuses(mastodon_store)
    assert len(replies) == len(queued)
    for reply in replies:
        assert reply["text"].startswith("@minji@other.example ")
        assert (reply["visibility"], reply["spoiler_text"]) == ("private", "요금제 이야기")
        assert post_length(reply["text"], reply["spoiler_text"]) <= 500
