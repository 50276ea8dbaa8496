"""tweepy 4.17 against the sandbox X API over real HTTP: reads, writes and X's error rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import tweepy

from sandboxes.x import SandboxStore, delete_post, timeline

BRAND_ID = "1500000000000000001"  # create_sandbox_app's default brand account

TWEET_FIELDS = ["author_id", "created_at", "conversation_id", "entities", "lang"]


def test_get_me_returns_brand_with_requested_fields(x_client: tweepy.Client) -> None:
    me = x_client.get_me(user_fields=["profile_image_url"])
    assert me.data.id == int(BRAND_ID)
    assert me.data.username == "hanbit"
    assert me.data.name == "Hanbit Telecom"
    assert me.data.profile_image_url.endswith(f"/sandbox/avatars/{BRAND_ID}.svg")


def test_mentions_paginate_newest_first_with_next_token(
    x_client: tweepy.Client, mention: Callable[..., dict[str, Any]]
) -> None:
    posted = [
        mention(f"@hanbit 아이디어 {n} #아이디어", username=f"user{n % 3}") for n in range(23)
    ]
    mention("no brand here", username="user9")  # not a mention: never listed
    pages = list(
        tweepy.Paginator(
            x_client.get_users_mentions,
            BRAND_ID,
            max_results=10,
            tweet_fields=TWEET_FIELDS,
            expansions=["author_id"],
            user_fields=["username", "name", "profile_image_url"],
        )
    )
    assert [len(p.data) for p in pages] == [10, 10, 3]
    assert "next_token" in pages[0].meta
    assert "next_token" in pages[1].meta
    assert "next_token" not in pages[2].meta
    ids = [t.id for p in pages for t in p.data]
    assert ids == sorted((t["id"] for t in posted), reverse=True)
    assert pages[0].meta["newest_id"] == str(ids[0])
    assert pages[0].meta["result_count"] == 10
    first = pages[0].data[0]
    assert first.author_id is not None
    assert first.created_at.tzinfo is not None
    assert first.conversation_id == first.id
    assert first.lang == "ko"
    tag_at = first.text.index("#아이디어")
    assert first.entities["hashtags"] == [{"start": tag_at, "end": tag_at + 5, "tag": "아이디어"}]
    assert first.entities["mentions"][0] == {
        "start": 0,
        "end": 7,
        "username": "hanbit",
        "id": BRAND_ID,
    }
    users = {u.id: u for u in pages[0].includes["users"]}
    assert {u.username for u in users.values()} == {"user0", "user1", "user2"}
    assert users[first.author_id].profile_image_url.startswith("http://127.0.0.1:")


def test_mentions_only_return_requested_fields(
    sandbox_url: str, mention: Callable[..., dict[str, Any]]
) -> None:
    mention()
    url = f"{sandbox_url}/2/users/{BRAND_ID}/mentions"
    auth = {"Authorization": "Bearer t"}
    plain = requests.get(url, headers=auth, timeout=5).json()
    assert set(plain["data"][0]) == {"id", "text", "edit_history_tweet_ids"}
    assert "includes" not in plain
    some = requests.get(url, params={"tweet.fields": "lang"}, headers=auth, timeout=5).json()
    assert set(some["data"][0]) == {"id", "text", "edit_history_tweet_ids", "lang"}
    assert isinstance(some["data"][0]["id"], str)


def test_since_id_is_exclusive_and_empty_page_has_x_shape(
    x_client: tweepy.Client, mention: Callable[..., dict[str, Any]]
) -> None:
    posted = [mention(f"@hanbit 의견 {n}") for n in range(8)]
    since = posted[4]["id"]
    page = x_client.get_users_mentions(BRAND_ID, since_id=since, max_results=5)
    assert [t.id for t in page.data] == [p["id"] for p in reversed(posted[5:])]
    empty = x_client.get_users_mentions(BRAND_ID, since_id=posted[-1]["id"])
    assert empty.data is None
    assert empty.meta == {"result_count": 0}
    assert empty.includes == {}


def test_late_indexed_mention_is_missed_by_since_id_but_found_by_start_time(
    x_client: tweepy.Client, mention: Callable[..., dict[str, Any]]
) -> None:
    recent = mention("@hanbit 최근 글")
    late = mention("@hanbit 늦게 색인된 글", created_at=datetime.now(UTC) - timedelta(minutes=5))
    assert late["id"] < recent["id"]
    assert x_client.get_users_mentions(BRAND_ID, since_id=recent["id"]).data is None
    overlap = x_client.get_users_mentions(
        BRAND_ID, start_time=datetime.now(UTC) - timedelta(minutes=10)
    )
    assert [t.id for t in overlap.data] == [recent["id"], late["id"]]


def test_mentions_reach_only_the_800_most_recent(
    x_client: tweepy.Client, sandbox_store: SandboxStore, mention: Callable[..., dict[str, Any]]
) -> None:
    oldest = mention("@hanbit 가장 오래된 글")
    with sandbox_store.transaction(write=True) as tx:
        author = sandbox_store.ensure_user(tx, "bulk")
        for n in range(800):
            sandbox_store.create_tweet(tx, author=author, text=f"@hanbit bulk {n}")
    page = x_client.get_users_mentions(BRAND_ID, until_id=oldest["id"] + 1, max_results=100)
    assert page.data is None


@pytest.mark.parametrize("value", [4, 101])
def test_max_results_out_of_range_is_a_400_like_x(x_client: tweepy.Client, value: int) -> None:
    with pytest.raises(tweepy.errors.BadRequest) as caught:
        x_client.get_users_mentions(BRAND_ID, max_results=value)
    assert caught.value.api_messages == [
        f"The `max_results` query parameter value [{value}] is not between 5 and 100"
    ]
    assert caught.value.response.json()["title"] == "Invalid Request"


def test_reply_is_201_with_string_id_and_threads_in_timeline(
    x_client: tweepy.Client, sandbox_store: SandboxStore, mention: Callable[..., dict[str, Any]]
) -> None:
    parent = mention("@hanbit 지하철에서도 5G가 잘 터지면 좋겠어요 #아이디어")
    raw = make_raw_client(x_client)
    response = raw.create_tweet(text="접수했어요! ^HB", in_reply_to_tweet_id=parent["id"])
    assert response.status_code == 201
    data = response.json()["data"]
    assert isinstance(data["id"], str)
    assert data["edit_history_tweet_ids"] == [data["id"]]
    assert data["text"] == "@minji 접수했어요! ^HB"  # X puts the parent's author in front
    reply = next(i for i in timeline(sandbox_store) if i["id"] == data["id"])
    assert reply["in_reply_to_tweet_id"] == str(parent["id"])
    assert reply["conversation_id"] == str(parent["id"])
    assert reply["author_id"] == BRAND_ID


def make_raw_client(client: tweepy.Client) -> tweepy.Client:
    """Return a twin of client that hands back requests.Response objects."""
    twin = tweepy.Client(
        consumer_key="ck",
        consumer_secret="cs",
        access_token="at",
        access_token_secret="ats",
        return_type=requests.Response,
    )
    twin.session.close()
    twin.session = client.session
    return twin


def test_duplicate_content_is_forbidden_with_xs_message(x_client: tweepy.Client) -> None:
    x_client.create_tweet(text="새 요금제 소식을 곧 알려드릴게요")
    with pytest.raises(tweepy.errors.Forbidden) as caught:
        x_client.create_tweet(text="새 요금제 소식을 곧 알려드릴게요")
    assert caught.value.api_messages == [
        "You are not allowed to create a Tweet with duplicate content."
    ]
    assert caught.value.response.json() == {
        "detail": "You are not allowed to create a Tweet with duplicate content.",
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
    }


def test_reply_to_post_that_does_not_mention_brand_is_forbidden(
    x_client: tweepy.Client, mention: Callable[..., dict[str, Any]]
) -> None:
    stranger = mention("오늘 날씨 좋네요", username="stranger")
    with pytest.raises(tweepy.errors.Forbidden) as caught:
        x_client.create_tweet(text="안녕하세요", in_reply_to_tweet_id=stranger["id"])
    assert caught.value.api_messages == [
        "Reply to this conversation is not allowed because you have not been mentioned or"
        " otherwise engaged by the author of the post you are replying to."
    ]


def test_reply_to_deleted_post_is_forbidden(
    x_client: tweepy.Client, sandbox_store: SandboxStore, mention: Callable[..., dict[str, Any]]
) -> None:
    gone = mention("@hanbit 곧 지울 글")
    assert delete_post(sandbox_store, gone["id"])
    with pytest.raises(tweepy.errors.Forbidden) as caught:
        x_client.create_tweet(text="답장", in_reply_to_tweet_id=gone["id"])
    assert caught.value.api_messages == [
        "You attempted to reply to a Tweet that is deleted or not visible to you."
    ]
    with pytest.raises(tweepy.errors.Forbidden):
        x_client.create_tweet(text="답장", in_reply_to_tweet_id=1234567890123456789)


def test_text_length_is_weighted_like_x(x_client: tweepy.Client) -> None:
    with pytest.raises(tweepy.errors.BadRequest) as caught:
        x_client.create_tweet(text="가" * 141)
    assert caught.value.api_messages[0].startswith("Your Tweet text is too long.")
    assert x_client.create_tweet(text="가" * 140).data["text"] == "가" * 140
    assert x_client.create_tweet(text="a" * 280).data["id"]


def test_delete_own_post_then_get_tweet_reports_not_found(x_client: tweepy.Client) -> None:
    created = x_client.create_tweet(text="잠시 후 삭제")
    tweet_id = created.data["id"]
    assert x_client.get_tweet(tweet_id).data.id == int(tweet_id)
    assert x_client.delete_tweet(tweet_id).data == {"deleted": True}
    missing = x_client.get_tweet(tweet_id)
    assert missing.data is None
    assert missing.errors[0]["detail"] == f"Could not find tweet with id: [{tweet_id}]."


def test_search_recent_by_conversation_id(
    x_client: tweepy.Client, mention: Callable[..., dict[str, Any]]
) -> None:
    root = mention("@hanbit 배터리 교체 프로그램 어때요 #아이디어")
    mention("@hanbit 다른 이야기")
    reply = x_client.create_tweet(text="검토할게요 ^JS", in_reply_to_tweet_id=root["id"])
    follow_up = mention("감사합니다!", in_reply_to_tweet_id=reply.data["id"])
    found = x_client.search_recent_tweets(
        f"conversation_id:{root['id']}", tweet_fields=["in_reply_to_user_id", "referenced_tweets"]
    )
    assert [t.id for t in found.data] == [follow_up["id"], int(reply.data["id"]), root["id"]]
    assert found.data[0].in_reply_to_user_id == int(BRAND_ID)
    assert found.data[0].referenced_tweets[0].type == "replied_to"
    from_brand = x_client.search_recent_tweets(f"conversation_id:{root['id']} from:hanbit")
    assert [t.id for t in from_brand.data] == [int(reply.data["id"])]


def test_search_recent_pages_with_next_token(
    x_client: tweepy.Client, mention: Callable[..., dict[str, Any]]
) -> None:
    for n in range(12):
        mention(f"@hanbit 제안 {n} #Idea")
    mention("@hanbit 태그 없음")
    pages = list(tweepy.Paginator(x_client.search_recent_tweets, "#idea", max_results=10))
    assert [len(p.data) for p in pages] == [10, 2]
    with pytest.raises(tweepy.errors.BadRequest):
        x_client.search_recent_tweets("a OR b")


def test_missing_authorization_is_401(sandbox_url: str) -> None:
    response = requests.get(f"{sandbox_url}/2/users/me", timeout=5)
    assert response.status_code == 401
    assert response.json() == {
        "title": "Unauthorized",
        "type": "about:blank",
        "status": 401,
        "detail": "Unauthorized",
    }
    assert "x-rate-limit-remaining" in response.headers


def test_every_response_carries_rate_limit_headers(sandbox_url: str) -> None:
    response = requests.get(
        f"{sandbox_url}/2/users/{BRAND_ID}/mentions",
        headers={"Authorization": "Bearer t"},
        timeout=5,
    )
    assert response.status_code == 200
    assert response.headers["x-rate-limit-limit"] == "300"
    assert response.headers["x-rate-limit-remaining"] == "299"
    assert int(response.headers["x-rate-limit-reset"]) > datetime.now(UTC).timestamp()
