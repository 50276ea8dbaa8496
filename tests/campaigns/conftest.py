"""Fixtures of the campaign tests: a staff member, a campaign builder, a brand account."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from ideaboard.accounts.models import Role, User
from ideaboard.campaigns import services
from ideaboard.campaigns.models import Campaign
from ideaboard.extensions import db
from ideaboard.ideas.models import Category
from ideaboard.social.models import SocialAccount
from tests.campaigns.helpers import DEADLINE, NOW
from tests.helpers import Clock


@pytest.fixture
def now(clock: Clock) -> datetime:
    """Stop the clock at NOW."""
    return clock.set(NOW)


@pytest.fixture
def staff(make_user: Callable[..., User]) -> User:
    return make_user(Role.STAFF, name="Kim Staff", initials="KS")


@pytest.fixture
def category(app: Any) -> Category:
    """The first seeded category."""
    found = db.session.scalars(select(Category).order_by(Category.position, Category.id)).first()
    assert found is not None
    return found


@pytest.fixture
def make_campaign(now: datetime, staff: User, category: Category) -> Callable[..., Campaign]:
    """Create and commit a campaign through the service (open now, deadline in 7 days)."""

    def make(**values: Any) -> Campaign:
        values = {
            "title": "5G 아이디어 모음",
            "description": "**5G** 서비스에 바라는 점을 알려 주세요.",
            "hashtag": "#5G아이디어",
            "category_slug": category.slug,
            "closes_at": DEADLINE,
            **values,
        }
        campaign = services.create_campaign(staff, **values)
        db.session.commit()
        return campaign

    return make


@pytest.fixture
def headers_for(make_user: Callable[..., User]) -> Callable[[str], dict[str, str]]:
    """Bearer-token headers for a new user of the role."""
    from ideaboard.api import services as api_services

    def make(role: str) -> dict[str, str]:
        _token, secret = api_services.issue_token(make_user(role), "test")
        db.session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return make


@pytest.fixture
def account(app: Any) -> SocialAccount:
    """An active X brand account with the default idea tags."""
    row = SocialAccount(
        network="x",
        remote_user_id="1000",
        username="hanbit",
        display_name="Hanbit Telecom",
        tags="idea,아이디어",
        signature="IB",
    )
    db.session.add(row)
    db.session.commit()
    return row
