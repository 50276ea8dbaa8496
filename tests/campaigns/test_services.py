"""Campaign rules: inputs, the hashtag, the state by the clock, and the deadline for ideas and
votes (the site's and the API's services; the PostgreSQL vote statement too)."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

import pytest
from sqlalchemy import select

from ideaboard.accounts.models import Role
from ideaboard.campaigns import services
from ideaboard.campaigns.models import Campaign, CampaignState
from ideaboard.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, VotingClosed
from ideaboard.extensions import db
from ideaboard.ideas import services as ideas
from ideaboard.ideas.models import Idea, Vote
from tests.campaigns.helpers import DEADLINE, NOW


def test_a_campaign_is_open_until_its_deadline_and_closed_from_it(make_campaign, clock):
    campaign = make_campaign()
    assert campaign.hashtag == "5G아이디어"
    assert campaign.hashtag_key == "5g아이디어"
    assert campaign.slug == "5g"  # made from the title's ASCII part
    assert campaign.description_html.startswith("<p><strong>5G</strong>")
    assert campaign.state is CampaignState.OPEN
    clock.set(DEADLINE - timedelta(seconds=1))
    assert campaign.state is CampaignState.OPEN
    clock.set(DEADLINE)  # the deadline itself is closed
    assert campaign.state is CampaignState.CLOSED


def test_a_campaign_with_a_later_opening_is_upcoming_and_not_public(
    make_campaign, clock, make_user
):
    campaign = make_campaign(opens_at=NOW + timedelta(days=1))
    assert campaign.state is CampaignState.UPCOMING
    with pytest.raises(NotFound):
        services.get_campaign(campaign.slug, make_user())
    assert services.public_campaigns() == []
    assert not services.any_public_campaign()
    clock.set(NOW + timedelta(days=1))
    assert services.get_campaign(campaign.slug, None) == campaign
    assert services.public_campaigns() == [campaign]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"title": ""}, "title", "Title is required."),
        ({"title": "\u200b\u3164 "}, "title", "Title is required."),
        ({"title": "x" * 121}, "title", "at most 120"),
        ({"hashtag": ""}, "hashtag", "Hashtag is required."),
        ({"hashtag": "#"}, "hashtag", "Hashtag is required."),
        ({"hashtag": "#5G 아이디어"}, "hashtag", "one word"),
        ({"hashtag": "#2026"}, "hashtag", "one word"),
        ({"hashtag": "#a-b"}, "hashtag", "one word"),
        ({"hashtag": "#" + "a" * 51}, "hashtag", "at most 50"),
        ({"closes_at": None}, "closes_at", "closing date"),
        ({"closes_at": NOW - timedelta(minutes=1)}, "closes_at", "in the future"),
        ({"closes_at": NOW}, "closes_at", "in the future"),
        (
            {"opens_at": NOW + timedelta(days=9), "closes_at": NOW + timedelta(days=8)},
            "closes_at",
            "after the opening",
        ),
        ({"category_slug": "no-such-category"}, "category", "listed categories"),
        ({"slug": "Not A Slug!"}, "slug", "lowercase"),
    ],
)
def test_bad_input_is_refused_with_the_field_and_nothing_is_stored(
    make_campaign, values, field, message
):
    with pytest.raises(ValidationFailed) as refused:
        make_campaign(**values)
    db.session.rollback()
    assert refused.value.field == field
    assert message in refused.value.message
    assert db.session.scalar(select(Campaign.id)) is None


def test_a_hashtag_names_one_campaign_that_is_not_closed(make_campaign, clock, staff):
    first = make_campaign()
    for spelling in ("#5G아이디어", "5g아이디어", "#5G아이디어 "):
        with pytest.raises(ValidationFailed, match="Another campaign") as refused:
            make_campaign(hashtag=spelling, title="Another drive")
        assert refused.value.field == "hashtag"
        db.session.rollback()
    # Decomposed Hangul (NFD) is the same hashtag once normalised.
    with pytest.raises(ValidationFailed, match="Another campaign"):
        make_campaign(hashtag=unicodedata.normalize("NFD", "#5g아이디어"), title="Another drive")
    db.session.rollback()
    services.close_now(first, staff)
    db.session.commit()
    second = make_campaign(title="5G ideas, round two")
    assert second.hashtag_key == first.hashtag_key
    assert second.slug == "5g-ideas-round-two"


def test_only_staff_create_edit_or_close(make_campaign, make_user):
    customer = make_user()
    with pytest.raises(PermissionDenied):
        services.create_campaign(customer, title="Mine", hashtag="#mine", closes_at=DEADLINE)
    campaign = make_campaign()
    with pytest.raises(PermissionDenied):
        services.close_now(campaign, customer)


def test_close_now_moves_the_deadline_to_now_once(make_campaign, staff, clock):
    campaign = make_campaign()
    clock.advance(hours=2)
    services.close_now(campaign, staff)
    db.session.commit()
    assert campaign.closes_at == NOW + timedelta(hours=2)
    assert campaign.state is CampaignState.CLOSED
    with pytest.raises(Conflict, match="closed already"):
        services.close_now(campaign, staff)


def test_a_closed_campaign_reopens_with_a_new_deadline_in_the_future(make_campaign, staff, clock):
    campaign = make_campaign()
    clock.set(DEADLINE + timedelta(days=1))
    values = {
        "title": campaign.title,
        "description": campaign.description,
        "hashtag": campaign.hashtag,
        "category_slug": None,
    }
    with pytest.raises(ValidationFailed, match="in the future"):
        services.update_campaign(campaign, staff, **values, closes_at=DEADLINE + timedelta(hours=1))
    db.session.rollback()
    campaign.close_announced_at = DEADLINE
    services.update_campaign(campaign, staff, **values, closes_at=DEADLINE + timedelta(days=3))
    db.session.commit()
    assert campaign.state is CampaignState.OPEN
    assert campaign.opens_at == NOW  # it keeps its opening
    assert campaign.close_announced_at is None  # the new deadline gets its own closing post


def test_an_idea_submitted_to_a_campaign_takes_its_category(make_campaign, make_user, category):
    campaign = make_campaign()
    idea = ideas.submit_idea(make_user(), "5G 지하철 속도 개선", "", campaign=campaign)
    db.session.commit()
    assert idea.campaign == campaign
    assert idea.category == category


def test_ideas_are_refused_after_the_deadline(make_campaign, make_user, clock):
    campaign = make_campaign()
    author = make_user()
    clock.set(DEADLINE)
    with pytest.raises(services.CampaignClosed, match="closed on") as refused:
        ideas.submit_idea(author, "A late 5G idea", "", campaign=campaign)
    assert refused.value.status == 409
    assert refused.value.code == "campaign_closed"
    db.session.rollback()
    assert db.session.scalar(select(Idea.id)) is None
    with pytest.raises(services.CampaignClosed):
        services.find_for_submission(campaign.slug)


def test_votes_are_refused_after_the_deadline_and_counted_before(make_campaign, make_user, clock):
    campaign = make_campaign()
    idea = ideas.submit_idea(make_user(), "5G 지하철 속도 개선", "", campaign=campaign)
    db.session.commit()
    voter, late = make_user(), make_user()
    ideas.vote_on(voter, idea.id, 1)
    db.session.commit()
    clock.set(DEADLINE)
    for attempt in (
        lambda: ideas.vote_on(late, idea.id, 1),
        lambda: ideas.vote_on(voter, idea.id, 0),  # nor taken back
        lambda: ideas.cast_vote(late, idea, 1, imported=True),
    ):
        with pytest.raises(VotingClosed, match="campaign closed on"):
            attempt()
        db.session.rollback()
    db.session.expire_all()
    assert idea.score == 1
    assert not idea.voting_open
    assert idea.campaign_closed
    assert db.session.scalar(select(Vote.user_id).where(Vote.idea_id == idea.id)) == voter.id


def test_ideas_without_a_campaign_keep_voting(make_campaign, make_user, make_idea, clock):
    make_campaign()
    plain = make_idea()
    clock.set(DEADLINE + timedelta(days=1))
    assert ideas.vote_on(make_user(), plain.id, 1).score == 1


def test_staff_may_see_and_the_role_is_checked_exactly(make_campaign, make_user):
    campaign = make_campaign(opens_at=NOW + timedelta(hours=1))
    assert services.get_campaign(campaign.slug, make_user(Role.STAFF)) == campaign
    assert services.get_campaign(campaign.slug, make_user(Role.ADMIN)) == campaign
