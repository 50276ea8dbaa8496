"""The Mastodon connector through the real Mastodon.py, over HTTP, against the sandbox server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ideaboard.social import mastodon as mastodon_module
from ideaboard.social.connectors import Connector, FetchError, Identity, SendError
from ideaboard.social.mastodon import InstanceLimits, MastodonConnector, reply_limit
from ideaboard.social.mastodon_text import post_length
from sandboxes.mastodon import delete_status, post_mention
from tests.social.mastodon_helpers import BRAND_ACCOUNT_ID, brand_statuses


def test_the_connector_meets_the_connector_protocol(mastodon_connector: MastodonConnector) -> None:
    connector: Connector = mastodon_connector
    assert connector.network == "mastodon"


def test_the_connector_learns_the_brand_account_once(mastodon_connector: MastodonConnector) -> None:
    assert mastodon_connector.account_id == BRAND_ACCOUNT_ID
    assert mastodon_connector.me() is mastodon_connector.me()


def test_identify_names_the_account_and_the_servers_limit(
    make_mastodon_sandbox: Callable[..., tuple[str, Any]],
    make_mastodon_connector: Callable[..., MastodonConnector],
) -> None:
    url, _store = make_mastodon_sandbox(max_characters=1000)
    assert make_mastodon_connector(url).identify() == Identity(
        remote_user_id=BRAND_ACCOUNT_ID,
        username="hanbit",
        display_name="Hanbit Telecom",
        post_limit=1000 - 80,  # room kept for "@author " and a content warning
    )


def test_construction_makes_no_request_and_refuses_plain_http_elsewhere() -> None:
    # Port 9 on loopback: nothing listens; constructing must not try to connect.
    connector = MastodonConnector(base_url="http://127.0.0.1:9", access_token="t")
    connector.close()
    with pytest.raises(ValueError, match="https"):
        MastodonConnector(base_url="http://mastodon.example", access_token="t")
    with pytest.raises(ValueError, match="token"):
        MastodonConnector(base_url="https://mastodon.example", access_token="")
    connector = MastodonConnector(base_url="https://m.example", access_token="s3cret-tok")
    assert "s3cret-tok" not in repr(connector)
    connector.close()


def test_a_mention_carries_text_author_tags_language_and_links(
    mastodon_connector: MastodonConnector, mastodon_store: Any
) -> None:
    status = post_mention(
        mastodon_store,
        acct="minji@other.example",
        display_name="김민지",
        text=(
            "@hanbit 지하철에서도 5G가 잘 터지면 좋겠어요 & 빨리요 <b>진짜</b>\n"
            "둘째 줄 #아이디어 #5G"
        ),
    )
    [mention] = mastodon_connector.fetch_mentions(since_id=None, start_time=None)
    assert mention.id == str(status["id"])
    assert mention.text == (
        "@hanbit 지하철에서도 5G가 잘 터지면 좋겠어요 & 빨리요 <b>진짜</b>\n둘째 줄 #아이디어 #5G"
    )
    assert mention.hashtags == ["아이디어", "5G"]
    assert mention.author_handle == "minji@other.example"
    assert mention.author_name == "김민지"
    assert mention.author_id.isdigit()
    assert mention.author_id != BRAND_ACCOUNT_ID
    assert mention.lang == "ko"
    assert mention.network == "mastodon"
    assert mention.permalink.endswith(f"/@minji@other.example/{status['id']}")
    assert mention.url == mention.permalink
    assert mention.created_at is not None
    assert mention.created_at.tzinfo is not None
    assert mention.replied_to is None
    assert mention.quoted is None
    assert not mention.is_retweet
    assert mention.cursor.isdigit()
    assert mention.position == mention.cursor


def test_a_local_author_gets_a_full_handle_naming_the_brands_server(
    mastodon_connector: MastodonConnector, mastodon_store: Any, mastodon_url: str
) -> None:
    post_mention(mastodon_store, acct="jisoo", text="@hanbit 같은 서버에서 #아이디어")
    [mention] = mastodon_connector.fetch_mentions(since_id=None, start_time=None)
    assert mention.author_handle == "jisoo@" + mastodon_url.removeprefix("http://")


def test_replies_and_quotes_are_linked(
    mastodon_connector: MastodonConnector, mastodon_store: Any
) -> None:
    first = post_mention(mastodon_store, acct="minji", text="@hanbit 처음")
    reply = post_mention(mastodon_store, acct="jisoo", text="@hanbit 저도요", reply_to=first["id"])
    quote = post_mention(
        mastodon_store, acct="jisoo", text="@hanbit 이것 보세요", quote_of=first["id"]
    )
    mentions = {m.id: m for m in mastodon_connector.fetch_mentions(since_id=None, start_time=None)}
    assert mentions[str(reply["id"])].replied_to == str(first["id"])
    # The sandbox puts the parent's author in front, as Mastodon's compose box does.
    assert mentions[str(reply["id"])].text == "@minji @hanbit 저도요"
    assert mentions[str(quote["id"])].quoted == str(first["id"])


def test_only_mentions_of_the_brand_come_in(
    mastodon_connector: MastodonConnector, mastodon_store: Any
) -> None:
    post_mention(mastodon_store, acct="minji", text="혼잣말 #아이디어")
    post_mention(mastodon_store, acct="minji", text="@jisoo 안녕")
    wanted = post_mention(mastodon_store, acct="minji", text="@hanbit 안녕")
    mentions = mastodon_connector.fetch_mentions(since_id=None, start_time=None)
    assert [m.id for m in mentions] == [str(wanted["id"])]


def test_paging_reads_every_mention_once_oldest_first_and_resumes_after_the_cursor(
    mastodon_connector: MastodonConnector,
    mastodon_store: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(mastodon_module, "PAGE_SIZE", 4)
    posted = [post_mention(mastodon_store, acct=f"user{i}", text=f"@hanbit {i}") for i in range(10)]
    first = mastodon_connector.fetch_mentions(since_id=None, start_time=None)
    assert [m.id for m in first] == [str(p["id"]) for p in posted]
    later = [post_mention(mastodon_store, acct="minji", text=f"@hanbit 더 {i}") for i in range(9)]
    again = mastodon_connector.fetch_mentions(since_id=first[-1].position, start_time=None)
    assert [m.id for m in again] == [str(p["id"]) for p in later]
    assert mastodon_connector.fetch_mentions(since_id=again[-1].position, start_time=None) == []


def test_a_page_cap_leaves_the_rest_for_the_next_round(
    mastodon_connector: MastodonConnector,
    mastodon_store: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(mastodon_module, "PAGE_SIZE", 2)
    monkeypatch.setattr(mastodon_module, "MAX_PAGES", 2)
    start = post_mention(mastodon_store, acct="minji", text="@hanbit 시작")
    [seen] = mastodon_connector.fetch_mentions(since_id=None, start_time=None)
    assert seen.id == str(start["id"])
    posted = [post_mention(mastodon_store, acct="minji", text=f"@hanbit {i}") for i in range(7)]
    got: list[str] = []
    cursor = seen.position
    for _round in range(3):
        batch = mastodon_connector.fetch_mentions(since_id=cursor, start_time=None)
        assert len(batch) <= 4
        got += [m.id for m in batch]
        cursor = batch[-1].position if batch else cursor
    assert got == [str(p["id"]) for p in posted]  # nothing skipped, nothing twice


def test_the_overlap_re_read_returns_everything_since_the_time_once(
    mastodon_connector: MastodonConnector,
    mastodon_store: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(mastodon_module, "PAGE_SIZE", 3)
    old = [post_mention(mastodon_store, acct="minji", text=f"@hanbit 옛날 {i}") for i in range(4)]
    with mastodon_store.transaction(write=True) as tx:  # these four came an hour ago
        tx.executemany(
            "UPDATE notifications SET created_at = '2020-01-01T00:00:00.000Z' WHERE status_id = ?",
            [(s["id"],) for s in old],
        )
    since = datetime.now(UTC) - timedelta(minutes=5)
    recent = [
        post_mention(mastodon_store, acct="minji", text=f"@hanbit 최근 {i}") for i in range(7)
    ]
    mentions = mastodon_connector.fetch_mentions(since_id=None, start_time=since)
    assert [m.id for m in mentions] == [str(p["id"]) for p in recent]
    # The cursor-based read right after sees nothing new; the overlap saw nothing twice.
    assert mastodon_connector.fetch_mentions(since_id=mentions[-1].position, start_time=None) == []


def test_a_deleted_mention_is_not_read(
    mastodon_connector: MastodonConnector, mastodon_store: Any
) -> None:
    gone = post_mention(mastodon_store, acct="minji", text="@hanbit 지울게요")
    kept = post_mention(mastodon_store, acct="minji", text="@hanbit 남아요")
    delete_status(mastodon_store, gone["id"])
    assert [m.id for m in mastodon_connector.fetch_mentions(since_id=None, start_time=None)] == [
        str(kept["id"])
    ]


def test_cursor_key_orders_notification_ids_as_numbers() -> None:
    key = MastodonConnector.cursor_key
    assert key("10") > key("9")
    assert key("abc") < key("abd")


@pytest.mark.parametrize(
    ("visibility", "public_visibility", "expected"),
    [
        ("public", "unlisted", "unlisted"),
        ("public", "public", "public"),
        ("unlisted", "public", "unlisted"),
        ("private", "public", "private"),
        ("direct", "public", "direct"),
    ],
)
def test_a_reply_keeps_the_mentions_visibility_or_less_and_mentions_the_author(
    make_mastodon_connector: Callable[..., MastodonConnector],
    mastodon_url: str,
    mastodon_store: Any,
    visibility: str,
    public_visibility: str,
    expected: str,
) -> None:
    connector = make_mastodon_connector(mastodon_url, public_visibility=public_visibility)
    status = post_mention(
        mastodon_store, acct="minji@other.example", text="@hanbit 비밀 제안", visibility=visibility
    )
    posted = connector.post_reply("검토하겠습니다. 감사합니다!", str(status["id"]))
    [reply] = brand_statuses(mastodon_store)
    assert posted.id == str(reply["id"])
    assert reply["visibility"] == expected
    assert reply["in_reply_to_id"] == status["id"]
    assert reply["text"] == "@minji@other.example 검토하겠습니다. 감사합니다!"
    assert reply["language"] == "ko"
    assert posted.url.endswith(f"/@hanbit/{posted.id}")
    # The author is mentioned, so the reply reaches them even when direct: it is in their
    # notifications.
    with mastodon_store.transaction() as tx:
        row = tx.execute(
            "SELECT a.acct_lower FROM notifications n JOIN accounts a ON a.id = n.account_id"
            " WHERE n.status_id = ?",
            (reply["id"],),
        ).fetchone()
    assert row["acct_lower"] == "minji@other.example"


def test_a_reply_keeps_the_content_warning_and_does_not_mention_twice(
    mastodon_connector: MastodonConnector, mastodon_store: Any
) -> None:
    status = post_mention(
        mastodon_store, acct="minji", text="@hanbit 요금 불만", spoiler_text="요금 이야기"
    )
    mastodon_connector.post_reply("@minji Thanks, noted.", str(status["id"]))
    [reply] = brand_statuses(mastodon_store)
    assert reply["spoiler_text"] == "요금 이야기"
    assert reply["text"] == "@minji Thanks, noted."
    assert reply["language"] == "en"


def test_post_is_a_public_status(
    mastodon_connector: MastodonConnector, mastodon_store: Any
) -> None:
    posted = mastodon_connector.post("새 소식: 5G 개선 #아이디어")
    [status] = brand_statuses(mastodon_store)
    assert (status["visibility"], status["in_reply_to_id"]) == ("public", None)
    assert posted.id == str(status["id"])


def test_sending_the_same_reply_again_within_the_hour_returns_the_first(
    mastodon_connector: MastodonConnector, mastodon_store: Any
) -> None:
    status = post_mention(mastodon_store, acct="minji", text="@hanbit 제안")
    first = mastodon_connector.post_reply("고맙습니다", str(status["id"]))
    second = mastodon_connector.post_reply("고맙습니다", str(status["id"]))
    assert first == second
    assert len(brand_statuses(mastodon_store)) == 1


def test_find_reply_finds_our_reply_by_its_text_only(
    mastodon_connector: MastodonConnector, mastodon_store: Any
) -> None:
    status = post_mention(mastodon_store, acct="minji", text="@hanbit 제안", visibility="direct")
    assert mastodon_connector.find_reply(str(status["id"]), "검토 중입니다") is None
    posted = mastodon_connector.post_reply(
        "검토 중입니다 https://ideas.example/i/1", str(status["id"])
    )
    # A customer's reply with the same words is not ours.
    post_mention(mastodon_store, acct="jisoo", text="@hanbit 검토 중입니다", reply_to=status["id"])
    assert (
        mastodon_connector.find_reply(str(status["id"]), "검토 중입니다 https://ideas.example/i/1")
        == posted.id
    )
    assert mastodon_connector.find_reply(str(status["id"]), "다른 글") is None
    assert mastodon_connector.find_reply("999999", "검토 중입니다") is None


def test_the_instance_limit_is_read_and_enforced(
    make_mastodon_sandbox: Callable[..., tuple[str, Any]],
    make_mastodon_connector: Callable[..., MastodonConnector],
) -> None:
    url, store = make_mastodon_sandbox(max_characters=1000)
    connector = make_mastodon_connector(url)
    limits = connector.instance_limits()
    assert limits == InstanceLimits(max_characters=1000, characters_reserved_per_url=23)
    status = post_mention(store, acct="minji", text="@hanbit 긴 답을 주세요", spoiler_text="긴 글")
    room = reply_limit(limits, "minji", "긴 글")
    assert room == 1000 - post_length("@minji ", "긴 글")
    connector.post_reply("가" * room, str(status["id"]))  # exactly at the limit: accepted
    assert brand_statuses(store)[0]["spoiler_text"] == "긴 글"
    too_long = "나" * (1000 - len("@minji ") + 1)  # over the limit even without the warning
    with pytest.raises(SendError) as error:
        connector.post_reply(too_long, str(status["id"]))
    assert error.value.final
    assert "1000" in error.value.message
    assert len(brand_statuses(store)) == 1


def test_the_default_instance_allows_500(mastodon_connector: MastodonConnector) -> None:
    assert mastodon_connector.instance_limits().max_characters == 500


def test_the_brands_full_handle_names_the_server(
    mastodon_connector: MastodonConnector, mastodon_url: str
) -> None:
    host = mastodon_url.removeprefix("http://")
    assert mastodon_connector.account_handle() == f"hanbit@{host}"


def test_an_access_token_is_never_read_from_a_file_it_happens_to_name(
    make_mastodon_connector: Callable[..., MastodonConnector], mastodon_url: str, tmp_path: Any
) -> None:
    from sandboxes.mastodon import DEFAULT_TOKEN

    path = tmp_path / "token.txt"
    path.write_text(DEFAULT_TOKEN + "\n")
    connector = make_mastodon_connector(mastodon_url, access_token=str(path))
    with pytest.raises(FetchError) as error:  # the path itself went out as the token
        connector.fetch_mentions(since_id=None, start_time=None)
    assert error.value.auth


def test_old_servers_fall_back_to_the_v1_instance_then_to_500(
    make_mastodon_connector: Callable[..., MastodonConnector],
) -> None:
    from flask import Flask, jsonify

    from tests.helpers import serve

    statuses: dict[str, int] = {}
    old = Flask("old-mastodon")  # a server from before /api/v2/instance

    @old.get("/api/v1/instance/", strict_slashes=False)
    def instance_v1() -> Any:
        return jsonify({"uri": "old.example", "configuration": {"statuses": statuses}})

    older = Flask("older-mastodon")  # no instance document at all
    with serve(old) as old_url, serve(older) as older_url:
        assert make_mastodon_connector(old_url).instance_limits() == InstanceLimits(500, 23)
        assert make_mastodon_connector(older_url).instance_limits() == InstanceLimits(500, 23)
        statuses["max_characters"] = 640
        assert make_mastodon_connector(old_url).instance_limits() == InstanceLimits(640, 23)


def test_continuing_our_own_reply_addresses_the_customer_not_ourselves(
    mastodon_connector: MastodonConnector, mastodon_store: Any
) -> None:
    status = post_mention(
        mastodon_store,
        acct="minji@other.example",
        text="@hanbit 긴 답 부탁해요",
        visibility="direct",
        spoiler_text="요금",
    )
    first = mastodon_connector.post_reply("첫째 부분", str(status["id"]))
    mastodon_connector.post_reply("둘째 부분", first.id)
    replies = brand_statuses(mastodon_store)
    assert [r["text"] for r in replies] == [
        "@minji@other.example 첫째 부분",
        "@minji@other.example 둘째 부분",
    ]
    assert [(r["visibility"], r["spoiler_text"]) for r in replies] == [("direct", "요금")] * 2
    assert replies[1]["in_reply_to_id"] == replies[0]["id"]


def test_a_long_content_warning_is_shortened_only_as_far_as_the_limit_needs(
    mastodon_connector: MastodonConnector, mastodon_store: Any
) -> None:
    warning = "주의 " + "가" * 200
    status = post_mention(mastodon_store, acct="minji", text="@hanbit 제안", spoiler_text=warning)
    text = "나" * 400  # within the text budget (420): with the warning it would be 611
    mastodon_connector.post_reply(text, str(status["id"]))
    [reply] = brand_statuses(mastodon_store)
    assert reply["spoiler_text"].endswith("…")
    assert warning.startswith(reply["spoiler_text"][:-1])
    assert post_length(reply["text"], reply["spoiler_text"]) == 500  # as much as fits
    short = post_mention(mastodon_store, acct="minji", text="@hanbit 또", spoiler_text="요금")
    mastodon_connector.post_reply(text, str(short["id"]))
    assert brand_statuses(mastodon_store)[-1]["spoiler_text"] == "요금"  # whole when it fits


def test_a_burst_over_the_page_cap_is_read_on_across_rounds_even_with_an_overlap_time(
    mastodon_connector: MastodonConnector,
    mastodon_store: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(mastodon_module, "PAGE_SIZE", 3)
    monkeypatch.setattr(mastodon_module, "MAX_PAGES", 2)
    first = post_mention(mastodon_store, acct="minji", text="@hanbit 처음")
    [seen] = mastodon_connector.fetch_mentions(since_id=None, start_time=None)
    assert seen.id == str(first["id"])
    burst = [post_mention(mastodon_store, acct="minji", text=f"@hanbit {i}") for i in range(14)]
    overlap = datetime.now(UTC) - timedelta(minutes=10)  # the importer's re-read time
    got: list[str] = []
    cursor = seen.position
    for _round in range(4):
        batch = mastodon_connector.fetch_mentions(since_id=cursor, start_time=overlap)
        got += [m.id for m in batch]
        cursor = batch[-1].position if batch else cursor
    assert got == [str(p["id"]) for p in burst]  # 6 per round, none lost, none twice


def test_a_direct_message_from_a_stranger_comes_in_though_mastodon_filters_it(
    mastodon_connector: MastodonConnector, mastodon_store: Any
) -> None:
    direct = post_mention(
        mastodon_store, acct="stranger@other.example", text="@hanbit 몰래 제안", visibility="direct"
    )
    [mention] = mastodon_connector.fetch_mentions(since_id=None, start_time=None)
    assert mention.id == str(direct["id"])
