"""Internal notes never reach X: a stage change of an imported idea is replied to its post on
X with the stage note, while a note written next to it goes nowhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from ideaboard.extensions import db
from ideaboard.outbox.delivery import deliver_due
from ideaboard.outbox.models import OutboxMessage
from tests.helpers import login, post

NOTE_MARK, STAGE_MARK = "NOTE-4be1c7", "STAGE-81aa3f"


def test_a_note_never_reaches_x_but_the_stage_note_does(
    brand_account: Any,
    import_posts: Callable[..., tuple[list[dict[str, Any]], list[Any]]],
    brand_replies: Callable[[], dict[str, list[dict[str, Any]]]],
    client: Any,
    make_user: Callable[..., Any],
) -> None:
    brand_account.acknowledge = False
    db.session.commit()
    posts, (idea,) = import_posts(("minji", "@hanbit #아이디어 q5521 데이터 이월 해 주세요"))
    login(client, make_user("staff", initials="KG"))
    base = f"/staff/ideas/{idea.id}"
    note = {"note-body": f"{NOTE_MARK} 요금 팀과 상의 중"}
    assert post(client, f"{base}/notes", note).status_code == 302
    stage = {"stage-stage": "under-review", "stage-note": f"{STAGE_MARK} 검토를 시작했습니다."}
    assert post(client, f"{base}/stage", stage).status_code == 302
    rows = list(db.session.scalars(select(OutboxMessage)))
    assert not any(NOTE_MARK in f"{row.text} {row.payload}" for row in rows)
    deliver_due(worker="test")
    replies = [reply["text"] for reply in brand_replies().get(str(posts[0]["id"]), [])]
    assert any(STAGE_MARK in text for text in replies), replies
    assert not any(NOTE_MARK in text for text in replies)
