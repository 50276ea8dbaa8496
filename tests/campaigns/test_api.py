"""The JSON API and campaigns: `campaign` on ideas, submissions and votes after the deadline."""

from __future__ import annotations

from sqlalchemy import func, select

from ideaboard.extensions import db
from ideaboard.ideas import services as ideas
from ideaboard.ideas.models import Idea
from tests.campaigns.helpers import DEADLINE


def test_an_idea_submitted_with_a_campaign_shows_its_slug(
    client, make_campaign, headers_for, category
):
    campaign = make_campaign()
    headers = headers_for("customer")
    response = client.post(
        "/api/v1/ideas",
        json={"title": "5G 지하철 속도 개선", "campaign": campaign.slug},
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["campaign"] == campaign.slug
    assert body["category"] == category.slug
    plain = client.post("/api/v1/ideas", json={"title": "Dark mode please"}, headers=headers)
    assert plain.get_json()["campaign"] is None  # the field is there for every idea
    listed = client.get("/api/v1/ideas?sort=new").get_json()["items"]
    assert {item["campaign"] for item in listed} == {campaign.slug, None}


def test_submissions_and_votes_after_the_deadline_are_409(
    client, make_campaign, make_user, headers_for, clock
):
    campaign = make_campaign()
    idea = ideas.submit_idea(make_user(), "5G 커버리지 지도", "", campaign=campaign)
    db.session.commit()
    headers = headers_for("customer")
    clock.set(DEADLINE)
    late = client.post(
        "/api/v1/ideas", json={"title": "A late 5G idea", "campaign": campaign.slug},
        headers=headers,
    )  # fmt: skip
    assert late.status_code == 409
    assert late.get_json()["error"]["code"] == "campaign_closed"
    vote = client.put(f"/api/v1/ideas/{idea.id}/vote", json={"value": 1}, headers=headers)
    assert vote.status_code == 409
    error = vote.get_json()["error"]
    assert error["code"] == "voting_closed"
    assert "campaign closed on" in error["message"]
    unknown = client.post(
        "/api/v1/ideas", json={"title": "Some 5G idea", "campaign": "nope"}, headers=headers
    )
    assert unknown.status_code == 422
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Idea)) == 1


def test_before_the_deadline_the_api_vote_counts(client, make_campaign, make_user, headers_for):
    campaign = make_campaign()
    idea = ideas.submit_idea(make_user(), "5G 커버리지 지도", "", campaign=campaign)
    db.session.commit()
    vote = client.put(
        f"/api/v1/ideas/{idea.id}/vote", json={"value": 1}, headers=headers_for("customer")
    )
    assert vote.status_code == 200
    assert vote.get_json()["score"] == 1
