"""A small bilingual board to read in Korean and in English."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from ideaboard.accounts.models import Role, User
from ideaboard.extensions import db
from ideaboard.ideas import services as ideas
from ideaboard.ideas.models import Idea, Source
from ideaboard.social.models import MentionLog, SocialAccount
from ideaboard.triage import services as triage
from ideaboard.triage.models import Team


@dataclass
class Board:
    customer: User
    staff: User
    admin: User
    idea: Idea
    imported: Idea
    launched: Idea


@pytest.fixture
def board(app, make_user) -> Board:
    """Korean content only, so any Latin word on a Korean page comes from our UI."""
    customer = make_user(email="minji@example.com", name="김민지")
    staff = make_user(Role.STAFF, email="gayoung@example.com", name="김가영", initials="KG")
    admin = make_user(Role.ADMIN, email="admin@example.com", name="관리자", initials="AD")
    idea = ideas.submit_idea(
        customer, "데이터 이월 서비스", "남은 데이터를 다음 달로 넘겨 주세요.", "billing"
    )
    ideas.add_comment(customer, idea, "저도 꼭 필요해요.")
    db.session.flush()
    triage.change_stage(idea, triage.find_stage("under-review"), "검토하고 있습니다.", staff)
    ideas.add_comment(staff, idea, "담당 팀에 전달했습니다.")
    imported = Idea(
        title="지하철에서도 5G가 잘 터지면 좋겠어요",
        body="지하철에서도 5G가 잘 터지면 좋겠어요 #아이디어",
        body_html="<p>지하철에서도 5G가 잘 터지면 좋겠어요</p>",
        stage=ideas.default_stage(),
        source=Source.X.value,
        source_url="https://x.com/hanbit_fan/status/1861000000000000001",
        source_author_name="한빛팬",
        source_author_handle="hanbit_fan",
        source_post_id="1861000000000000001",
        source_lang="ko",
    )
    db.session.add(imported)
    launched = ideas.submit_idea(customer, "요금 알림 문자", "요금이 나오면 문자로 알려 주세요.")
    ideas.cast_vote(staff, launched, 1)
    db.session.flush()
    triage.change_stage(launched, triage.find_stage("planned"), "다음 분기에 만듭니다.", staff)
    triage.change_stage(launched, triage.find_stage("launched"), "출시했습니다!", staff)
    network = db.session.scalar(select(Team).where(Team.slug == "network"))
    triage.assign_idea(idea, staff, team=network, assignee=staff)
    db.session.flush()
    triage.change_stage(imported, triage.find_stage("under-review"), "검토합니다.", staff)
    account = SocialAccount(remote_user_id="1500000000000000001", username="hanbit")
    db.session.add(account)
    db.session.flush()
    db.session.add(
        MentionLog(account_id=account.id, post_id="1861000000000000009", author_handle="hanbit_fan",
                   text="저도요 #아이디어", outcome="voted", reason=f"matches idea #{idea.id}",
                   idea_id=idea.id)
    )  # fmt: skip
    db.session.commit()
    return Board(customer, staff, admin, idea, imported, launched)
