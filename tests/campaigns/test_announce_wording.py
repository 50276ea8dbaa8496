"""Campaign announcements are reply templates: "campaign_opened" and "campaign_closed", with the
built-in wording as defaults, overridden by admins per language and per network, checked when
saved, listed on the reply templates page, and still posted exactly once."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import select

from ideaboard.accounts.models import Role
from ideaboard.campaigns.announce import queue_announcements
from ideaboard.extensions import db
from ideaboard.ideas import services as ideas
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social.models import ReplyTemplate, SocialAccount
from ideaboard.social.networks import limit_for
from ideaboard.social.reply_templates import KINDS, wording
from ideaboard.triage.models import StageRole, stage_with_role
from tests.campaigns.helpers import DEADLINE, NOW
from tests.helpers import login, post

PAGE = "/staff/reply-templates/"


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def bluesky() -> SocialAccount:
    row = SocialAccount(network="bluesky", remote_user_id="did:plc:brand",
                        username="hanbit.bsky.social", signature="HB")  # fmt: skip
    db.session.add(row)
    db.session.commit()
    return row


def save(client, text: str, *, kind: str = "campaign_opened", lang: str = "ko",
         network: str = "", include_link: bool = True, follow: bool = False):  # fmt: skip
    data = {"kind": kind, "lang": lang, "network": network, "text": text}
    if include_link:
        data["include_link"] = "1"
    return post(client, PAGE, data, follow_redirects=follow)


def test_the_default_wording_is_the_built_in_one(app, make_campaign, account):
    assert {"campaign_opened", "campaign_closed"} <= set(KINDS)
    opened = wording("campaign_opened", "", "ko", "x")
    assert opened.text == (
        "[아이디어 캠페인] {title} — {deadline}까지 #{hashtag} 태그로 아이디어를 보내 주세요! {url}"
    )
    assert (opened.custom, opened.include_link) == (False, True)
    assert wording("campaign_closed", "", "en").text == (
        "[Campaign closed] {title} #{hashtag} is closed: {ideas} ideas. Thank you! Results: {url}"
    )
    app.config["IDEABOARD_DEFAULT_LOCALE"] = "en"
    campaign = make_campaign(announce=True, title="Roaming ideas", hashtag="roaming")
    assert queue_announcements(NOW) == 1
    db.session.commit()
    (row,) = rows()
    # The deadline in the board's zone for English readers, as before the templates.
    assert re.fullmatch(
        r"\[Idea campaign\] Roaming ideas: share your ideas with #roaming until Dec 12, "
        rf"\d\d:00 \S+\. https?://\S+/campaigns/{campaign.slug}",
        row.text,
    ), row.text


def test_an_admins_korean_wording_is_posted_for_the_korean_board_once(
    app, client, make_user, make_campaign, account, clock
):
    app.config["IDEABOARD_DEFAULT_LOCALE"] = "ko"
    other = bluesky()
    login(client, make_user(Role.ADMIN))
    opening = "{title} 캠페인 시작! #{hashtag} 마감 {deadline} {url} ^{signature}"
    assert save(client, opening).status_code == 302
    save(client, "{title} 끝: 아이디어 {ideas}개, 출시 {launched}개 #{hashtag} {url}",
         kind="campaign_closed")  # fmt: skip
    save(client, "English only {title} #{hashtag} {url}", lang="en")  # not the board's language
    campaign = make_campaign(announce=True)
    assert queue_announcements(NOW) == 2
    assert queue_announcements(NOW) == 0
    db.session.commit()
    opened = rows()
    for row, owner, signature in zip(opened, (account, other), ("IB", "HB"), strict=True):
        assert row.account_id == owner.id
        assert row.text.startswith("5G 아이디어 모음 캠페인 시작! #5G아이디어 마감 12월 12일 18:00")
        assert row.text.endswith(f"/campaigns/{campaign.slug} ^{signature}")
        assert limit_for(owner).fits(row.text)
    # A changed wording after the post does not post again.
    save(client, "다시 {title} #{hashtag} {url}")
    assert queue_announcements(NOW + timedelta(hours=1)) == 0

    author = make_user()
    first = ideas.submit_idea(author, "5G 지하철 속도 개선", "", campaign=campaign)
    ideas.submit_idea(author, "5G 요금제 나눠 쓰기", "", campaign=campaign)
    launched = stage_with_role(StageRole.LAUNCHED)
    assert launched is not None
    first.stage_id = launched.id
    db.session.commit()
    later = DEADLINE + timedelta(minutes=1)
    clock.set(later)
    assert queue_announcements(later) == 2
    assert queue_announcements(later) == 0
    db.session.commit()
    closed = rows()[2:]
    assert len(closed) == 2
    for row in closed:
        assert row.text.startswith("5G 아이디어 모음 끝: 아이디어 2개, 출시 1개 #5G아이디어 ")
        assert row.text.endswith(f"/campaigns/{campaign.slug}/results")


def test_a_wording_for_one_network_wins_there(app, client, make_user, make_campaign, account):
    app.config["IDEABOARD_DEFAULT_LOCALE"] = "ko"
    other = bluesky()
    login(client, make_user(Role.ADMIN))
    save(client, "모든 네트워크 {title} #{hashtag} {url}")
    response = save(client, "블루스카이 {title} #{hashtag} {url}", network="bluesky")
    assert response.headers["Location"].endswith(f"{PAGE}?network=bluesky")
    make_campaign(announce=True)
    assert queue_announcements(NOW) == 2
    db.session.commit()
    by_account = {row.account_id: row.text for row in rows()}
    assert by_account[account.id].startswith("모든 네트워크 5G 아이디어 모음 #5G아이디어 http")
    assert by_account[other.id].startswith("블루스카이 5G 아이디어 모음 #5G아이디어 http")


def test_without_the_link_the_hashtag_stays(app, client, make_user, make_campaign, account):
    app.config["IDEABOARD_DEFAULT_LOCALE"] = "en"
    login(client, make_user(Role.ADMIN))
    default = wording("campaign_opened", "", "en").text
    save(client, default, lang="en", network="x", include_link=False)
    campaign = make_campaign(announce=True, title="Roaming " + "가" * 110, hashtag="roaming")
    assert queue_announcements(NOW) == 1
    db.session.commit()
    (row,) = rows()
    assert "http" not in row.text
    assert f"/campaigns/{campaign.slug}" not in row.text
    assert "#roaming until Dec 12" in row.text
    assert "…" in row.text  # the long title was shortened, not the hashtag
    assert limit_for(account).fits(row.text)


def test_bad_wordings_are_refused_with_a_message(client, make_user):
    login(client, make_user(Role.ADMIN))
    cases = [
        ("{title} #{hashtag} {count} {url}", "campaign_closed", "Unknown placeholder: {count}"),
        ("{title} #{hashtag} {deadline}", "campaign_closed", "Unknown placeholder: {deadline}"),
        ("{title} 캠페인을 시작합니다 {url}", "campaign_opened", "must contain {hashtag}"),
        ("{title} #{hashtag} " + "가" * 120, "campaign_opened", "too long for a post on X"),
        ("{title #{hashtag}", "campaign_opened", "Braces must pair up"),
    ]
    for text, kind, message in cases:
        response = save(client, text, kind=kind, follow=True)
        assert response.status_code == 200
        assert html.escape(message) in response.get_data(as_text=True), text
    assert db.session.scalar(select(ReplyTemplate)) is None


def test_a_stored_wording_too_long_for_a_long_hashtag_gives_way_to_the_default(
    app, make_campaign, account
):
    app.config["IDEABOARD_DEFAULT_LOCALE"] = "ko"
    db.session.add(ReplyTemplate(kind="campaign_opened", stage_slug="", lang="ko", network="",
                                 text="{title} #{hashtag} " + "가" * 110 + " {url}"))  # fmt: skip
    db.session.commit()
    make_campaign(announce=True, hashtag="가" * 50)
    assert queue_announcements(NOW) == 1
    db.session.commit()
    (row,) = rows()
    assert row.text.startswith("[아이디어 캠페인]")
    assert "#" + "가" * 50 in row.text
    assert limit_for(account).fits(row.text)


def test_the_templates_page_lists_both_kinds_in_every_tab(client, make_user):
    login(client, make_user(Role.ADMIN))
    for network in ("", "x", "bluesky", "mastodon"):
        page = client.get(PAGE + (f"?network={network}" if network else "")).get_data(as_text=True)
        for kind in ("campaign_opened", "campaign_closed"):
            assert len(re.findall(f'name="kind" value="{kind}"', page)) == 2  # ko and en
        assert "Campaign opened: announcement on the brand accounts" in page
        assert "{deadline} is the closing time in the board" in page
        assert "{launched} how many of them launched" in page
