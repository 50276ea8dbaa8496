"""The brand account the social tests run as, and the settings that aim IdeaBoard at the sandbox."""

from __future__ import annotations

from typing import Any

BRAND_ID = "1500000000000000001"
BRAND_USERNAME = "hanbit"
PUBLIC_URL = "https://ideas.hanbit.co.kr"


def x_settings(sandbox_url: str) -> dict[str, Any]:
    """Return the app settings that aim the X connector at the sandbox with dummy credentials."""
    return {
        "IDEABOARD_X_API_URL": sandbox_url,
        "IDEABOARD_X_SANDBOX": False,
        "IDEABOARD_X_BEARER_TOKEN": None,
        "IDEABOARD_X_CONSUMER_KEY": "test-consumer-key",
        "IDEABOARD_X_CONSUMER_SECRET": "test-consumer-secret",
        "IDEABOARD_X_ACCESS_TOKEN": "test-access-token",
        "IDEABOARD_X_ACCESS_TOKEN_SECRET": "test-access-token-secret",
        "IDEABOARD_X_USER_ID": BRAND_ID,
        "IDEABOARD_X_USERNAME": BRAND_USERNAME,
        "IDEABOARD_PUBLIC_URL": PUBLIC_URL,
        "IDEABOARD_X_TIMEOUT_SECONDS": 5.0,
    }


def add_brand_account() -> Any:
    """Connect the brand account @hanbit on X (publish at once, acknowledge, default tags)."""
    from ideaboard.extensions import db
    from ideaboard.social.models import SocialAccount

    account = SocialAccount(
        network="x",
        remote_user_id=BRAND_ID,
        username=BRAND_USERNAME,
        display_name="Hanbit Telecom",
        tags="idea,아이디어",
        signature="IB",
    )
    db.session.add(account)
    db.session.commit()
    return account
