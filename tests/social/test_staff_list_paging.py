"""The outbox, its bounced addresses and the mention log are paged (ideaboard/paging.py)."""

from __future__ import annotations

import re
from html import unescape

import pytest

from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.outbox.models import OutboxKind, OutboxMessage, OutboxState
from ideaboard.social import views as social_views
from ideaboard.social.models import MentionLog, SocialAccount
from tests.helpers import login


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(social_views, "PAGE", 2)


def _row(n: int, state: OutboxState) -> OutboxMessage:
    now = utcnow()
    return OutboxMessage(
        kind=OutboxKind.X_REPLY.value,
        state=state.value,
        dedupe_key=f"x_reply:paging:{n}",
        target=str(1861000000000000000 + n),
        text=f"Reply number {n}",
        attempts=0,
        max_attempts=8,
        created_at=now,
        next_attempt_at=now,
    )


def _next_link(page: str, label: str) -> str:
    nav = re.search(rf'<nav class="pager" aria-label="{label}">(.*?)</nav>', page, re.S)
    assert nav is not None, f"no pager called {label}"
    return unescape(re.search(r'<a rel="next" href="([^"]+)"', nav.group(1)).group(1))


def test_the_outbox_is_paged_newest_first_keeping_its_filters(client, make_user, small_pages):
    for n in range(5):
        db.session.add(_row(n, OutboxState.DEAD if n % 2 == 0 else OutboxState.SENT))
    db.session.commit()
    login(client, make_user("staff"))
    first = client.get("/staff/outbox").get_data(as_text=True)
    assert "Reply number 4" in first
    assert "Reply number 3" in first
    assert "Reply number 2" not in first
    assert "Page 1 of 3" in first
    dead = client.get("/staff/outbox?state=dead&kind=x_reply").get_data(as_text=True)
    assert "Page 1 of 2" in dead
    following = _next_link(dead, "Pages of the outbox")
    assert "state=dead" in following
    assert "kind=x_reply" in following
    second = client.get(following).get_data(as_text=True)
    assert "Reply number 0" in second
    assert "Reply number 4" not in second
    assert "Page 2 of 2" in second


@pytest.mark.parametrize(
    ("raw", "shown"), [("0", 1), ("-1", 1), ("x", 1), ("9" * 40, 1), ("99", 3)]
)
def test_outbox_page_numbers_are_bounded(client, make_user, small_pages, raw, shown):
    for n in range(5):
        db.session.add(_row(n, OutboxState.SENT))
    db.session.commit()
    login(client, make_user("staff"))
    response = client.get(f"/staff/outbox?page={raw}")
    assert response.status_code == 200
    assert f"Page {shown} of 3" in response.get_data(as_text=True)


def test_bounced_addresses_have_their_own_pages(client, make_user, small_pages):
    for n in range(3):
        gone = make_user(name=f"Bounced person {n}")
        gone.email_undeliverable_at = utcnow()
        gone.email_undeliverable_reason = "550 no such user"
    db.session.add(_row(1, OutboxState.SENT))
    db.session.commit()
    login(client, make_user("staff"))
    page = client.get("/staff/outbox?page=1").get_data(as_text=True)
    assert page.count("Bounced person") == 2
    following = _next_link(page, "Pages of undeliverable addresses")
    assert "bounced=2" in following
    assert following.endswith("#undeliverable-heading")
    assert client.get(following).get_data(as_text=True).count("Bounced person") == 1


def test_the_mention_log_is_paged(client, make_user, small_pages):
    account = SocialAccount(network="x", remote_user_id="1500", username="hanbit")
    db.session.add(account)
    db.session.flush()
    for n in range(5):
        db.session.add(
            MentionLog(
                account_id=account.id,
                post_id=str(n),
                author_handle="minji",
                text=f"Mention number {n}",
                outcome="skipped",
            )
        )
    db.session.commit()
    login(client, make_user("staff"))
    first = client.get("/staff/accounts").get_data(as_text=True)
    assert "Mention number 4" in first
    assert "Mention number 2" not in first
    following = _next_link(first, "Pages of mentions")
    assert "mentions=2" in following
    assert following.endswith("#mention-log")
    second = client.get(following).get_data(as_text=True)
    assert "Mention number 2" in second
    assert "Mention number 4" not in second
    last = client.get("/staff/accounts?mentions=-5").get_data(as_text=True)
    assert "Mention number 4" in last  # a bad number is the first page


def test_the_outbox_lists_the_held_replies_of_the_oldest_stage_changes(
    client, make_user, make_idea, monkeypatch
):
    from ideaboard.social import echo
    from ideaboard.triage import services

    staff = make_user("staff")
    changes = []
    for n in range(3):
        idea = make_idea()
        changes.append(
            services.change_stage(idea, services.find_stage("under-review"), f"Note {n}", staff)
        )
    for n, change in enumerate(changes):
        for m in range(2):
            row = _row(10 * n + m, OutboxState.HELD)
            row.status_change_id = change.id
            db.session.add(row)
    db.session.commit()
    assert echo.held_changes_count() == 3
    shown = echo.held_echoes(limit=2)
    assert [held.change.id for held in shown] == [changes[0].id, changes[1].id]
    assert [held.count for held in shown] == [2, 2]
    assert len(echo.held_echoes()) == 3
    monkeypatch.setattr(social_views, "HELD_SHOWN", 1)
    login(client, staff)
    page = client.get("/staff/outbox").get_data(as_text=True)
    assert page.count('id="held-echo-') == 1
    assert "The oldest 1 of 3 stage changes with held replies are shown" in page
