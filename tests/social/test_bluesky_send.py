"""Posting to Bluesky through the atproto SDK into the sandbox on loopback: reply strong refs,
facets at UTF-8 byte offsets, langs, the 300-grapheme rule, deleted parents and find_reply."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ideaboard.social.bluesky import (
    MAX_GRAPHEMES,
    BlueskyConnector,
    build_facets,
    length_problem,
    post_length,
)
from ideaboard.social.connectors import FetchError, SendError
from sandboxes.bluesky import SandboxStore, delete_post, timeline
from tests.social.bluesky.helpers import BLUESKY_HANDLE, utf8_slice

MentionFn = Callable[..., dict[str, Any]]


def _stored(store: SandboxStore, uri: str) -> dict[str, Any]:
    return next(item for item in timeline(store) if item["uri"] == uri)


def test_a_reply_to_a_top_level_mention_uses_it_as_root_and_parent(
    bluesky_connector: BlueskyConnector, bluesky_mention: MentionFn, bluesky_store: SandboxStore
) -> None:
    mention = bluesky_mention()
    posted = bluesky_connector.post_reply("의견 고맙습니다! 검토할게요.", mention["uri"])
    reply = _stored(bluesky_store, posted.id)
    ref = {"uri": mention["uri"], "cid": mention["cid"]}
    assert reply["record"]["reply"]["root"]["uri"] == ref["uri"]
    assert reply["record"]["reply"]["root"]["cid"] == ref["cid"]
    assert reply["record"]["reply"]["parent"]["uri"] == ref["uri"]
    assert reply["record"]["reply"]["parent"]["cid"] == ref["cid"]
    assert reply["handle"] == BLUESKY_HANDLE
    assert reply["langs"] == ["ko"]
    rkey = posted.id.rsplit("/", 1)[1]
    assert posted.url == f"https://bsky.app/profile/{BLUESKY_HANDLE}/post/{rkey}"


def test_a_reply_to_a_reply_keeps_the_threads_root(
    bluesky_connector: BlueskyConnector, bluesky_mention: MentionFn, bluesky_store: SandboxStore
) -> None:
    root = bluesky_mention(handle="minji", text="요금제 질문이요")
    middle = bluesky_mention(
        handle="park", text=f"@{BLUESKY_HANDLE} 저도요 #아이디어", reply_to=root["uri"]
    )
    posted = bluesky_connector.post_reply("Thanks, noted.", middle["uri"])
    refs = _stored(bluesky_store, posted.id)["record"]["reply"]
    assert refs["root"]["uri"] == root["uri"]
    assert refs["root"]["cid"] == root["cid"]
    assert refs["parent"]["uri"] == middle["uri"]
    assert refs["parent"]["cid"] == middle["cid"]
    assert _stored(bluesky_store, posted.id)["langs"] == ["en"]


def test_facets_mark_links_and_korean_tags_at_utf8_byte_offsets(
    bluesky_connector: BlueskyConnector, bluesky_store: SandboxStore
) -> None:
    text = "상태가 '검토 중'으로 바뀌었어요 👩‍👩‍👧 #아이디어 자세히: https://ideas.example.kr/i/42."
    posted = bluesky_connector.post(text)
    stored = _stored(bluesky_store, posted.id)
    facets = stored["facets"]
    assert [utf8_slice(text, f) for f in facets] == ["#아이디어", "https://ideas.example.kr/i/42"]
    assert facets[0]["features"] == [{"$type": "app.bsky.richtext.facet#tag", "tag": "아이디어"}]
    assert facets[1]["features"][0]["uri"] == "https://ideas.example.kr/i/42"
    # The offsets are bytes, not characters: Hangul takes three bytes each.
    assert facets[0]["index"]["byteStart"] > text.index("#아이디어")
    assert "reply" not in stored["record"]


def test_build_facets_skips_numeric_tags_and_trailing_punctuation() -> None:
    text = "#2026 #좋아요! (https://a.example/x)"
    assert [utf8_slice(text, f) for f in build_facets(text)] == ["#좋아요", "https://a.example/x"]


def test_length_counts_graphemes_not_code_points_or_bytes() -> None:
    assert post_length("한글") == 2
    assert post_length("👩‍👩‍👧👍🏽") == 2
    assert post_length("e\u0301") == 1
    assert length_problem("가" * MAX_GRAPHEMES) is None
    assert length_problem("가" * (MAX_GRAPHEMES + 1)) is not None
    # 300 graphemes of 11-byte family emoji are 3300 bytes: over the record's byte limit.
    assert "bytes" in (length_problem("👩‍👩‍👧" * 300) or "")


def test_a_300_grapheme_reply_is_sent_and_301_is_refused_before_any_request(
    bluesky_connector: BlueskyConnector, bluesky_mention: MentionFn, bluesky_store: SandboxStore
) -> None:
    mention = bluesky_mention()
    full = "가나다👍🏽" * 75  # 300 graphemes
    assert post_length(full) == MAX_GRAPHEMES
    posted = bluesky_connector.post_reply(full, mention["uri"])
    assert _stored(bluesky_store, posted.id)["text"] == full
    before = len(timeline(bluesky_store))
    with pytest.raises(SendError) as caught:
        bluesky_connector.post_reply(full + "!", mention["uri"])
    assert caught.value.final
    assert "300" in caught.value.message
    assert len(timeline(bluesky_store)) == before


def test_replying_to_a_deleted_post_is_final(
    bluesky_connector: BlueskyConnector, bluesky_mention: MentionFn, bluesky_store: SandboxStore
) -> None:
    mention = bluesky_mention()
    assert delete_post(bluesky_store, mention["uri"])
    with pytest.raises(SendError) as caught:
        bluesky_connector.post_reply("답변", mention["uri"])
    assert caught.value.final
    assert "deleted" in caught.value.message
    with pytest.raises(SendError) as bad:
        bluesky_connector.post_reply("답변", "12345")
    assert bad.value.final


def test_find_reply_finds_our_reply_by_text_and_nothing_else(
    bluesky_connector: BlueskyConnector, bluesky_mention: MentionFn
) -> None:
    mention = bluesky_mention()
    text = "검토를 시작했어요  #아이디어"
    posted = bluesky_connector.post_reply(text, mention["uri"])
    # A customer's reply with the same text is not ours.
    bluesky_mention(handle="copycat", text=text, reply_to=mention["uri"])
    assert bluesky_connector.find_reply(mention["uri"], "검토를 시작했어요 #아이디어") == posted.id
    assert bluesky_connector.find_reply(mention["uri"], "다른 글") is None
    missing = mention["uri"].rsplit("/", 1)[0] + "/3zzzzzzzzzzzz"
    assert bluesky_connector.find_reply(missing, text) is None


def test_account_info_logs_in_and_names_the_account(
    bluesky_connector: BlueskyConnector, make_bluesky_connector: Callable[..., BlueskyConnector]
) -> None:
    info = bluesky_connector.account_info()
    assert info["handle"] == BLUESKY_HANDLE
    assert info["did"] == bluesky_connector.did
    assert info["display_name"] == "Hanbit Telecom"
    wrong = make_bluesky_connector(app_password="xxxx-xxxx-xxxx-xxxx")
    with pytest.raises(FetchError) as caught:
        wrong.account_info()
    assert caught.value.auth
