"""Campaign hashtags in imported mentions: an idea in the campaign (no idea tag needed) while it
is open; after its deadline the post is logged "campaign closed", waits in the listening inbox,
and makes no idea; replies counted as votes stop at the deadline too."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count

from sqlalchemy import func, select

from ideaboard.extensions import db
from ideaboard.ideas.models import Idea, Vote
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social import importer
from ideaboard.social.connectors import Mention
from ideaboard.social.models import InboxState, MentionLog
from tests.campaigns.helpers import DEADLINE, NOW

_ids = count(9000)


def mention(text: str, hashtags: list[str], *, at: datetime, **extra) -> Mention:
    n = next(_ids)
    return Mention(
        id=str(n),
        text=text,
        author_id=f"u{n}",
        author_handle=f"fan{n}",
        author_name=f"Fan {n}",
        created_at=at,
        lang="ko",
        hashtags=hashtags,
        **extra,
    )


def log_of(post: Mention) -> MentionLog:
    row = db.session.scalar(select(MentionLog).where(MentionLog.post_id == post.id))
    assert row is not None
    return row


def test_a_post_with_the_campaigns_hashtag_becomes_an_idea_in_it(
    make_campaign, account, category, clock
):
    campaign = make_campaign()
    clock.advance(hours=1)
    post = mention(
        "@hanbit 지하철에서도 5G가 끊기지 않게 해 주세요 #5g아이디어",
        ["5g아이디어"],  # no idea tag; the hashtag in another case
        at=NOW + timedelta(minutes=50),
    )
    outcome = importer.process_mention(account, post, NOW + timedelta(hours=1))
    db.session.commit()
    assert outcome == "imported"
    idea = db.session.scalar(select(Idea))
    assert idea.campaign_id == campaign.id
    assert idea.category == category
    assert "#5g아이디어" not in idea.title
    assert idea.title.startswith("지하철에서도 5G가")
    assert log_of(post).inbox_state is None


def test_after_the_deadline_the_post_is_skipped_into_the_inbox_without_an_idea(
    make_campaign, account, clock
):
    make_campaign()
    clock.set(DEADLINE + timedelta(minutes=5))
    post = mention(
        "@hanbit 늦었지만 5G 아이디어 #5G아이디어 #아이디어",  # the idea tag does not help
        ["5G아이디어", "아이디어"],
        at=DEADLINE + timedelta(minutes=1),
    )
    outcome = importer.process_mention(account, post, DEADLINE + timedelta(minutes=5))
    db.session.commit()
    assert outcome == "skipped"
    row = log_of(post)
    assert row.reason == "campaign closed"
    assert row.inbox_state == InboxState.OPEN.value
    assert db.session.scalar(select(func.count()).select_from(Idea)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_post_made_before_the_deadline_and_fetched_after_still_counts(
    make_campaign, account, clock
):
    campaign = make_campaign()
    clock.set(DEADLINE + timedelta(minutes=10))  # the worker was away at the deadline
    post = mention("@hanbit 5G 요금제 아이디어 #5G아이디어", ["5G아이디어"],
                   at=DEADLINE - timedelta(minutes=1))  # fmt: skip
    assert importer.process_mention(account, post, DEADLINE + timedelta(minutes=10)) == "imported"
    db.session.commit()
    assert db.session.scalar(select(Idea.campaign_id)) == campaign.id


def test_an_upcoming_campaigns_hashtag_is_not_an_idea_tag_yet(make_campaign, account):
    make_campaign(opens_at=NOW + timedelta(days=1))
    post = mention("@hanbit 5G 아이디어 미리 #5G아이디어", ["5G아이디어"], at=NOW)
    assert importer.process_mention(account, post, NOW) == "skipped"
    assert log_of(post).reason == "no idea tag"


def test_replies_to_a_campaign_ideas_post_vote_until_the_deadline(make_campaign, account, clock):
    make_campaign()
    original = mention("@hanbit 5G 커버리지 지도 #5G아이디어", ["5G아이디어"], at=NOW)
    importer.process_mention(account, original, NOW)
    db.session.commit()
    idea = db.session.scalar(select(Idea))
    early = mention("@hanbit 저도요 #5G아이디어", ["5G아이디어"], at=NOW + timedelta(hours=1),
                    replied_to=original.id)  # fmt: skip
    assert importer.process_mention(account, early, NOW + timedelta(hours=1)) == "voted"
    db.session.commit()
    later = DEADLINE + timedelta(hours=1)
    clock.set(later)
    with_hashtag = mention("@hanbit 저도 찬성 #5G아이디어", ["5G아이디어"], at=later,
                           replied_to=original.id)  # fmt: skip
    assert importer.process_mention(account, with_hashtag, later) == "skipped"
    assert log_of(with_hashtag).reason == "campaign closed"
    with_idea_tag = mention("@hanbit 저도 찬성 #아이디어", ["아이디어"], at=later,
                            replied_to=original.id)  # fmt: skip
    assert importer.process_mention(account, with_idea_tag, later) != "voted"
    db.session.commit()
    assert log_of(with_idea_tag).reason == f"voting closed on #{idea.id}"
    votes = db.session.scalar(select(func.count()).select_from(Vote).where(Vote.idea_id == idea.id))
    assert votes == 1
