"""Campaign announcements: one post per active brand account when a campaign opens and when it
closes, queued by the worker, exactly once, in the board's language, within the post limit."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from ideaboard.campaigns.announce import queue_announcements
from ideaboard.extensions import db
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social.models import SocialAccount
from ideaboard.social.networks import limit_for
from ideaboard.worker import Worker
from tests.campaigns.helpers import DEADLINE, NOW


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def accounts(account: SocialAccount) -> list[SocialAccount]:
    """The X account, a Bluesky one, and an inactive one that hears nothing."""
    bluesky = SocialAccount(network="bluesky", remote_user_id="did:plc:brand",
                            username="hanbit.bsky.social")  # fmt: skip
    off = SocialAccount(network="x", remote_user_id="2000", username="old_brand", active=False)
    db.session.add_all([bluesky, off])
    db.session.commit()
    return [account, bluesky]


def test_opening_and_closing_are_posted_once_on_each_active_account(
    app, make_campaign, account, clock
):
    app.config["IDEABOARD_DEFAULT_LOCALE"] = "ko"
    active = accounts(account)
    campaign = make_campaign(announce=True, title="5G 아이디어 모음 " + "가" * 100)
    assert queue_announcements(NOW) == 2
    assert queue_announcements(NOW) == 0  # a second round (or worker) queues nothing
    db.session.commit()
    opened = rows()
    assert [(r.kind, r.account_id) for r in opened] == [
        ("x_post", active[0].id), ("bluesky_post", active[1].id)
    ]  # fmt: skip
    for row, owner in zip(opened, active, strict=True):
        assert row.dedupe_key.endswith(f":campaign:{campaign.id}:open:account:{owner.id}")
        assert row.lang == "ko"
        assert "#5G아이디어" in row.text
        assert f"/campaigns/{campaign.slug}" in row.text
        assert "까지" in row.text  # Korean, with the deadline
        # X weighs Korean double: the long title was shortened there (Bluesky counts graphemes).
        assert ("…" in row.text) == (owner.network == "x")
        assert limit_for(owner).fits(row.text)
    clock.set(DEADLINE + timedelta(minutes=1))
    assert queue_announcements(DEADLINE + timedelta(minutes=1)) == 2
    assert queue_announcements(DEADLINE + timedelta(minutes=2)) == 0
    db.session.commit()
    closed = rows()[2:]
    assert len(closed) == 2
    for row in closed:
        assert ":close:" in row.dedupe_key
        assert f"/campaigns/{campaign.slug}/results" in row.text
        assert "마감" in row.text


def test_english_posts_and_no_posts_without_announce(app, make_campaign, account):
    app.config["IDEABOARD_DEFAULT_LOCALE"] = "en"
    make_campaign(announce=False)
    assert queue_announcements(NOW) == 0
    make_campaign(announce=True, title="Roaming ideas", hashtag="#roaming")
    assert queue_announcements(NOW) == 1
    db.session.commit()
    (row,) = rows()
    assert row.text.startswith("[Idea campaign] Roaming ideas: share your ideas with #roaming")


def test_a_campaign_closed_before_its_opening_was_posted_only_says_it_closed(
    make_campaign, account, staff, clock
):
    campaign = make_campaign(announce=True)
    clock.set(DEADLINE + timedelta(hours=1))  # the worker was away the whole week
    assert queue_announcements(DEADLINE + timedelta(hours=1)) == 1
    db.session.commit()
    (row,) = rows()
    assert f":campaign:{campaign.id}:close:" in row.dedupe_key


def test_the_worker_queues_them_in_its_round(app, make_campaign, account):
    make_campaign(announce=True)
    worker = Worker(threading.Event(), interval=1.0, name="test-worker")
    assert worker._campaign_posts() == 1
    assert worker._campaign_posts() == 0
    assert len(rows()) == 1
