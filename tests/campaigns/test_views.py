"""Campaign pages: staff create, edit and close (role, CSRF, form errors, time zones); the
public list, a campaign's page with its form until the deadline, its results; nav and badges."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from ideaboard.accounts.models import Role
from ideaboard.campaigns import services
from ideaboard.campaigns.models import Campaign
from ideaboard.extensions import db
from ideaboard.ideas import services as ideas
from ideaboard.ideas.models import Idea
from ideaboard.triage.models import StageRole, stage_with_role
from ideaboard.triage.services import change_stage
from tests.campaigns.helpers import DEADLINE, NOW
from tests.helpers import csrf_token
from tests.ideas.helpers import JSON, field_error, page_text, redirects_to_login, sign_in

SOON = NOW + timedelta(hours=2)  # a deadline within a browser sign-in's lifetime
FORM = {
    "title": "5G 아이디어 모음",
    "description": "5G에 바라는 점",
    "hashtag": "#5G아이디어",
    "category": "",
    "opens_at": "",
    "closes_at": "2031-12-12T18:00",
    "slug": "",
}


def _post(client, path, data):
    """POST the form with a token read from a page. The requests share the test's session:
    the page's read ends first, so the POST writes on a fresh snapshot."""
    token = csrf_token(client)
    db.session.rollback()
    response = client.post(path, data={**data, "csrf_token": token})
    db.session.rollback()  # and the POST's (a refused form leaves its write lock)
    return response


@pytest.fixture
def staff_client(client, staff, now):
    staff.timezone = "Asia/Seoul"
    db.session.commit()
    sign_in(client, staff)
    return client


def test_staff_open_a_campaign_with_the_deadline_in_their_time_zone(staff_client, category):
    response = _post(
        staff_client, "/staff/campaigns/new", {**FORM, "category": category.slug, "announce": "y"}
    )
    assert response.status_code == 302, page_text(response)
    campaign = db.session.scalar(select(Campaign))
    # 18:00 in Seoul is 09:00 UTC.
    assert campaign.closes_at == NOW + timedelta(days=7)
    assert campaign.opens_at == NOW
    assert campaign.announce
    assert campaign.category == category
    listing = page_text(staff_client.get("/staff/campaigns"))
    assert "5G 아이디어 모음" in listing
    assert "#5G아이디어" in listing
    edit = page_text(staff_client.get(f"/staff/campaigns/{campaign.id}/edit"))
    assert 'value="2031-12-12T18:00"' in edit
    assert "Asia/Seoul" in edit


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "Title is required."),
        ({"closes_at": "2031-12-05T17:59"}, "closes_at", "in the future"),  # 08:59 UTC
        ({"closes_at": "tomorrow"}, "closes_at", ""),
        ({"closes_at": ""}, "closes_at", "closing date"),
        ({"hashtag": "#5G 아이디어"}, "hashtag", "one word"),
        ({"category": "no-such-category"}, "category", ""),
    ],
)
def test_bad_input_shows_the_form_again_with_the_error(staff_client, changes, field, message):
    response = _post(staff_client, "/staff/campaigns/new", {**FORM, **changes})
    assert response.status_code == 422
    assert message in field_error(page_text(response), field)
    assert db.session.scalar(select(Campaign.id)) is None


def test_a_duplicate_hashtag_is_a_form_error(staff_client, make_campaign):
    make_campaign()
    response = _post(staff_client, "/staff/campaigns/new", {**FORM, "hashtag": "#5g아이디어"})
    assert response.status_code == 422
    assert "Another campaign" in field_error(page_text(response), "hashtag")


