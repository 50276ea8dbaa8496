"""Claim your posts (social/claims.py): a customer links a social handle by posting a code.

The importer is driven with Mention objects (process_mention) and once end to end through
the sandbox X API; the profile's forms through the test client.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from ideaboard.accounts.models import User
from ideaboard.errors import Conflict, ValidationFailed
from ideaboard.extensions import db
from ideaboard.ideas import services as idea_services
from ideaboard.ideas.models import Follow, Idea, Vote
from ideaboard.ideas.ranking import hot_rank
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social import claims, importer
from ideaboard.social.connectors import Mention
from ideaboard.social.models import (
    ClaimCode,
    MentionLog,
    MentionOutcome,
    SocialAccount,
    SocialIdentity,
)
from tests.helpers import login, post

NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
_posts = count(1)


@pytest.fixture
def brand(app: Flask) -> SocialAccount:
    """The brand account @hanbit on X (and one on Bluesky and Mastodon)."""
    x = SocialAccount(network="x", remote_user_id="900", username="hanbit")
    db.session.add_all(
        [
            x,
            SocialAccount(network="bluesky", remote_user_id="did:plc:brand", username="hanbit.kr"),
            SocialAccount(
                network="mastodon", remote_user_id="1", username="hanbit@mastodon.example"
            ),
        ]
    )
    db.session.commit()
    return x


def mention(
    text: str,
    *,
    author_id: str = "111",
    handle: str = "minsu",
    name: str = "김민수",
    network: str = "x",
    replied_to: str | None = None,
) -> Mention:
    return Mention(
        id=f"{network}-post-{next(_posts)}",
        text=text,
        author_id=author_id,
        author_handle=handle,
        author_name=name,
        created_at=NOW,
        lang="ko",
        hashtags=[w[1:] for w in text.split() if w.startswith("#")],
        replied_to=replied_to,
        network=network,
    )


def process(account: SocialAccount, item: Mention, now: datetime = NOW) -> MentionLog:
    importer.process_mention(account, item, now)
    db.session.commit()
    log = db.session.scalar(select(MentionLog).where(MentionLog.post_id == item.id))
    assert log is not None
    return log


def shadow_of(network: str, remote_id: str) -> User:
    identity = db.session.scalar(
        select(SocialIdentity).where(
            SocialIdentity.network == network, SocialIdentity.remote_user_id == remote_id
        )
    )
    assert identity is not None
    return db.session.get_one(User, identity.user_id)


def counts_match_rows(idea_id: int) -> tuple[int, int, int]:
    """Assert the idea's stored counts and rank equal its vote rows; return (up, down, score)."""
    db.session.expire_all()
    idea = db.session.get_one(Idea, idea_id)
    up = db.session.scalar(select(func.count()).where(Vote.idea_id == idea_id, Vote.value == 1))
    down = db.session.scalar(select(func.count()).where(Vote.idea_id == idea_id, Vote.value == -1))
    assert (idea.up_count, idea.down_count, idea.score) == (up, down, up - down)
    assert idea.hot == hot_rank(idea.score, idea.created_at)
    followers = db.session.scalar(select(func.count()).where(Follow.idea_id == idea_id))
    assert idea.follower_count == followers
    return idea.up_count, idea.down_count, idea.score


# --- codes ---------------------------------------------------------------------------------------


def test_issue_code_stores_only_its_hash_and_the_text_to_post(brand, make_user) -> None:
    customer = make_user()
    issued = claims.issue_code(customer, "x", "@Minsu", NOW)
    db.session.commit()
    assert re.fullmatch(r"IB-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}", issued.code)
    assert issued.text_to_post == f"@hanbit claim {issued.code}"
    row = db.session.get_one(ClaimCode, issued.row.id)
    assert row.code_hash == hashlib.sha256(issued.code.encode()).hexdigest()
    stored = [str(v) for v in vars(row).values()]
    assert not any(issued.code in value for value in stored)
    assert (row.handle, row.handle_folded) == ("Minsu", "minsu")
    assert row.expires_at == NOW + timedelta(hours=24)


