"""What differs between the networks, and what does not (issue 18).

Each network measures a post its own way (X: 280 weighted characters, Korean counting double;
Bluesky: 300 graphemes; Mastodon: the instance's own limit, a link counting 23), and the same
composer fits every reply to the account's network. A wording saved for one network wins over
the one for every network; on free networks replies carry the link by default. The accounts
page says what each account's network allows and costs.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from ideaboard.accounts.models import Role, User
from ideaboard.extensions import db
from ideaboard.ideas.attribution import network_name, profile_url
from ideaboard.social.compose import X_LIMIT, compose_stage_posts, weighted_length
from ideaboard.social.models import ReplyTemplate, SocialAccount
from ideaboard.social.networks import (
    NETWORKS,
    bluesky_length,
    limit_for,
    mastodon_length,
    network_of_kind,
)
from ideaboard.social.reply_templates import wording
from tests.helpers import login, post

KOREAN_NOTE = (  # 160 graphemes: about 300 weighted characters on X
    "검토 결과 내년 1분기 요금제 개편에 반영하기로 했습니다. 네트워크 팀이 이 일을 맡았고, "
    "해외 로밍 중에 남은 데이터를 다음 달로 넘기는 방식을 시험하고 있습니다. 시험이 끝나면 "
    "일정과 조건을 이 페이지와 답글로 다시 알려드리겠습니다."
)


def _account(network: str, remote: str = "brand", **values: object) -> SocialAccount:
    account = SocialAccount(
        network=network, remote_user_id=f"{network}-{remote}", username="hanbit", **values
    )
    db.session.add(account)
    db.session.flush()
    return account


def test_each_network_measures_korean_its_own_way() -> None:
    text = "데이터 이월 👍🏽"  # 5 syllables, 2 spaces, an emoji with a skin tone (one grapheme)
    assert bluesky_length(text) == 8
    assert weighted_length(text) > bluesky_length(text)  # X counts Hangul and emoji double
    assert mastodon_length(text) == 8  # graphemes too


def test_mastodon_counts_a_link_as_23_and_a_remote_mention_by_its_user() -> None:
    long_link = "https://example.com/" + "a" * 100
    assert mastodon_length(long_link) == 23
    assert mastodon_length("@minji@example.social 안녕") == len("@minji 안녕")
    assert mastodon_length("mail me: a@b.c") == len("mail me: a@b.c")  # not a mention


def test_an_accounts_limit_is_its_networks_or_its_instances(app: object) -> None:
    assert limit_for(None) is X_LIMIT
    assert limit_for(_account("x")).maximum == 280
    assert limit_for(_account("bluesky")).maximum == 300
    assert limit_for(_account("mastodon")).maximum == 500
    big = _account("mastodon", "big", post_limit=5000, service_url="https://big.example")
    assert limit_for(big).maximum == 5000
    assert limit_for(big).measure is mastodon_length


def test_a_long_korean_note_is_one_post_on_bluesky_and_a_thread_on_x() -> None:
    common = {
        "stage_slug": "planned", "stage_name": "계획됨", "lang": "ko",
        "title": "데이터 이월 서비스", "url": "", "signature": "KG", "note": KOREAN_NOTE,
        "handle": "minji",
    }  # fmt: skip
    on_x = compose_stage_posts(**common)
    on_bluesky = compose_stage_posts(**common, limit=NETWORKS["bluesky"].limit)
    assert len(on_x) == 2
    assert all(weighted_length(text) <= 280 for text in on_x)
    assert len(on_bluesky) == 1
    assert KOREAN_NOTE in on_bluesky[0]
    assert bluesky_length(on_bluesky[0]) <= 300


def test_outbox_kinds_name_their_network() -> None:
    for slug, info in NETWORKS.items():
        assert info.reply_kind == f"{slug}_reply"
        assert info.post_kind == f"{slug}_post"
        assert network_of_kind(info.reply_kind) is info
    assert network_of_kind("email") is None


def test_profiles_and_names_of_every_network() -> None:
    assert network_name("bluesky") == "Bluesky"
    assert network_name("mastodon") == "Mastodon"
    assert profile_url("x", "hanbit") == "https://x.com/hanbit"
    assert (
        profile_url("bluesky", "minji.bsky.social") == "https://bsky.app/profile/minji.bsky.social"
    )
    assert profile_url("mastodon", "minji@mastodon.example") == "https://mastodon.example/@minji"
    assert profile_url("mastodon", "minji") is None  # which instance is unknown


def test_a_networks_own_wording_wins_and_the_others_keep_the_common_one(app: object) -> None:
    db.session.add_all(
        [
            ReplyTemplate(kind="stage", stage_slug="planned", lang="en", text="All {title}"),
            ReplyTemplate(
                kind="stage", stage_slug="planned", lang="en", network="mastodon",
                text="Toot {title} {url}", include_link=True,
            ),
        ]
    )  # fmt: skip
    db.session.commit()
    assert wording("stage", "planned", "en", "mastodon").text == "Toot {title} {url}"
    assert wording("stage", "planned", "en", "bluesky").text == "All {title}"
    assert wording("stage", "planned", "en", "x").text == "All {title}"
    assert wording("stage", "planned", "en").text == "All {title}"


def test_free_networks_carry_the_link_in_stage_replies_by_default(app: object) -> None:
    assert wording("stage", "planned", "en", "x").include_link is False  # a link costs on X
    assert wording("stage", "planned", "en", "bluesky").include_link is True
    assert wording("stage", "planned", "en", "mastodon").include_link is True


def test_the_templates_page_edits_one_networks_wording(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    login(client, make_user(Role.ADMIN))
    page = client.get("/staff/reply-templates/?network=bluesky").get_data(as_text=True)
    assert re.search(r"\(\d+ of 300\)", page)  # Bluesky's limit in the preview
    assert 'name="network" value="bluesky"' in page
    response = post(
        client,
        "/staff/reply-templates/",
        {"kind": "stage", "stage_slug": "planned", "lang": "ko", "network": "bluesky",
         "text": "[계획됨] {title} {url} ^{signature}"},
    )  # fmt: skip
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/reply-templates/?network=bluesky")
    saved = db.session.scalars(select(ReplyTemplate)).one()
    assert (saved.network, saved.lang) == ("bluesky", "ko")
    assert client.get("/staff/reply-templates/?network=threads").status_code == 400


def test_a_wording_for_bluesky_may_be_longer_than_x_allows(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    login(client, make_user(Role.ADMIN))
    text = "{title} " + "가" * 200  # 200 Hangul: 400 weighted on X, 200 graphemes on Bluesky
    for network, saved in (("", False), ("x", False), ("bluesky", True)):
        post(
            client,
            "/staff/reply-templates/",
            {"kind": "stage", "stage_slug": "planned", "lang": "ko", "network": network,
             "text": text},
        )  # fmt: skip
        found = db.session.scalar(select(ReplyTemplate).where(ReplyTemplate.network == network))
        assert (found is not None) is saved


@pytest.mark.parametrize(
    ("network", "facts"),
    [
        ("x", ["280 weighted characters", "paid per post read and written"]),
        ("bluesky", ["300 characters (an emoji or a Korean syllable is one)", "free to read"]),
        ("mastodon", ["1000 characters (a link counts as 23)", "free to read"]),
    ],
)
def test_the_accounts_page_says_what_each_network_allows_and_costs(
    client: FlaskClient, make_user: Callable[..., User], network: str, facts: list[str]
) -> None:
    _account(network, post_limit=1000 if network == "mastodon" else None,
             service_url="https://toot.example" if network == "mastodon" else None)  # fmt: skip
    db.session.commit()
    login(client, make_user(Role.STAFF))
    page = client.get("/staff/accounts").get_data(as_text=True)
    assert f"· {NETWORKS[network].name}</span>" in page
    for fact in facts:
        assert fact in page
    assert ("Spend this month by kind" in page) is (network == "x")


def test_the_longest_ids_and_names_a_network_allows_are_stored_whole_or_cut_to_fit(
    app: object,
) -> None:
    """On PostgreSQL a value longer than its column is an error: every id a network may send
    (a 300-character at:// URI, a 253-character handle, a long DID) must fit."""
    from datetime import UTC, datetime

    from ideaboard.ideas.models import Idea
    from ideaboard.social import importer
    from ideaboard.social.connectors import Mention
    from ideaboard.social.models import MentionLog, SocialIdentity

    account = _account("bluesky", "did:plc:brand")
    handle = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])  # 253 characters
    did = "did:web:" + "e" * 242  # a did:web names a domain: up to 253 characters
    uri = f"at://{did}/app.bsky.feed.post/" + "f" * (300 - len(f"at://{did}/app.bsky.feed.post/"))
    assert (len(handle), len(did), len(uri)) == (253, 250, 300)
    mention = Mention(
        id=uri, text="@hanbit 위성 문자 요금제 신설 #아이디어", author_id=did, author_handle=handle,
        author_name="이름" * 100, created_at=datetime.now(UTC), lang="ko", hashtags=["아이디어"],
        network="bluesky", permalink=f"https://bsky.app/profile/{handle}/post/x",
        cursor=f"2026-12-05T00:00:00.000Z|{uri}",
    )  # fmt: skip
    outcomes = importer.process_page(account, [mention], datetime.now(UTC))
    db.session.commit()
    assert [o.value for o in outcomes] == ["imported"]
    idea = db.session.scalars(select(Idea)).one()
    assert (idea.source, idea.source_post_id, idea.source_author_handle) == ("bluesky", uri, handle)
    assert len(idea.source_author_name or "") == 120
    identity = db.session.scalars(select(SocialIdentity)).one()
    assert (identity.remote_user_id, identity.handle) == (did, handle)
    logged = db.session.scalars(select(MentionLog)).one()
    assert (logged.post_id, logged.author_remote_id) == (uri, did)
