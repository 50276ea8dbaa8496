"""X's real costs (issue 15, item 6): posts, posts with a URL and reads, counted by the cap.

docs.x.com pay-per-use (2026): a post $0.015, a post with a URL $0.20, a post read $0.005.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from ideaboard.accounts.models import Role
from ideaboard.config import load_settings
from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.outbox.delivery import deliver_due
from ideaboard.outbox.models import OutboxMessage
from ideaboard.outbox.rules import estimated_cost, spend_this_month
from ideaboard.social import jobs
from ideaboard.social.models import ReadUsage, SocialAccount
from ideaboard.social.usage import spend_by_kind
from ideaboard.triage.services import change_stage, find_stage
from sandboxes.x import SandboxStore, post_mention
from tests.helpers import Clock, login

ImportPosts = Callable[..., tuple[list[dict[str, Any]], list[Idea]]]


@pytest.mark.parametrize(
    ("kind", "text", "cost"),
    [
        ("x_reply", "[Planned] Your idea is on our plan. Q1. ^KG", 0.015),
        ("x_reply", "[Planned] Details: https://ideas.example.com/ideas/1 ^KG", 0.20),
        ("x_reply", "[Planned] Details on example.com ^KG", 0.20),  # X links bare domains
        ("x_post", "A customer idea is live: eSIM in the app.", 0.015),
        ("x_post", "A customer idea is live: https://ideas.example.com/ideas/1", 0.20),
        ("email", "https://ideas.example.com/ideas/1", 0.0),  # not an X post
    ],
)
def test_estimated_cost_per_kind(app: Any, kind: str, text: str, cost: float) -> None:
    assert estimated_cost(OutboxMessage(kind=kind, text=text)) == pytest.approx(cost)


def test_prices_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, app_factory: Callable[..., Any]
) -> None:
    monkeypatch.setenv("IDEABOARD_X_COST_POST", "0.02")
    monkeypatch.setenv("IDEABOARD_X_COST_POST_WITH_URL", "0.25")
    monkeypatch.setenv("IDEABOARD_X_COST_READ", "0.001")
    settings = load_settings(str(tmp_path))
    assert settings["IDEABOARD_X_COST_POST"] == 0.02
    assert settings["IDEABOARD_X_COST_POST_WITH_URL"] == 0.25
    assert settings["IDEABOARD_X_COST_READ"] == 0.001
    monkeypatch.delenv("IDEABOARD_X_COST_POST")
    monkeypatch.delenv("IDEABOARD_X_COST_POST_WITH_URL")
    monkeypatch.delenv("IDEABOARD_X_COST_READ")
    app = app_factory()
    assert app.config["IDEABOARD_X_COST_POST"] == 0.015
    assert app.config["IDEABOARD_X_COST_POST_WITH_URL"] == 0.20
    assert app.config["IDEABOARD_X_COST_READ"] == 0.005


def test_every_mention_fetched_is_recorded_as_a_read(
    brand_account: SocialAccount, x_connector: Any, sandbox_store: SandboxStore, clock: Clock
) -> None:
    for n in range(3):
        post_mention(sandbox_store, username=f"fan{n}", text=f"@hanbit #아이디어 q{n:04d}a 요금제")
    post_mention(sandbox_store, username="fan9", text="@hanbit 문의드립니다")  # read, not an idea
    first = jobs.run_import(brand_account, x_connector, owner="test")
    clock.advance(minutes=1)
    again = jobs.run_import(brand_account, x_connector, owner="test")  # the overlap re-reads

    assert first is not None
    assert again is not None
    assert first.fetched == 4
    usage = list(db.session.scalars(select(ReadUsage).order_by(ReadUsage.id)))
    assert [u.posts for u in usage] == [n for n in (first.fetched, again.fetched) if n]
    assert usage[0].cost_usd == pytest.approx(4 * 0.005)
    assert spend_this_month(brand_account.id, clock.now()) == pytest.approx(
        (first.fetched + again.fetched) * 0.005
    )


def test_the_monthly_cap_counts_reads(
    brand_account: SocialAccount, import_posts: ImportPosts
) -> None:
    # One acknowledgement with its link (0.20) fits in 0.21 — but not after three reads (0.015).
    brand_account.monthly_cap_usd = 0.21
    db.session.commit()
    import_posts(*((f"fan{n}", f"@hanbit #아이디어 q{n:04d}a 요금제") for n in range(3)))

    result = deliver_due(worker="test")

    assert (result.sent, result.deferred) == (0, 1)
    states = set(db.session.scalars(select(OutboxMessage.state)))
    assert states == {"parked", "pending"}  # the account was left alone after the first
    parked = db.session.scalar(select(OutboxMessage).where(OutboxMessage.state == "parked"))
    assert parked is not None
    assert parked.last_error.startswith("monthly cap of $0.21 reached")


def test_accounts_page_shows_this_months_spend_by_kind(
    client: FlaskClient,
    brand_account: SocialAccount,
    import_posts: ImportPosts,
    make_user: Callable[..., Any],
) -> None:
    _posts, ideas = import_posts(
        ("minji", "@hanbit #아이디어 q0001a 데이터 이월 서비스"),
        ("jisoo", "@hanbit #idea q0002a Weekly data usage digest"),
    )
    staff = make_user(Role.STAFF, initials="KG")
    change_stage(
        ideas[0], find_stage("planned"), "2분기에 출시합니다.", staff, check_workflow=False
    )
    db.session.commit()
    assert deliver_due(worker="test").sent == 3  # two acknowledgements with the link, one reply

    spend = spend_by_kind(brand_account.id, utcnow())
    assert (spend.reads.count, spend.plain.count, spend.with_url.count) == (2, 1, 2)
    assert spend.total == pytest.approx(2 * 0.005 + 0.015 + 2 * 0.20)

    login(client, staff)
    page = client.get("/staff/accounts").get_data(as_text=True)
    cells = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)
    ]
    assert "Posts read (mentions fetched) 2 $0.010" in cells
    assert "Replies and posts without a link 1 $0.015" in cells
    assert "Replies and posts with a link 2 $0.400" in cells
    assert f"<dd>${spend.total:.2f}</dd>" in page  # the total this month (0.425)


def test_reply_templates_page_previews_the_thread(
    client: FlaskClient, make_user: Callable[..., Any]
) -> None:
    login(client, make_user(Role.STAFF))
    page = client.get("/staff/reply-templates/").get_data(as_text=True)
    assert "Preview: 2 post(s)" in page
    assert "@minji " in page  # the continuations, in both languages
    assert "@jisoo " in page
    assert re.search(r"\((2[0-7][0-9]|280) of 280\)", page)