@pytest.mark.parametrize(
    ("network", "handle", "stored"),
    [
        ("x", "@hanbit_fan", "hanbit_fan"),
        ("x", "＠minsu", "minsu"),  # a full-width @ from a Korean keyboard
        ("bluesky", "Minsu.bsky.social", "minsu.bsky.social"),
        ("bluesky", "민수.한국", "xn--lg3bu5i.xn--3e0b707e"),
        ("mastodon", "@minsu@mastodon.social", "minsu@mastodon.social"),
    ],
)
def test_handles_are_checked_per_network(network: str, handle: str, stored: str) -> None:
    assert claims.clean_handle(network, handle) == stored


@pytest.mark.parametrize(
    ("network", "handle"),
    [
        ("x", ""),
        ("x", "minsu.kim"),
        ("x", "a" * 16),
        ("x", "김민수"),
        ("bluesky", "minsu"),
        ("bluesky", "minsu..bsky.social"),
        ("mastodon", "minsu"),
        ("mastodon", "minsu@"),
        ("mastodon", "min su@mastodon.social"),
        ("facebook", "minsu"),
        ("x", "a" * 300),
    ],
)
def test_bad_handles_are_refused(network: str, handle: str) -> None:
    with pytest.raises(ValidationFailed):
        claims.clean_handle(network, handle)


def test_codes_are_found_in_posts_however_they_are_typed() -> None:
    assert claims.codes_in("@hanbit claim IB-7K3Q-9ZP2") == ["IB-7K3Q-9ZP2"]
    assert claims.codes_in("@hanbit claim ib-7k3q-9zp2 감사합니다") == ["IB-7K3Q-9ZP2"]
    assert claims.codes_in("＠hanbit claim ＩＢ－７Ｋ３Ｑ－９ＺＰ２") == ["IB-7K3Q-9ZP2"]
    assert claims.codes_in("see XIB-7K3Q-9ZP2 or IB-7K3Q-9ZP23") == []


def test_a_new_code_revokes_the_old_one_and_open_codes_are_few(brand, make_user) -> None:
    customer = make_user()
    first = claims.issue_code(customer, "x", "minsu", NOW)
    second = claims.issue_code(customer, "x", "MINSU", NOW)
    db.session.commit()
    assert db.session.get_one(ClaimCode, first.row.id).revoked_at is not None
    assert [c.id for c in claims.open_codes(customer, NOW)] == [second.row.id]
    claims.issue_code(customer, "x", "other1", NOW)
    claims.issue_code(customer, "bluesky", "minsu.bsky.social", NOW)
    with pytest.raises(Conflict):
        claims.issue_code(customer, "x", "other2", NOW)


def test_blocked_and_shadow_users_get_no_code(brand, make_user) -> None:
    from ideaboard.errors import DomainError

    blocked = make_user()
    blocked.blocked_at = NOW
    db.session.commit()
    with pytest.raises(DomainError):
        claims.issue_code(blocked, "x", "minsu", NOW)
    process(brand, mention("@hanbit #idea 요금제 데이터 이월 기능을 만들어 주세요"))
    with pytest.raises(ValidationFailed):
        claims.issue_code(shadow_of("x", "111"), "x", "minsu", NOW)
    assert db.session.scalar(select(func.count()).select_from(ClaimCode)) == 0


# --- the importer --------------------------------------------------------------------------------


