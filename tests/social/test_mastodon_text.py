"""Mastodon text rules: status HTML to plain text, the length Mastodon counts, reply visibility."""

from __future__ import annotations

import pytest

from ideaboard.social.mastodon import reply_visibility
from ideaboard.social.mastodon_text import html_to_text, language_of, post_length


def test_html_to_text_keeps_korean_and_decodes_entities() -> None:
    html = "<p>지하철에서도 5G가 &amp; LTE가 &lt;잘&gt; 터지면"
    html += " 좋겠어요 &quot;진짜로&quot; &#xAC00;</p>"
    assert html_to_text(html) == '지하철에서도 5G가 & LTE가 <잘> 터지면 좋겠어요 "진짜로" 가'


def test_html_to_text_turns_breaks_into_newlines_and_paragraphs_into_blank_lines() -> None:
    html = "<p>첫 줄<br>둘째 줄<br />셋째 줄</p><p>다음 문단</p>"
    assert html_to_text(html) == "첫 줄\n둘째 줄\n셋째 줄\n\n다음 문단"


def test_html_to_text_writes_mention_links_as_acct_and_keeps_hashtags_and_full_urls() -> None:
    html = (
        '<p><span class="h-card" translate="no"><a href="https://other.example/@minji" '
        'class="u-url mention">@<span>minji</span></a></span> '
        '<span class="h-card"><a href="https://brand.example/@hanbit" class="u-url mention">'
        "@<span>hanbit</span></a></span> "
        '<a href="https://brand.example/tags/아이디어" class="mention hashtag" rel="tag">'
        "#<span>아이디어</span></a> "
        '<a href="https://example.com/a/long/path"><span class="invisible">https://</span>'
        '<span class="ellipsis">example.com/a/long</span><span class="invisible">/path</span></a>'
        "</p>"
    )
    mentions = {"https://other.example/@minji": "minji@other.example"}
    assert html_to_text(html, mentions) == (
        "@minji@other.example @hanbit #아이디어 https://example.com/a/long/path"
    )


def test_html_to_text_keeps_escaped_markup_as_harmless_text_and_drops_script_elements() -> None:
    escaped = "<p>&lt;script&gt;alert(1)&lt;/script&gt; 안녕</p>"
    assert html_to_text(escaped) == "<script>alert(1)</script> 안녕"
    raw = (
        '<p>안녕<script>alert("x")</script><style>p{}</style> 하세요'
        "<img src=x onerror=alert(1)></p>"
    )
    assert html_to_text(raw) == "안녕 하세요"


def test_html_to_text_survives_broken_html() -> None:
    assert html_to_text("<p>열린 <b>태그 <a href='x'>링크") == "열린 태그 링크"
    assert html_to_text("") == ""
    assert html_to_text("</p></a></script>끝") == "끝"


def test_post_length_counts_graphemes_urls_as_23_and_remote_mentions_without_domain() -> None:
    assert post_length("아이디어") == 4
    assert post_length("👍🏽 가") == 3  # one emoji with its skin tone is one character
    assert post_length("see https://example.com/" + "a" * 200) == 4 + 23
    assert post_length("https://example.com/x.") == 24  # the full stop is not part of the URL
    assert post_length("@minji@other.example 안녕") == len("@minji 안녕")
    assert post_length("@minji 안녕") == len("@minji 안녕")


def test_post_length_counts_the_content_warning_too() -> None:
    assert post_length("본문", "스포일러") == 6


def test_post_length_honours_the_servers_url_reservation() -> None:
    assert post_length("https://example.com/", url_characters=30) == 30


@pytest.mark.parametrize(
    ("mention", "public_visibility", "reply"),
    [
        ("public", "unlisted", "unlisted"),
        ("public", "public", "public"),
        ("unlisted", "public", "unlisted"),
        ("unlisted", "unlisted", "unlisted"),
        ("private", "public", "private"),
        ("direct", "public", "direct"),
        ("direct", "unlisted", "direct"),
        ("limited", "public", "direct"),  # a visibility we do not know is treated as direct
        (None, "public", "direct"),
    ],
)
def test_a_reply_is_never_more_public_than_the_mention(
    mention: str | None, public_visibility: str, reply: str
) -> None:
    assert reply_visibility(mention, public_visibility) == reply


def test_language_of_a_reply_is_korean_when_it_has_hangul() -> None:
    assert language_of("감사합니다! Thanks") == "ko"
    assert language_of("Thanks!") == "en"


def test_html_to_text_leaves_out_the_quote_fallback_paragraph() -> None:
    html = (
        '<p class="quote-inline">RE: <a href="https://m.example/@a/1">'
        "https://m.example/@a/1</a></p><p>이 글 좋아요</p>"
    )
    assert html_to_text(html) == "이 글 좋아요"


def test_html_to_text_of_a_large_status_is_linear() -> None:
    html = "<p>가나다</p>" * 20_000
    text = html_to_text(html)
    assert text.count("가나다") == 20_000
    assert text.count("\n\n") == 19_999