def test_staff_pages_check_the_role_and_the_csrf_token(client, make_user, make_campaign, now):
    campaign = make_campaign()
    assert redirects_to_login(client.get("/staff/campaigns"))
    sign_in(client, make_user(Role.CUSTOMER))
    assert client.get("/staff/campaigns").status_code == 403
    assert client.get("/staff/campaigns/new").status_code == 403
    assert _post(client, f"/staff/campaigns/{campaign.id}/close", {}).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    sign_in(client, make_user(Role.STAFF))
    assert client.post(f"/staff/campaigns/{campaign.id}/close").status_code == 400
    assert client.post("/staff/campaigns/new", data=FORM).status_code in (400, 422)
    assert db.session.scalar(select(Campaign.id).where(Campaign.id != campaign.id)) is None
    assert campaign.closes_at == DEADLINE
    assert client.get("/staff/campaigns/999999/edit").status_code == 404


def test_close_now_ends_the_campaign(staff_client, make_campaign, clock):
    campaign = make_campaign()
    clock.advance(minutes=30)
    response = _post(staff_client, f"/staff/campaigns/{campaign.id}/close", {})
    assert response.status_code == 302
    db.session.expire_all()
    assert campaign.closes_at == NOW + timedelta(minutes=30)
    assert campaign.is_closed


def test_a_closed_campaigns_text_can_be_edited_without_touching_its_deadline(
    staff_client, make_campaign, staff, clock
):
    campaign = make_campaign()
    clock.advance(minutes=30, seconds=17)
    services.close_now(campaign, staff)
    db.session.commit()
    make_campaign(title="5G ideas, round two")  # the hashtag is in use again
    clock.advance(hours=3)
    path = f"/staff/campaigns/{campaign.id}/edit"
    form = page_text(staff_client.get(path))
    closes = re.search(r'name="closes_at"[^>]*value="([^"]+)"', form).group(1)
    db.session.rollback()
    data = {**FORM, "title": "5G 아이디어 모음 (마감)", "closes_at": closes}
    response = _post(staff_client, path, data)
    assert response.status_code == 302, page_text(response)
    db.session.expire_all()
    assert campaign.title == "5G 아이디어 모음 (마감)"
    assert campaign.closes_at == NOW + timedelta(minutes=30, seconds=17)


def test_the_public_page_lists_ideas_by_votes_with_the_deadline_in_the_readers_zone(
    client, make_campaign, make_user, now
):
    campaign = make_campaign()
    low = ideas.submit_idea(make_user(), "지하철 5G 속도 개선", "", campaign=campaign)
    high = ideas.submit_idea(make_user(), "5G 요금제 데이터 이월", "", campaign=campaign)
    db.session.commit()
    ideas.vote_on(make_user(), high.id, 1)
    db.session.commit()
    html = page_text(client.get(f"/campaigns/{campaign.slug}", headers={"Accept-Language": "ko"}))
    assert "5G 아이디어 모음" in html
    assert "<strong>5G</strong>" in html
    assert "2031년 12월 12일 오후 6:00 KST" in html  # the deadline, in Seoul for a Korean reader
    assert html.index("5G 요금제 데이터 이월") < html.index("지하철 5G 속도 개선")
    assert f'id="idea-{low.id}"' in html
    assert "캠페인에 아이디어를 제출하려면 로그인하세요" in html  # no form for visitors
    english = page_text(client.get(f"/campaigns/{campaign.slug}"))
    assert re.search(r"Dec 12, 2031, 9:00:00\W?AM UTC", english)


def test_a_customer_submits_an_idea_into_the_campaign_until_the_deadline(
    client, make_campaign, make_user, category, clock
):
    campaign = make_campaign(closes_at=SOON)
    sign_in(client, make_user())
    page = page_text(client.get(f"/campaigns/{campaign.slug}"))
    assert "Submit an idea to this campaign" in page
    response = _post(
        client, f"/campaigns/{campaign.slug}/ideas", {"title": "5G 지하철 속도 개선", "body": ""}
    )
    assert response.status_code == 302
    idea = db.session.scalar(select(Idea))
    assert idea.campaign_id == campaign.id
    assert idea.category == category
    db.session.rollback()
    shown = page_text(client.get(f"/ideas/{idea.id}"))
    assert 'class="campaign-badge"' in shown
    assert "#5G아이디어" in shown
    # An empty title is a form error on the campaign page.
    response = _post(client, f"/campaigns/{campaign.slug}/ideas", {"title": "", "body": ""})
    assert response.status_code == 422
    clock.set(SOON)
    page = page_text(client.get(f"/campaigns/{campaign.slug}"))
    assert "Submit an idea to this campaign" not in page
    assert "This campaign closed on" in page
    response = _post(client, f"/campaigns/{campaign.slug}/ideas", {"title": "A late 5G idea"})
    assert response.status_code == 409
    assert "it takes no more ideas" in page_text(response)
    assert db.session.scalar(select(Idea.id).where(Idea.title == "A late 5G idea")) is None