def test_a_valid_code_links_the_identity_and_moves_ideas_and_votes(
    brand, make_user, make_idea
) -> None:
    customer = make_user()
    # Minsu's posts came in before: one idea, and votes as their shadow user.
    tagged = process(brand, mention("@hanbit #idea 요금제 데이터 이월 기능을 만들어 주세요"))
    assert tagged.outcome == MentionOutcome.IMPORTED.value
    shadow = shadow_of("x", "111")
    idea_a, idea_b, idea_c = make_idea(), make_idea(), make_idea()
    for voter, idea in ((customer, idea_a), (customer, idea_c)):
        idea_services.cast_vote(voter, idea, 1)
    for idea in (idea_a, idea_b):
        idea_services.cast_vote(shadow, idea, 1, imported=True)
    db.session.add(Follow(user_id=shadow.id, idea_id=idea_b.id))
    db.session.flush()
    idea_services.unfollow_idea(customer, idea_c)  # so idea C has no follows at all
    db.session.commit()
    shadow_id, imported_id = shadow.id, tagged.idea_id

    issued = claims.issue_code(customer, "x", "minsu", NOW)
    db.session.commit()
    log = process(brand, mention(f"@hanbit claim {issued.code}", handle="MinSu"))

    assert log.outcome == MentionOutcome.SKIPPED.value
    assert log.reason == "claim code: linked @MinSu"
    assert log.inbox_state is None
    assert log.idea_id is None
    identity = db.session.scalar(
        select(SocialIdentity).where(SocialIdentity.remote_user_id == "111")
    )
    assert identity is not None
    assert identity.user_id == customer.id
    assert identity.is_linked
    assert db.session.get(User, shadow_id) is None  # merged away
    assert db.session.get_one(Idea, imported_id).author_id == customer.id
    assert counts_match_rows(idea_a.id) == (1, 0, 1)
    assert counts_match_rows(idea_b.id) == (1, 0, 1)
    assert counts_match_rows(idea_c.id) == (1, 0, 1)
    votes = db.session.execute(select(Vote.idea_id, Vote.user_id).order_by(Vote.idea_id)).all()
    assert sorted(votes) == sorted(
        [(idea_a.id, customer.id), (idea_b.id, customer.id), (idea_c.id, customer.id)]
    )
    followers_b = set(db.session.scalars(select(Follow.user_id).where(Follow.idea_id == idea_b.id)))
    assert customer.id in followers_b
    assert shadow_id not in followers_b
    code = db.session.get_one(ClaimCode, issued.row.id)
    assert code.used_at is not None
    assert code.identity_id == identity.id
    letters = db.session.scalars(
        select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.like("email:identity%"))
    ).all()
    assert letters in ([], [f"email:identity-linked:{identity.id}:{customer.id}"])

    # Later posts author and vote as the customer directly.
    later = process(brand, mention("@hanbit #idea 로밍 요금 알림을 문자로 보내 주세요 부탁"))
    assert db.session.get_one(Idea, later.idea_id).author_id == customer.id
    process(brand, mention("@hanbit 좋아요", replied_to=tagged.post_id))
    assert db.session.scalar(select(User.id).where(User.email.like("%social.invalid"))) is None


def test_a_page_with_the_claim_and_a_later_idea_credits_the_idea_to_the_customer(
    brand, make_user
) -> None:
    customer = make_user()
    process(brand, mention("@hanbit #idea 요금제 데이터 이월 기능을 만들어 주세요"))
    issued = claims.issue_code(customer, "x", "minsu", NOW)
    db.session.commit()
    page = [
        mention(f"@hanbit claim {issued.code}"),
        mention("@hanbit #idea 로밍 요금 알림을 문자로 보내 주세요 부탁"),
    ]
    outcomes = importer.process_page(brand, page, NOW)
    db.session.commit()
    assert outcomes == [MentionOutcome.SKIPPED, MentionOutcome.IMPORTED]
    idea = db.session.scalar(select(Idea).where(Idea.source_post_id == page[1].id))
    assert idea is not None
    assert idea.author_id == customer.id


def test_a_code_posted_by_someone_else_does_not_link(brand, make_user) -> None:
    customer = make_user()
    issued = claims.issue_code(customer, "x", "minsu", NOW)
    db.session.commit()
    log = process(brand, mention(f"@hanbit claim {issued.code}", author_id="666", handle="mallory"))
    assert log.outcome == MentionOutcome.SKIPPED.value
    assert log.reason == "claim code refused: posted by @mallory, not @minsu"
    assert log.inbox_state is None
    assert db.session.get_one(ClaimCode, issued.row.id).used_at is None
    assert claims.linked_identities(customer) == []


