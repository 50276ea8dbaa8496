"""Claim your posts in Chromium, in Korean: a customer asks for a code for their X handle,
sees it (and the exact post) once, posts it from that handle on the sandbox X, and after one
import the handle is linked and the idea they posted there is theirs, with one vote per person."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from ideaboard.accounts.models import User
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea, Vote
from sandboxes.x import SandboxStore, post_mention
from tests.browser.helpers import FAIL_ON, LiveServer, axe_violations, enhanced
from tests.helpers import UserBuilder

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

IDEA = "@hanbit 지하철 역에서도 데이터 이월이 되면 좋겠어요 #아이디어"
REPLIES = (("minsu_k", "@hanbit 저도 찬성! #아이디어"), ("jiwoo_p", "@hanbit 좋아요 #아이디어"))
TITLE_PART = "지하철 역에서도 데이터 이월이 되면 좋겠어요"
CODE = re.compile(r"IB-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}")


def _import(live_server: LiveServer) -> str:
    """One run of the app's import job (as `flask ideaboard import-mentions` runs it)."""
    db.session.rollback()  # no stale read transaction in the way of the job's writes
    result = live_server.app.test_cli_runner().invoke(args=["ideaboard", "import-mentions"])
    assert result.exit_code == 0, result.output
    db.session.rollback()  # and read what it wrote afresh
    return str(result.output)


def _no_serious(page: Any, axe_source: str) -> None:
    violations = axe_violations(page, axe_source)
    assert [v for v in violations if v["impact"] in FAIL_ON] == []


def test_customer_claims_an_x_handle_and_its_idea_and_vote_become_theirs(
    page: Any,
    live_server: LiveServer,
    axe_source: str,
    make_user: UserBuilder,
    log_in: Callable[[User], None],
) -> None:
    store = SandboxStore(str(live_server.app.config["IDEABOARD_X_SANDBOX_DB"]))
    # Before the customer links anything: @minsu_k posted an idea on X, which was imported
    # (the import also connects the sandbox brand account @hanbit), then replied to it, and
    # @jiwoo_p replied too: two imported votes.
    posted = post_mention(store, username="minsu_k", name="김민수", text=IDEA)
    assert "imported 1" in _import(live_server)
    idea = db.session.scalars(select(Idea).where(Idea.title.contains(TITLE_PART))).one()
    idea_id, shadow_id = idea.id, idea.author_id
    for handle, text in REPLIES:
        post_mention(store, username=handle, text=text, in_reply_to_tweet_id=posted["id"])
    assert "counted as votes 2" in _import(live_server)
    assert db.session.get(Idea, idea_id).up_count == 2

    customer = make_user(name="김민수", email="minsu@example.com", locale="ko")
    customer_id = customer.id
    log_in(customer)

    # On the site the customer votes for the idea too (not knowing they did on X).
    page.goto(f"/ideas/{idea_id}")
    enhanced(page)
    page.locator("main form[data-vote-form] button.vote-up").first.click()
    expect(page.locator("main form[data-vote-form] button.vote-up").first).to_have_attribute(
        "aria-pressed", "true"
    )
    db.session.rollback()
    assert db.session.get(Idea, idea_id).up_count == 3

    # The profile's social section, in Korean: ask for a code for @minsu_k on X.
    page.goto("/me")
    section = page.locator("#social-accounts")
    expect(section.get_by_role("heading", name="내 소셜 계정")).to_be_visible()
    section.get_by_label("네트워크").select_option(label="X")
    section.get_by_label("내 핸들").fill("@minsu_k")
    section.get_by_role("button", name="코드 받기").click()

    notice = page.locator("#new-claim")
    expect(notice).to_be_visible()
    expect(notice).to_be_focused()  # the one-time code is where keyboard and reader land
    expect(notice).to_contain_text("다시 보여 드리지 않습니다")
    code = page.locator("#new-claim-code").inner_text().strip()
    assert CODE.fullmatch(code), code
    text = page.locator("#new-claim-text").inner_text().strip()
    assert text == f"@hanbit claim {code}"
    expect(notice).to_contain_text("@minsu_k")
    _no_serious(page, axe_source)

    # Reloaded: the code is waiting for its post, issued and expiring, but never shown again.
    page.goto("/me")
    waiting = page.locator("#claim-codes")
    expect(waiting).to_contain_text("@minsu_k")
    expect(waiting).to_contain_text("코드 발급")
    expect(waiting).to_contain_text("만료")
    expect(page.locator("#new-claim")).to_have_count(0)
    assert code not in page.content()

    # The customer posts the text from @minsu_k; one import links the handle.
    post_mention(store, username="minsu_k", text=text)
    _import(live_server)

    page.goto("/me")
    linked = page.locator("#linked-identities")
    expect(linked).to_contain_text("X: @minsu_k")
    expect(linked.get_by_role("button", name="연결 해제 — X: @minsu_k")).to_be_visible()
    expect(page.locator("#claim-codes")).to_have_count(0)  # the code is used up
    expect(page.locator("main nav.tabs")).to_contain_text("내 아이디어 (1)")
    mine = page.locator("main ul.simple-list").first
    expect(mine.get_by_role("link", name=re.compile(TITLE_PART))).to_be_visible()
    _no_serious(page, axe_source)

    # The idea page: the customer's own idea now, with two votes, not three.
    mine.get_by_role("link", name=re.compile(TITLE_PART)).click()
    expect(page.locator("main h1")).to_contain_text(TITLE_PART)
    score = page.locator("main form[data-vote-form] [data-score-value]").first
    expect(score).to_have_text("2")
    expect(page.locator("main form[data-vote-form] button.vote-up").first).to_have_attribute(
        "aria-pressed", "true"
    )

    db.session.rollback()
    idea = db.session.get(Idea, idea_id)
    assert idea.author_id == customer_id
    assert (idea.up_count, idea.down_count, idea.score) == (2, 0, 2)
    voters = db.session.scalars(select(Vote.user_id).where(Vote.idea_id == idea_id)).all()
    assert sorted(voters).count(customer_id) == 1
    assert len(voters) == 2
    assert db.session.get(User, shadow_id) is None  # the shadow user, emptied, is gone
