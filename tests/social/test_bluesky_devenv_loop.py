"""The whole loop on Bluesky's reference servers: IdeaBoard's own jobs, the real connector.

A customer on the dev PDS (tests/social/devenv.py) posts a tagged Korean mention; the
importer, through BlueskyConnector and the PDS's notifications (proxied from the real
AppView), makes it an idea, once however often it polls; a stage change with a long note is
queued as a thread and delivered by the outbox; the customer then sees the brand's replies in
their post's thread, the first answering their post and the next answering the first, all
with the thread's root. Nothing here is a sandbox.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from atproto import Client
from sqlalchemy import select

from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.outbox.delivery import deliver_due
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social import jobs
from ideaboard.social.models import MentionLog, SocialAccount
from ideaboard.triage.services import change_stage, find_stage
from tests.social.devenv import DevNetwork, idea_mention, notification_for, wait_for

pytestmark = pytest.mark.slow

LONG_NOTE = (  # about 420 graphemes: more than one Bluesky post
    "검토 결과 내년 1분기 요금제 개편에 반영하기로 했습니다. 네트워크 팀이 이 일을 맡았고, "
    "해외 로밍 중에 남은 데이터를 다음 달로 넘기는 방식과 가족 회선끼리 나누어 쓰는 방식을 "
    "함께 시험하고 있습니다. 시험이 끝나면 일정과 조건을 이 페이지와 답글로 다시 "
    "알려드리겠습니다. "
) * 2


@pytest.fixture
def brand_on_devenv(
    app: Any, atproto_devenv: DevNetwork, monkeypatch: pytest.MonkeyPatch
) -> SocialAccount:
    """The dev network's brand account, connected the way an admin connects one: its app
    password in the environment, and add_open_account logging in to learn its DID."""
    from ideaboard.social.accounts import add_open_account

    brand = atproto_devenv.brand
    monkeypatch.setenv(
        f"IDEABOARD_BLUESKY_{jobs.variable_part(brand.handle)}_APP_PASSWORD", brand.app_password
    )
    account = add_open_account("bluesky", brand.handle, atproto_devenv.pds_url)
    account.acknowledge = False  # only the stage replies, to count them exactly
    db.session.commit()
    assert account.remote_user_id == brand.did
    return account


def _brand_replies(client: Client, uri: str, brand_did: str) -> list[Any]:
    """The brand's posts under the post at uri, depth first (a thread answers itself)."""
    thread = client.get_post_thread(uri, depth=10).thread
    found = []
    level = list(thread.replies or [])
    while level:
        node = level.pop(0)
        if node.post.author.did == brand_did:
            found.append(node.post)
        level.extend(node.replies or [])
    return found


def test_a_korean_mention_becomes_an_idea_and_its_stage_change_a_thread_of_replies(
    atproto_devenv: DevNetwork,
    bluesky_customer: Client,
    brand_on_devenv: SocialAccount,
    make_user: Callable[..., Any],
) -> None:
    # Words no other test on the shared network posts: its mentions are imported too here.
    words = f"위성 문자 요금제 {uuid.uuid4().hex[:8]} 신설"
    post = bluesky_customer.send_post(idea_mention(atproto_devenv, words), langs=["ko"])
    brand_client = atproto_devenv.client(atproto_devenv.brand)
    try:
        wait_for(lambda: notification_for(brand_client, post.uri, "mention"))
    finally:
        brand_client.request.close()  # an open socket left for the GC fails the suite

    account = brand_on_devenv
    for _ in range(2):  # a second poll (the overlap re-read included) adds nothing
        connector = jobs.connector_for(account)
        try:
            jobs.run_import(account, connector, owner="devenv-test")
        finally:
            connector.close()
        db.session.expire_all()

    idea = db.session.scalars(select(Idea).where(Idea.source_post_id == post.uri)).one()
    assert idea.source == "bluesky"
    assert idea.source_author_handle == atproto_devenv.customer.handle
    assert idea.source_lang == "ko"
    rkey = post.uri.rsplit("/", 1)[1]
    handle = atproto_devenv.customer.handle
    assert idea.source_url == f"https://bsky.app/profile/{handle}/post/{rkey}"
    assert words in idea.title
    logged = db.session.scalars(select(MentionLog).where(MentionLog.post_id == post.uri)).all()
    assert [entry.outcome for entry in logged] == ["imported"]

    staff = make_user("staff", initials="KG")
    change_stage(idea, find_stage("planned"), LONG_NOTE, staff, check_workflow=False)
    db.session.commit()
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert {row.kind for row in rows} == {"bluesky_reply"}
    parts = len(rows)
    assert parts >= 2  # the reply and its continuation: the note does not fit in one post

    for _ in range(parts + 1):  # each part waits for the one before it to be on Bluesky
        deliver_due(worker="devenv-test")
        db.session.expire_all()
    states = [row.state for row in db.session.scalars(select(OutboxMessage))]
    errors = [row.last_error for row in db.session.scalars(select(OutboxMessage))]
    assert states == ["sent"] * parts, errors
    assert deliver_due(worker="devenv-test").sent == 0  # nothing twice

    brand_did = atproto_devenv.brand.did

    def all_replies() -> list[Any] | None:
        found = _brand_replies(bluesky_customer, post.uri, brand_did)
        return found if len(found) == parts else None

    replies = wait_for(all_replies)
    first = replies[0]
    parents = [post.uri] + [reply.uri for reply in replies[:-1]]
    assert [reply.record.reply.parent.uri for reply in replies] == parents  # a chain
    assert {r.record.reply.root.uri for r in replies} == {post.uri}
    assert first.record.text.startswith("[계획됨]")
    assert all(r.record.text.endswith("^KG") for r in replies)
    assert all(len(r.record.text) <= 300 for r in replies)
    sent = {row.remote_id for row in db.session.scalars(select(OutboxMessage))}
    assert sent == {r.uri for r in replies}