def test_a_known_person_is_matched_by_network_id_not_by_handle(brand, make_user) -> None:
    process(brand, mention("@hanbit #idea 요금제 데이터 이월 기능을 만들어 주세요"))
    customer = make_user()
    issued = claims.issue_code(customer, "x", "minsu", NOW)
    db.session.commit()
    assert issued.row.expected_remote_id == "111"
    # Someone who took the handle over cannot use the code; the person, renamed, can.
    taken = process(brand, mention(f"@hanbit claim {issued.code}", author_id="222"))
    assert taken.reason.startswith("claim code refused: posted by")
    renamed = process(brand, mention(f"@hanbit claim {issued.code}", handle="minsu_new"))
    assert renamed.reason == "claim code: linked @minsu_new"


def test_expired_reused_revoked_and_unknown_codes_do_not_link(brand, make_user) -> None:
    customer = make_user()
    old = claims.issue_code(customer, "x", "minsu", NOW)
    db.session.commit()
    late = process(
        brand, mention(f"@hanbit claim {old.code}"), NOW + timedelta(hours=24, seconds=1)
    )
    assert late.reason == "claim code refused: code expired"

    replaced = claims.issue_code(customer, "x", "minsu", NOW)
    fresh = claims.issue_code(customer, "x", "minsu", NOW)
    db.session.commit()
    assert process(brand, mention(f"@hanbit claim {replaced.code}")).reason == (
        "claim code refused: code replaced by a newer one"
    )
    assert process(brand, mention(f"@hanbit claim {fresh.code}")).reason == (
        "claim code: linked @minsu"
    )
    reused = process(brand, mention(f"@hanbit claim {fresh.code}"))
    assert reused.reason == "claim code refused: code already used"
    unknown = process(brand, mention("@hanbit claim IB-2222-3333"))
    assert unknown.reason == "claim code refused: unknown code"
    # Something shaped like a code without "claim" is an ordinary mention.
    ticket = process(brand, mention("@hanbit 주문번호 IB-1234-5678 배송이 안 와요"))
    assert ticket.reason == "no idea tag"
    assert ticket.inbox_state == "open"
    assert all(
        log.inbox_state is None and log.idea_id is None
        for log in db.session.scalars(select(MentionLog).where(MentionLog.id != ticket.id))
    )


def test_an_identity_linked_to_someone_else_cannot_be_claimed(brand, make_user) -> None:
    first, second = make_user(), make_user()
    code_one = claims.issue_code(first, "x", "minsu", NOW)
    code_two = claims.issue_code(second, "x", "minsu", NOW)
    db.session.commit()
    process(brand, mention(f"@hanbit claim {code_one.code}"))
    log = process(brand, mention(f"@hanbit claim {code_two.code}"))
    assert log.reason == "claim code refused: @minsu is already linked to another account"
    assert shadow_of("x", "111").id == first.id
    with pytest.raises(Conflict):
        claims.issue_code(second, "x", "minsu", NOW)


def test_a_customer_links_several_networks(brand, make_user) -> None:
    customer = make_user()
    on_x = claims.issue_code(customer, "x", "minsu", NOW)
    on_bluesky = claims.issue_code(customer, "bluesky", "민수.한국", NOW)
    db.session.commit()
    bluesky = db.session.scalar(select(SocialAccount).where(SocialAccount.network == "bluesky"))
    assert on_bluesky.text_to_post == f"@hanbit.kr claim {on_bluesky.code}"
    # A code for Bluesky posted on X does not link.
    wrong = process(brand, mention(f"@hanbit claim {on_bluesky.code}"))
    assert wrong.reason == "claim code refused: code is for bluesky, posted on x"
    process(brand, mention(f"@hanbit claim {on_x.code}"))
    blue = mention(
        f"@hanbit.kr claim {on_bluesky.code}",
        network="bluesky",
        author_id="did:plc:minsu",
        handle="xn--lg3bu5i.xn--3e0b707e",
    )
    assert process(bluesky, blue).reason == "claim code: linked @xn--lg3bu5i.xn--3e0b707e"
    linked = claims.linked_identities(customer)
    assert [(i.network, claims.display_handle(i.handle)) for i in linked] == [
        ("bluesky", "민수.한국"),
        ("x", "minsu"),
    ]


