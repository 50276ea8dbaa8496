"""Replies on X speak the language of the post they answer, else the site's."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ideaboard.extensions import db
from ideaboard.ideas import services as ideas
from ideaboard.ideas.models import Idea, Source
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social.importer import enqueue_ack
from ideaboard.social.models import SocialAccount
from ideaboard.triage import services as triage

POST_ID = "1861000000000000042"


def _imported(lang: str | None) -> Idea:
    idea = Idea(
        title="데이터 이월 서비스" if lang == "ko" else "Data rollover, please",
        body="#idea",
        body_html="",
        stage=ideas.default_stage(),
        source=Source.X.value,
        source_url=f"https://x.com/someone/status/{POST_ID}",
        source_author_handle="someone",
        source_post_id=POST_ID,
        source_lang=lang,
    )
    db.session.add(idea)
    db.session.commit()
    return idea


def _reply() -> OutboxMessage:
    return db.session.scalars(select(OutboxMessage)).one()


@pytest.mark.parametrize(
    ("lang", "default", "reply_lang", "starts"),
    [
        ("ko", "en", "ko", "[검토 중] "),
        ("en", "ko", "en", "[Under review] "),
        (None, "ko", "ko", "[검토 중] "),  # X gave no language: the site's
        ("ja", "en", "en", "[Under review] "),  # a language we do not write: the site's
        ("und", "ko", "ko", "[검토 중] "),
    ],
)
def test_stage_change_replies_in_the_language_of_the_post(
    app, make_user, lang, default, reply_lang, starts
):
    app.config["IDEABOARD_DEFAULT_LOCALE"] = default
    staff = make_user("staff", initials="KG")
    idea = _imported(lang)
    triage.change_stage(idea, triage.find_stage("under-review"), "Looking at it", staff)
    db.session.commit()
    reply = _reply()
    assert reply.lang == reply_lang
    assert reply.text.startswith(starts)
    assert reply.text.endswith("^KG")


def test_the_reply_language_does_not_follow_the_staff_members_language(app, make_user):
    staff = make_user("staff", initials="KG")
    staff.locale = "ko"
    with app.test_request_context(headers={"Accept-Language": "ko"}):
        triage.change_stage(
            _imported("en"), triage.find_stage("planned"), "다음 분기에 합니다.", staff
        )
        db.session.commit()
    assert _reply().text.startswith("[Planned] ")


@pytest.mark.parametrize(
    ("lang", "kind", "starts"),
    [
        ("ko", "imported", "아이디어 고맙습니다!"),
        ("en", "imported", "Thanks for the idea!"),
        ("ko", "matched", "비슷한 아이디어가 이미 있어"),
        ("en", "matched", "A similar idea is already on our board"),
    ],
)
def test_acknowledgements_speak_the_language_of_the_post(app, lang, kind, starts):
    account = SocialAccount(remote_user_id="1500000000000000001", username="hanbit")
    db.session.add(account)
    db.session.flush()
    enqueue_ack(account, _imported(lang), POST_ID, lang, kind)
    db.session.commit()
    assert _reply().text.startswith(starts)
    assert _reply().lang == lang
