"""Against Bluesky's reference servers (tests/social/devenv.py): what the Bluesky connector needs.

The customer's posts go to the real PDS, the real AppView indexes them from its event stream,
and the brand reads its notifications through the PDS (which proxies them from the AppView),
exactly as a client of bsky.social does; every call goes through the `atproto` SDK.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from atproto import Client, models
from atproto_client.client.session import Session
from atproto_client.exceptions import BadRequestError, RateLimitExceededError, UnauthorizedError

from tests.social.devenv import DevNetwork, idea_mention, notification_for, wait_for

pytestmark = pytest.mark.slow


def test_customers_tagged_korean_mention_reaches_the_brand_with_facets_and_langs(
    atproto_devenv: DevNetwork, bluesky_brand: Client, bluesky_customer: Client
) -> None:
    words = f"다크 모드를 넣어 주세요 {uuid.uuid4().hex[:8]}"
    post = bluesky_customer.send_post(idea_mention(atproto_devenv, words), langs=["ko"])

    seen = wait_for(lambda: notification_for(bluesky_brand, post.uri, "mention"))

    assert seen.author.did == atproto_devenv.customer.did
    assert seen.author.handle == atproto_devenv.customer.handle
    assert seen.record.text == f"@{atproto_devenv.brand.handle} {words} #아이디어"
    assert seen.record.langs == ["ko"]
    tags = [
        feature.tag
        for facet in seen.record.facets or []
        for feature in facet.features
        if isinstance(feature, models.AppBskyRichtextFacet.Tag)
    ]
    assert tags == ["아이디어"]
    # Facet offsets count UTF-8 bytes: the slice is exactly "#아이디어" (13 bytes).
    tag_facet = next(
        facet
        for facet in seen.record.facets or []
        if isinstance(facet.features[0], models.AppBskyRichtextFacet.Tag)
    )
    raw = seen.record.text.encode("utf-8")
    assert raw[tag_facet.index.byte_start : tag_facet.index.byte_end].decode() == "#아이디어"
    assert seen.cid == post.cid


def test_brands_replies_with_strong_refs_show_in_the_customers_thread(
    atproto_devenv: DevNetwork, bluesky_brand: Client, bluesky_customer: Client
) -> None:
    post = bluesky_customer.send_post(
        idea_mention(atproto_devenv, f"알림을 묶어 주세요 {uuid.uuid4().hex[:8]}"), langs=["ko"]
    )
    mention = wait_for(lambda: notification_for(bluesky_brand, post.uri, "mention"))
    root = models.create_strong_ref(mention)

    first = bluesky_brand.send_post(
        "의견 감사합니다! 검토 중입니다. (1/2)",
        reply_to=models.AppBskyFeedPost.ReplyRef(root=root, parent=root),
        langs=["ko"],
    )
    second = bluesky_brand.send_post(
        "다음 업데이트에 반영할게요. (2/2)",
        reply_to=models.AppBskyFeedPost.ReplyRef(root=root, parent=models.create_strong_ref(first)),
        langs=["ko"],
    )

    def thread_with_both() -> models.AppBskyFeedDefs.ThreadViewPost | None:
        thread = bluesky_customer.get_post_thread(post.uri, depth=5).thread
        assert isinstance(thread, models.AppBskyFeedDefs.ThreadViewPost)
        replies = thread.replies or []
        if replies and isinstance(replies[0], models.AppBskyFeedDefs.ThreadViewPost):
            if replies[0].replies:
                return thread
        return None

    thread = wait_for(thread_with_both)
    (reply,) = thread.replies or []
    assert isinstance(reply, models.AppBskyFeedDefs.ThreadViewPost)
    assert reply.post.uri == first.uri
    assert reply.post.author.did == atproto_devenv.brand.did
    assert reply.post.record.text == "의견 감사합니다! 검토 중입니다. (1/2)"
    assert reply.post.record.reply.root.uri == post.uri
    assert reply.post.record.reply.root.cid == post.cid
    (nested,) = reply.replies or []
    assert isinstance(nested, models.AppBskyFeedDefs.ThreadViewPost)
    assert nested.post.uri == second.uri
    assert nested.post.record.reply.root.uri == post.uri
    assert nested.post.record.reply.parent.uri == first.uri
    assert nested.post.record.reply.parent.cid == first.cid
    # The customer is told about the brand's answer.
    assert wait_for(lambda: notification_for(bluesky_customer, first.uri, "reply"))


def test_replies_and_quotes_of_the_brands_posts_reach_it_with_their_reasons(
    atproto_devenv: DevNetwork, bluesky_brand: Client, bluesky_customer: Client
) -> None:
    announcement = bluesky_brand.send_post(
        f"새 기능 의견을 받습니다 {uuid.uuid4().hex[:8]}", langs=["ko"]
    )
    # The customer answers a post they have seen, i.e. one the AppView has indexed. (The AppView
    # indexes each account's events in parallel: a reply indexed before its parent notifies
    # nobody, so answering before the announcement is indexed would race.)
    wait_for(lambda: bluesky_customer.get_posts([announcement.uri]).posts or None)
    ref = models.create_strong_ref(announcement)
    reply = bluesky_customer.send_post(
        "검색 필터가 있으면 좋겠어요 #아이디어",
        reply_to=models.AppBskyFeedPost.ReplyRef(root=ref, parent=ref),
        langs=["ko"],
    )
    quote = bluesky_customer.send_post(
        "저도 한 표! #아이디어",
        embed=models.AppBskyEmbedRecord.Main(record=ref),
        langs=["ko"],
    )

    replied = wait_for(lambda: notification_for(bluesky_brand, reply.uri, "reply"))
    quoted = wait_for(lambda: notification_for(bluesky_brand, quote.uri, "quote"))

    assert replied.record.reply.parent.uri == announcement.uri
    assert replied.record.text == "검색 필터가 있으면 좋겠어요 #아이디어"
    assert quoted.record.embed.record.uri == announcement.uri
    assert quoted.author.handle == atproto_devenv.customer.handle


def test_notification_pages_follow_the_cursor_without_repeats(
    atproto_devenv: DevNetwork, bluesky_brand: Client, bluesky_customer: Client
) -> None:
    posts = [
        bluesky_customer.send_post(
            idea_mention(atproto_devenv, f"페이지 {n} {uuid.uuid4().hex[:8]}"), langs=["ko"]
        )
        for n in range(3)
    ]
    wait_for(lambda: notification_for(bluesky_brand, posts[-1].uri, "mention"))

    seen: list[str] = []
    cursor = None
    for _ in range(20):
        page = bluesky_brand.app.bsky.notification.list_notifications(
            params={"limit": 2, "cursor": cursor}
        )
        seen.extend(n.uri for n in page.notifications)
        cursor = page.cursor
        if not cursor or all(p.uri in seen for p in posts):
            break

    assert len(seen) == len(set(seen))
    # Newest first: the three mentions come in the reverse of the order they were posted.
    order = [seen.index(p.uri) for p in posts]
    assert order == sorted(order, reverse=True)


def test_a_wrong_app_password_is_refused_as_unauthorized(atproto_devenv: DevNetwork) -> None:
    client = Client(base_url=atproto_devenv.pds_url)
    with pytest.raises(UnauthorizedError) as refused:
        client.login(atproto_devenv.brand.handle, "aaaa-bbbb-cccc-dddd")
    client.request.close()
    assert refused.value.response is not None
    assert refused.value.response.status_code == 401


def test_too_many_logins_are_rate_limited_with_the_reset_time_in_headers(
    atproto_devenv: DevNetwork,
) -> None:
    # createSession allows 30 tries per identifier in 5 minutes; an unknown handle spends them
    # without touching the real accounts' budget (in parallel: each refusal costs the PDS a
    # password hash).
    identifier = f"probe-{uuid.uuid4().hex[:8]}.test"

    def login() -> Exception | None:
        client = Client(base_url=atproto_devenv.pds_url)
        try:
            client.login(identifier, "aaaa-bbbb-cccc-dddd")
        except Exception as error:  # returned: the test checks its type
            return error
        finally:
            client.request.close()
        return None

    with ThreadPoolExecutor(max_workers=6) as pool:
        refusals = list(pool.map(lambda _: login(), range(30)))
    assert all(isinstance(error, UnauthorizedError) for error in refusals), refusals
    limited = login()

    now = datetime.now(UTC)
    assert isinstance(limited, RateLimitExceededError), limited
    assert limited.response is not None
    assert limited.response.status_code == 429
    assert limited.limit == 30
    assert limited.remaining == 0
    assert limited.policy == "30;w=300"
    assert limited.reset_at is not None
    assert now < limited.reset_at <= now + timedelta(minutes=5, seconds=1)


def test_a_revoked_app_password_cannot_refresh_its_session_nor_log_in_again(
    atproto_devenv: DevNetwork,
) -> None:
    brand = atproto_devenv.brand
    name = f"spare-{uuid.uuid4().hex[:8]}"
    owner = atproto_devenv.client(brand, password=brand.password)
    worker = Client(base_url=atproto_devenv.pds_url)
    again = Client(base_url=atproto_devenv.pds_url)
    try:
        spare = owner.com.atproto.server.create_app_password({"name": name}).password
        worker.login(brand.handle, spare)
        owner.com.atproto.server.revoke_app_password({"name": name})

        # The access token lives on until it expires (2 hours), so reads still work ...
        worker.app.bsky.notification.list_notifications()
        # ... but the refresh the SDK makes before then is refused: a 400, not a 401.
        refresh_jwt = Session.decode(worker.export_session_string()).refresh_jwt
        with pytest.raises(BadRequestError) as refused:
            worker.com.atproto.server.refresh_session(
                headers={"Authorization": f"Bearer {refresh_jwt}"}
            )
        assert refused.value.response is not None
        assert refused.value.response.status_code == 400
        assert refused.value.response.content.error == "ExpiredToken"
        # And logging in with it again is a 401.
        with pytest.raises(UnauthorizedError):
            again.login(brand.handle, spare)
    finally:
        for client in (owner, worker, again):
            client.request.close()


def test_a_post_may_have_300_graphemes_and_3000_utf8_bytes(bluesky_brand: Client) -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one grapheme, 18 bytes
    bluesky_brand.send_post("가" * 300)  # 300 graphemes, 900 bytes
    bluesky_brand.send_post("\u1112\u1161\u11ab" * 300)  # 300 graphemes of jamo, 2700 bytes
    bluesky_brand.send_post(family * 166)  # 166 graphemes, 2988 bytes

    with pytest.raises(BadRequestError) as graphemes:
        bluesky_brand.send_post("가" * 301)
    assert "grapheme too big (maximum 300, got 301)" in str(graphemes.value)
    with pytest.raises(BadRequestError) as size:
        bluesky_brand.send_post(family * 167)  # 167 graphemes, 3006 bytes
    assert "string too big (maximum 3000, got 3006)" in str(size.value)


def test_the_pds_accepts_a_reply_to_a_deleted_post_so_the_sender_must_look_first(
    atproto_devenv: DevNetwork, bluesky_brand: Client, bluesky_customer: Client
) -> None:
    post = bluesky_customer.send_post(
        idea_mention(atproto_devenv, f"곧 지울 글 {uuid.uuid4().hex[:8]}"), langs=["ko"]
    )
    mention = wait_for(lambda: notification_for(bluesky_brand, post.uri, "mention"))
    bluesky_customer.delete_post(post.uri)
    wait_for(lambda: None if bluesky_brand.get_posts([post.uri]).posts else True)

    with pytest.raises(BadRequestError) as gone:
        bluesky_brand.get_post_thread(post.uri)
    assert gone.value.response.content.error == "NotFound"
    ref = models.create_strong_ref(mention)
    reply = bluesky_brand.send_post(
        "답장", reply_to=models.AppBskyFeedPost.ReplyRef(root=ref, parent=ref)
    )
    assert reply.uri.startswith(f"at://{atproto_devenv.brand.did}/app.bsky.feed.post/")