def test_unlinking_keeps_the_ideas_and_gives_future_posts_a_new_shadow_user(
    brand, make_user
) -> None:
    customer = make_user()
    first = process(brand, mention("@hanbit #idea 요금제 데이터 이월 기능을 만들어 주세요"))
    issued = claims.issue_code(customer, "x", "minsu", NOW)
    db.session.commit()
    process(brand, mention(f"@hanbit claim {issued.code}"))
    identity = claims.linked_identities(customer)[0]
    claims.unlink_identity(customer, identity.id)
    db.session.commit()
    assert claims.linked_identities(customer) == []
    assert db.session.get_one(Idea, first.idea_id).author_id == customer.id
    new_shadow = shadow_of("x", "111")
    assert new_shadow.id != customer.id
    assert not new_shadow.active
    later = process(brand, mention("@hanbit #idea 로밍 요금 알림을 문자로 보내 주세요 부탁"))
    assert db.session.get_one(Idea, later.idea_id).author_id == new_shadow.id


def test_the_customer_gets_an_e_mail_in_their_language(app, brand, make_user) -> None:
    from ideaboard.mail import letters

    app.config["IDEABOARD_MAILBOX"] = True
    customer = make_user(locale="ko")
    issued = claims.issue_code(customer, "bluesky", "민수.한국", NOW)
    db.session.commit()
    bluesky = db.session.scalar(select(SocialAccount).where(SocialAccount.network == "bluesky"))
    item = mention(
        f"@hanbit.kr claim {issued.code}",
        network="bluesky",
        author_id="did:plc:minsu",
        handle="xn--lg3bu5i.xn--3e0b707e",
    )
    process(bluesky, item)
    row = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.dedupe_key.like("email:identity-linked:%"))
    )
    assert row is not None
    assert row.target == customer.email
    rendered = letters.render("identity-linked", row.payload["params"], customer, row.lang)
    assert not isinstance(rendered, str)
    assert rendered.subject == "Bluesky 계정이 IdeaBoard에 연결되었습니다"
    assert "@민수.한국" in rendered.text
    assert "/me#social-accounts" in rendered.text


# --- end to end through the sandbox X API ------------------------------------------------------


def test_the_claim_flow_through_the_x_sandbox(
    brand_account: SocialAccount,
    import_posts: Callable[..., tuple[list[dict[str, Any]], list[Any]]],
    make_user: Any,
) -> None:
    customer = make_user()
    _posts_made, made = import_posts(
        ("minsu", "@hanbit #idea 주말 데이터 두 배 이벤트를 해 주세요")
    )
    assert made[0] is not None
    assert made[0].author_id != customer.id
    issued = claims.issue_code(customer, "x", "minsu", datetime.now(UTC))
    db.session.commit()
    posts, made = import_posts(("minsu", issued.text_to_post))
    assert made == [None]
    log = db.session.scalar(select(MentionLog).where(MentionLog.post_id == str(posts[0]["id"])))
    assert log is not None
    assert log.reason == "claim code: linked @minsu"
    assert log.inbox_state is None
    assert db.session.scalar(select(Idea.author_id).where(Idea.source == "x")) == customer.id


# --- the race ------------------------------------------------------------------------------------


@pytest.mark.postgresql_only
def test_two_workers_racing_on_one_code_link_once(app: Flask, brand, make_user) -> None:
    customer = make_user()
    process(brand, mention("@hanbit #idea 요금제 데이터 이월 기능을 만들어 주세요"))
    issued = claims.issue_code(customer, "x", "minsu", NOW)
    db.session.commit()
    brand_id = brand.id
    posts = [mention(f"@hanbit claim {issued.code}") for _ in range(2)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(item: Mention) -> None:
        try:
            with app.app_context():
                account = db.session.get_one(SocialAccount, brand_id)
                barrier.wait()
                importer.process_mention(account, item, NOW)
                db.session.commit()
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(item,)) for item in posts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    db.session.rollback()
    reasons = sorted(
        db.session.scalars(
            select(MentionLog.reason).where(MentionLog.post_id.in_([p.id for p in posts]))
        )
    )
    assert reasons == ["claim code refused: code already used", "claim code: linked @minsu"]
    assert shadow_of("x", "111").id == customer.id


