"""Reading Bluesky mentions through the atproto SDK from the sandbox on loopback: what a
Mention holds (facets, Korean tags, langs, replies, quotes) and how the cursor pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ideaboard.social.bluesky import MAX_PAGES, PAGE_SIZE, BlueskyConnector, hashtags_of
from sandboxes.bluesky import SandboxStore, post_mention
from tests.social.bluesky.helpers import BLUESKY_HANDLE, bulk_mentions, raw_post

MentionFn = Callable[..., dict[str, Any]]


def _brand_post(store: SandboxStore, text: str = "새 요금제를 소개합니다") -> dict[str, Any]:
    return raw_post(
        store,
        BLUESKY_HANDLE,
        {"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-01-01T00:00:00.000Z"},
    )


def test_a_mention_carries_author_text_korean_tags_lang_and_permalink(
    bluesky_connector: BlueskyConnector, bluesky_mention: MentionFn
) -> None:
    post = bluesky_mention(
        f"@{BLUESKY_HANDLE} 지하철 와이파이 #아이디어 #5G개선 https://example.com/a",
        display_name="김민지",
    )
    [mention] = bluesky_connector.fetch_mentions(since_id=None, start_time=None)
    assert mention.id == post["uri"]
    assert mention.network == "bluesky"
    assert mention.text.startswith(f"@{BLUESKY_HANDLE} 지하철")
    assert mention.author_id == post["did"]
    assert mention.author_id.startswith("did:plc:")
    assert mention.author_handle == "minji.bsky.social"
    assert mention.author_name == "김민지"
    assert mention.lang == "ko"
    assert mention.hashtags == ["아이디어", "5G개선"]
    assert mention.replied_to is None
    assert mention.quoted is None
    assert not mention.is_retweet
    rkey = post["uri"].rsplit("/", 1)[1]
    assert mention.url == f"https://bsky.app/profile/minji.bsky.social/post/{rkey}"
    assert mention.created_at is not None
    assert mention.created_at.tzinfo is not None
    assert mention.cursor.endswith("|" + post["uri"])


def test_tags_come_from_facets_and_from_text_once_each_case_folded(
    bluesky_connector: BlueskyConnector, bluesky_store: SandboxStore
) -> None:
    # Another client tagged "Idea" with a facet but not "#아이디어" in the text, and wrote
    # "#IDEA" again in text: every tag is found, each once.
    text = f"@{BLUESKY_HANDLE} hi #IDEA #아이디어"
    mention_start = 0
    mention_end = len(f"@{BLUESKY_HANDLE}".encode())
    with bluesky_store.transaction() as tx:
        brand = bluesky_store.find_actor(tx, BLUESKY_HANDLE)
    assert brand is not None
    raw_post(
        bluesky_store,
        "lee.bsky.social",
        {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": "2026-05-01T00:00:00.000Z",
            "langs": ["en", "ko"],
            "facets": [
                {
                    "index": {"byteStart": mention_start, "byteEnd": mention_end},
                    "features": [{"$type": "app.bsky.richtext.facet#mention", "did": brand["did"]}],
                },
                {
                    "index": {"byteStart": 0, "byteEnd": 1},
                    "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "Idea"}],
                },
            ],
        },
    )
    [mention] = bluesky_connector.fetch_mentions(since_id=None, start_time=None)
    assert mention.hashtags == ["Idea", "아이디어"]
    assert mention.lang == "en"  # the first of the post's langs
    assert mention.created_at == datetime(2026, 5, 1, tzinfo=UTC)


def test_hashtags_of_strips_punctuation_and_skips_numbers() -> None:
    assert hashtags_of("좋아요 #아이디어! #2026 #idea, (#x)", None) == ["아이디어", "idea"]


def test_replies_and_quotes_of_the_brands_posts_count_as_mentions(
    bluesky_connector: BlueskyConnector, bluesky_store: SandboxStore
) -> None:
    brand_post = _brand_post(bluesky_store)
    reply = post_mention(
        bluesky_store, handle="park", text="저도 궁금해요 #아이디어", reply_to=brand_post["uri"]
    )
    quote = post_mention(bluesky_store, handle="choi", text="이거 좋네요", quote=brand_post["uri"])
    # A conversation between customers, outside the brand's threads, is not for the brand.
    other = post_mention(bluesky_store, handle="kang", text="요금제 바꿨어요")
    post_mention(bluesky_store, handle="park", text="저도요", reply_to=other["uri"])
    mentions = bluesky_connector.fetch_mentions(since_id=None, start_time=None)
    by_id = {m.id: m for m in mentions}
    assert set(by_id) == {reply["uri"], quote["uri"]}
    assert by_id[reply["uri"]].replied_to == brand_post["uri"]
    assert by_id[reply["uri"]].hashtags == ["아이디어"]
    assert by_id[quote["uri"]].quoted == brand_post["uri"]


def test_a_reply_deeper_in_the_brands_thread_is_read_with_its_parent(
    bluesky_connector: BlueskyConnector, bluesky_store: SandboxStore
) -> None:
    root = _brand_post(bluesky_store)
    first = post_mention(bluesky_store, handle="park", text="첫 댓글", reply_to=root["uri"])
    second = post_mention(bluesky_store, handle="yoon", text="둘째 댓글", reply_to=first["uri"])
    mentions = bluesky_connector.fetch_mentions(since_id=None, start_time=None)
    # The brand owns the thread's root: Bluesky notifies it of replies further down too.
    assert [m.id for m in mentions] == [first["uri"], second["uri"]]
    assert mentions[1].replied_to == first["uri"]


def test_mentions_come_oldest_first_and_the_cursor_resumes_without_duplicates(
    bluesky_connector: BlueskyConnector, bluesky_mention: MentionFn
) -> None:
    first = [bluesky_mention(f"@{BLUESKY_HANDLE} 하나 {i} #아이디어") for i in range(3)]
    read = bluesky_connector.fetch_mentions(since_id=None, start_time=None)
    assert [m.id for m in read] == [p["uri"] for p in first]
    later = [bluesky_mention(f"@{BLUESKY_HANDLE} 둘 {i}") for i in range(2)]
    again = bluesky_connector.fetch_mentions(since_id=read[-1].position, start_time=None)
    assert [m.id for m in again] == [p["uri"] for p in later]
    assert bluesky_connector.fetch_mentions(since_id=again[-1].position, start_time=None) == []


def test_paging_reads_every_page_once_in_order(
    bluesky_connector: BlueskyConnector, bluesky_store: SandboxStore
) -> None:
    count = PAGE_SIZE * 2 + 17
    posts = bulk_mentions(bluesky_store, count)
    read = bluesky_connector.fetch_mentions(since_id=None, start_time=None)
    assert [m.id for m in read] == [p["uri"] for p in posts]
    keys = [bluesky_connector.cursor_key(m.cursor) for m in read]
    assert keys == sorted(keys)
    assert len(set(keys)) == count
    # From a cursor in the middle of the second page on: exactly the rest.
    middle = read[150]
    rest = bluesky_connector.fetch_mentions(since_id=middle.position, start_time=None)
    assert [m.id for m in rest] == [p["uri"] for p in posts[151:]]


def test_a_round_reads_at_most_max_pages(
    bluesky_connector: BlueskyConnector, bluesky_store: SandboxStore
) -> None:
    total = PAGE_SIZE * MAX_PAGES + 5
    posts = bulk_mentions(bluesky_store, total)
    read = bluesky_connector.fetch_mentions(since_id=None, start_time=None)
    assert len(read) == PAGE_SIZE * MAX_PAGES
    assert read[-1].id == posts[-1]["uri"]  # the newest ones
    assert read[0].id == posts[5]["uri"]


def test_the_overlap_re_read_finds_a_late_indexed_post_the_cursor_passed(
    bluesky_connector: BlueskyConnector, bluesky_mention: MentionFn
) -> None:
    seen = bluesky_mention(f"@{BLUESKY_HANDLE} 먼저 #아이디어")
    [first] = bluesky_connector.fetch_mentions(since_id=None, start_time=None)
    # A post claiming a creation time before the last one sorts before it in Bluesky's list.
    late = bluesky_mention(
        f"@{BLUESKY_HANDLE} 늦게 도착 #아이디어",
        created_at=datetime.now(UTC) - timedelta(minutes=5),
    )
    assert bluesky_connector.fetch_mentions(since_id=first.position, start_time=None) == []
    overlap = bluesky_connector.fetch_mentions(
        since_id=first.position, start_time=datetime.now(UTC) - timedelta(minutes=15)
    )
    assert [m.id for m in overlap] == [late["uri"], seen["uri"]]


def test_cursor_key_orders_by_time_then_uri_and_tolerates_junk() -> None:
    key = BlueskyConnector.cursor_key
    a = key("2026-01-01T00:00:00.000Z|at://did:plc:a/app.bsky.feed.post/2")
    b = key("2026-01-01T00:00:00.001Z|at://did:plc:a/app.bsky.feed.post/1")
    c = key("2026-01-01T08:59:59.999+09:00|at://did:plc:a/app.bsky.feed.post/3")
    assert a < b
    assert c < b
    assert c < a
    assert key("garbage") < a
    assert key("") < a


def test_mentions_sharing_one_time_across_pages_are_all_read_after_the_cursor(
    bluesky_connector: BlueskyConnector, bluesky_store: SandboxStore
) -> None:
    # 150 posts claiming the same creation time sort together; their order within that time
    # is the server's, not the cursor's, so one page may hold posts on both sides of it.
    posts = bulk_mentions(bluesky_store, PAGE_SIZE + 50, same_time=True)
    read = bluesky_connector.fetch_mentions(since_id=None, start_time=None)
    assert sorted(m.id for m in read) == sorted(p["uri"] for p in posts)
    since = read[49]
    rest = bluesky_connector.fetch_mentions(since_id=since.position, start_time=None)
    assert [m.id for m in rest] == [m.id for m in read[50:]]
