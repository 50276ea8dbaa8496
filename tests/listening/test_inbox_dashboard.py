"""The staff dashboard's first-response figures for the listening inbox's mentions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask

from ideaboard.accounts.models import User
from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.moderation.dashboard import listening_first_responses
from ideaboard.social.models import MentionLog, SocialAccount
from tests.helpers import login

TARGET = timedelta(hours=24)


def test_listening_first_responses_per_account_and_in_all(app: Flask) -> None:
    now = utcnow()
    x = SocialAccount(network="x", remote_user_id="1", username="hanbit")
    sky = SocialAccount(network="bluesky", remote_user_id="did:b", username="hanbit.bsky.social")
    db.session.add_all([x, sky])
    db.session.flush()
    numbers = iter(range(1, 100))

    def mention(acct: SocialAccount, posted_h: float, answered_h: float | None = None,
                state: str | None = "open", fetched_h: float | None = None) -> None:  # fmt: skip
        posted = now - timedelta(hours=posted_h)
        db.session.add(
            MentionLog(
                account_id=acct.id,
                post_id=str(next(numbers)),
                outcome="skipped",
                posted_at=posted,
                fetched_at=now - timedelta(hours=fetched_h) if fetched_h else posted,
                first_response_at=now - timedelta(hours=answered_h) if answered_h else None,
                inbox_state=state,
            )
        )

    mention(x, 10, 8, "replied")  # answered in 2 hours
    mention(x, 30, 1, "replied")  # answered in 29 hours: late
    mention(x, 30)  # still open past the target: late
    mention(x, 2)  # open, not late yet: not decided
    mention(x, 30, state="dismissed")  # needed no answer
    mention(x, 30, state="converted")  # an idea made without an acknowledgement
    mention(x, 24 * 100, 24 * 99, "replied")  # outside the 90-day window
    mention(x, 5, 4, None)  # never in the inbox (an imported idea)
    mention(sky, 5, 4, "converted")  # the acknowledgement answered it in 1 hour
    db.session.commit()

    figures = listening_first_responses(now, TARGET)
    total = figures.total
    assert total.times.count == 3
    assert total.times.median == timedelta(hours=2)
    assert (total.within_target, total.decided) == (2, 4)
    assert total.share_within_target == 0.5
    on_x, on_sky = figures.by_account
    assert on_x.label == "@hanbit (X)"
    assert (on_x.times.count, on_x.within_target, on_x.decided) == (2, 1, 3)
    assert on_sky.label == "@hanbit.bsky.social (Bluesky)"
    assert (on_sky.times.median, on_sky.within_target, on_sky.decided) == (
        timedelta(hours=1), 1, 1,
    )  # fmt: skip


def test_the_dashboard_shows_the_listening_figures(
    app: Flask, make_user: Callable[..., User]
) -> None:
    now = utcnow()
    acct = SocialAccount(network="x", remote_user_id="1", username="hanbit")
    db.session.add(acct)
    db.session.flush()
    row: dict[str, Any] = {"account_id": acct.id, "outcome": "skipped", "inbox_state": "replied"}
    db.session.add(MentionLog(post_id="1", posted_at=now - timedelta(hours=3),
                              fetched_at=now - timedelta(hours=3),
                              first_response_at=now - timedelta(hours=1), **row))  # fmt: skip
    db.session.commit()
    client = app.test_client()
    login(client, make_user("staff"))
    page = client.get("/staff/dashboard").get_data(as_text=True)
    section = page[page.index('id="dash-listening"') :]
    section = section[: section.index("</section>")]
    assert "All accounts" in section
    assert "@hanbit (X)" in section
    assert "2 hours" in section
    assert "100%" in section