def test_votes_on_the_site_are_refused_after_the_deadline(client, make_campaign, make_user, clock):
    campaign = make_campaign(closes_at=SOON)
    idea = ideas.submit_idea(make_user(), "5G 지하철 속도 개선", "", campaign=campaign)
    db.session.commit()
    sign_in(client, make_user())
    path = f"/ideas/{idea.id}/vote"
    assert client.post(path, data={"value": "1", "csrf_token": csrf_token(client)},
                       headers=JSON).status_code == 200  # fmt: skip
    clock.set(SOON + timedelta(minutes=1))
    refused = client.post(path, data={"value": "0", "csrf_token": csrf_token(client)}, headers=JSON)
    assert refused.status_code == 409
    assert "campaign closed on" in refused.get_json()["error"]["message"]
    page = page_text(client.get(f"/ideas/{idea.id}"))
    assert "campaign closed on" in page
    assert re.search(r'class="vote-up"[^>]*disabled', page, re.S)
    db.session.expire_all()
    assert idea.score == 1


def test_the_results_page_shows_what_launched_by_stage_with_counts(
    client, make_campaign, make_user, staff, clock
):
    campaign = make_campaign()
    launched = ideas.submit_idea(make_user(), "5G 데이터 이월 서비스", "", campaign=campaign)
    waiting = ideas.submit_idea(make_user(), "5G 커버리지 지도", "", campaign=campaign)
    db.session.commit()
    interim = page_text(client.get(f"/campaigns/{campaign.slug}/results"))
    assert "Interim results" in interim
    clock.set(DEADLINE + timedelta(days=30))
    stage = stage_with_role(StageRole.LAUNCHED)
    change_stage(launched, stage, "Live for every 5G plan.", staff, check_workflow=False)
    db.session.commit()
    html = page_text(client.get(f"/campaigns/{campaign.slug}/results"))
    assert "Interim results" not in html
    section = html.split('id="launched-heading"', 1)[1].split("</section>", 1)[0]
    assert "5G 데이터 이월 서비스" in section
    assert "5G 커버리지 지도" not in section
    assert "5G 커버리지 지도" in html  # in its stage's list
    assert re.search(r"<dt>Ideas</dt><dd>2</dd>", html)
    assert re.search(r"<dt>Launched</dt><dd>1</dd>", html)
    assert waiting.id


def test_the_campaigns_page_lists_open_ones_first_and_the_nav_links_it(
    client, make_campaign, staff, clock, now
):
    assert 'href="/campaigns"' not in page_text(client.get("/"))
    old = make_campaign(
        title="Roaming ideas", hashtag="#roaming", closes_at=NOW + timedelta(days=1)
    )
    clock.set(NOW + timedelta(days=2))
    new = make_campaign(title="Family plan ideas", hashtag="#family",
                        closes_at=NOW + timedelta(days=9))  # fmt: skip
    html = page_text(client.get("/campaigns"))
    assert html.index(new.title) < html.index(old.title)
    assert f"/campaigns/{old.slug}/results" in html
    assert 'href="/campaigns"' in page_text(client.get("/"))


def test_an_upcoming_campaign_is_a_404_for_the_public(client, make_campaign, now):
    campaign = make_campaign(opens_at=NOW + timedelta(days=1))
    assert client.get(f"/campaigns/{campaign.slug}").status_code == 404
    assert client.get("/campaigns/no-such-campaign").status_code == 404
