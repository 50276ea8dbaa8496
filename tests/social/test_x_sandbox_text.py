"""Entities, weighted length and language, as the sandbox computes them for new posts."""

from __future__ import annotations

import pytest

from sandboxes.x.text import build_text_and_entities, detect_lang, weighted_length


def _resolve(username: str) -> str | None:
    return {"hanbit": "1", "kim": "2"}.get(username.lower())


def test_hashtags_and_mentions_use_code_point_offsets() -> None:
    text, entities = build_text_and_entities(
        "🙂 @Hanbit 요금제 #아이디어 #Idea #2026 @nobody", 1, _resolve
    )
    assert text.startswith("🙂 @Hanbit")
    assert entities["hashtags"] == [
        {"start": 14, "end": 19, "tag": "아이디어"},
        {"start": 20, "end": 25, "tag": "Idea"},
    ]
    assert entities["mentions"] == [{"start": 2, "end": 9, "username": "Hanbit", "id": "1"}]


def test_urls_are_wrapped_in_tco_links_with_expanded_url() -> None:
    text, entities = build_text_and_entities(
        "보기 https://ideas.example.com/ideas/42 #idea", 99, _resolve
    )
    (url,) = entities["urls"]
    assert text[url["start"] : url["end"]] == url["url"]
    assert url["url"].startswith("https://t.co/")
    assert len(url["url"]) == 23
    assert url["expanded_url"] == "https://ideas.example.com/ideas/42"
    assert entities["hashtags"][0]["tag"] == "idea"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("가" * 140, 280), ("a" * 280, 280), ("see https://example.com/" + "x" * 200, 27), ("€", 2)],
)
def test_weighted_length(text: str, expected: int) -> None:
    assert weighted_length(text) == expected


def test_detect_lang() -> None:
    assert detect_lang("@hanbit 5G 좋아요") == "ko"
    assert detect_lang("@hanbit great") == "en"