# --- the profile ---------------------------------------------------------------------------------


def test_the_profile_shows_the_code_once_then_only_when_it_was_issued(
    client, brand, make_user
) -> None:
    customer = make_user()
    login(client, customer)
    response = post(client, "/me/social", {"network": "x", "handle": "@minsu"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    code = re.search(r'id="new-claim-code">(IB-[A-Z0-9-]+)<', page).group(1)
    assert f"@hanbit claim {code}" in page
    again = client.get("/me").get_data(as_text=True)
    assert code not in again
    assert "code issued" in again
    # Each row's buttons say which handle they act on (a reader hears more than "New code").
    assert 'New code<span class="visually-hidden"> — X: @minsu</span>' in again
    assert 'Cancel<span class="visually-hidden"> — X: @minsu</span>' in again

    row = db.session.scalar(select(ClaimCode))
    renewed = post(client, f"/me/social/codes/{row.id}/renew").get_data(as_text=True)
    new_code = re.search(r'id="new-claim-code">(IB-[A-Z0-9-]+)<', renewed).group(1)
    assert new_code != code
    db.session.expire_all()
    assert db.session.get_one(ClaimCode, row.id).revoked_at is not None


def test_the_profile_refuses_bad_handles_and_foreign_codes(client, brand, make_user) -> None:
    owner, customer = make_user(), make_user()
    foreign = claims.issue_code(owner, "x", "owner", NOW)
    db.session.commit()
    login(client, customer)
    bad = post(client, "/me/social", {"network": "x", "handle": "no spaces"})
    assert bad.status_code == 422
    assert "1 to 15 letters" in bad.get_data(as_text=True)
    _assert_error_inline(bad.get_data(as_text=True), "1 to 15 letters")
    assert post(client, "/me/social", {"network": "facebook", "handle": "x"}).status_code == 422
    assert post(client, "/me/social", {"network": "x", "handle": "a" * 300}).status_code == 422
    assert client.post("/me/social", data={"network": "x", "handle": "ok"}).status_code == 400
    assert post(client, f"/me/social/codes/{foreign.row.id}/renew").status_code == 404
    assert post(client, f"/me/social/codes/{foreign.row.id}/revoke").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(ClaimCode)) == 1


def test_linked_handles_show_in_korean_and_unlink(client, brand, make_user) -> None:
    customer = make_user(locale="ko")
    issued = claims.issue_code(customer, "bluesky", "민수.한국", NOW)
    db.session.commit()
    bluesky = db.session.scalar(select(SocialAccount).where(SocialAccount.network == "bluesky"))
    process(
        bluesky,
        mention(
            f"@hanbit.kr claim {issued.code}",
            network="bluesky",
            author_id="did:plc:minsu",
            handle="xn--lg3bu5i.xn--3e0b707e",
            name="김민수",
        ),
    )
    login(client, customer)
    page = client.get("/me", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert "@민수.한국" in page
    assert "김민수" in page
    assert "소셜 계정" in page
    assert "연결 해제" in page
    identity = claims.linked_identities(customer)[0]
    response = post(client, f"/me/social/{identity.id}/unlink", follow_redirects=True)
    assert "민수.한국" in response.get_data(as_text=True)
    db.session.expire_all()
    assert claims.linked_identities(customer) == []


def test_the_form_offers_only_the_networks_the_site_is_on(client, make_user) -> None:
    customer = make_user()
    login(client, customer)
    before = client.get("/me").get_data(as_text=True)
    assert 'action="/me/social' not in before
    assert "nothing to link for now" in before  # said, rather than a section with no form
    db.session.add(SocialAccount(network="x", remote_user_id="900", username="hanbit"))
    db.session.commit()
    page = client.get("/me").get_data(as_text=True)
    assert '<option value="x">X</option>' in page
    assert "nothing to link for now" not in page
    assert 'value="bluesky"' not in page
    refused = post(client, "/me/social", {"network": "bluesky", "handle": "minsu.bsky.social"})
    assert refused.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(ClaimCode)) == 0


def _assert_error_inline(page: str, message: str) -> None:
    """The form comes back in the social section with the error under the handle field,
    tied to it for screen readers, and marked for its first invalid field to get focus."""
    form = re.search(r'<form method="post" action="/me/social#social-accounts"[^>]*>', page)
    assert form is not None
    assert "data-focus-on-load" in form.group(0)
    assert re.search(r'<input[^>]*aria-describedby="handle-help handle-error"[^>]*>', page)
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*>', page)
    error = re.search(r'<p class="error" id="handle-error">([^<]*)</p>', page)
    assert error is not None
    assert message in error.group(1)
    assert 'id="new-claim"' not in page


def test_a_new_code_is_focused_and_a_refusal_is_shown_at_the_field(
    client, brand, make_user
) -> None:
    customer, other = make_user(), make_user()
    login(client, customer)
    page = post(client, "/me/social", {"network": "x", "handle": "minsu"}).get_data(as_text=True)
    notice = re.search(r'<div [^>]*id="new-claim"[^>]*>', page)
    assert notice is not None
    assert 'tabindex="-1"' in notice.group(0)
    assert "data-focus-on-load" in notice.group(0)
    assert page.count("data-focus-on-load") == 1  # the form, without errors, is not marked
    # A handle linked to someone else: refused at the field (422), and no code shown.
    theirs = claims.issue_code(other, "x", "jiwoo", NOW)
    db.session.commit()
    process(brand, mention(f"@hanbit claim {theirs.code}", author_id="222", handle="jiwoo"))
    refused = post(client, "/me/social", {"network": "x", "handle": "@jiwoo"})
    assert refused.status_code == 422
    _assert_error_inline(
        refused.get_data(as_text=True), "already linked to another account on this site"
    )
    empty = post(client, "/me/social", {"network": "x", "handle": ""})
    assert empty.status_code == 422
    _assert_error_inline(empty.get_data(as_text=True), "required")


def test_on_mastodon_the_post_names_the_brand_with_its_instance(app, client, make_user) -> None:
    db.session.add(
        SocialAccount(
            network="mastodon",
            remote_user_id="1",
            username="hanbit",
            service_url="https://mastodon.example",
        )
    )
    db.session.commit()
    customer = make_user()
    issued = claims.issue_code(customer, "mastodon", "minsu@mastodon.social", NOW)
    db.session.commit()
    assert issued.text_to_post == f"@hanbit@mastodon.example claim {issued.code}"
    login(client, customer)
    page = post(
        client, "/me/social", {"network": "mastodon", "handle": "@minsu@mastodon.social"}
    ).get_data(as_text=True)
    text = re.search(r'id="new-claim-text">([^<]+)<', page)
    assert text is not None
    assert re.fullmatch(
        r"@hanbit@mastodon\.example claim IB-[A-Z0-9]{4}-[A-Z0-9]{4}", text.group(1)
    )
    # A username stored with its instance already is not given a second one.
    account = db.session.scalar(select(SocialAccount))
    account.username = "hanbit@mastodon.example"
    db.session.commit()
    assert claims.brand_handle("mastodon") == "@hanbit@mastodon.example"


def test_on_the_built_in_mastodon_sandbox_the_brand_is_named_without_a_server(
    app, make_user
) -> None:
    """The sandbox resolves only local names: "@hanbit" is the brand there."""
    app.config.update(IDEABOARD_MASTODON_SANDBOX=True, IDEABOARD_PUBLIC_URL="http://127.0.0.1:5000")
    db.session.add(
        SocialAccount(
            network="mastodon",
            remote_user_id="1",
            username="hanbit",
            service_url="http://127.0.0.1:5000/mastodon-sandbox",
        )
    )
    db.session.commit()
    issued = claims.issue_code(make_user(), "mastodon", "minsu@mastodon.social", NOW)
    assert issued.text_to_post == f"@hanbit claim {issued.code}"
