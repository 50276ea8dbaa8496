"""Korean search on both databases: short words, mixed scripts, decomposed input.

Runs on SQLite (FTS5 trigram + LIKE for 1–2 character terms) and, with `--db postgresql`,
on PostgreSQL (ILIKE served by pg_trgm); see docs/search.md.
"""

from __future__ import annotations

import unicodedata

import pytest

from ideaboard.ideas import queries


@pytest.fixture
def ideas(make_idea, make_user):  # type: ignore[no-untyped-def]
    author = make_user()
    made = {
        "rollover": ("데이터 이월 서비스", "남은 데이터를 다음 달로 넘겨 주세요."),
        "bill": ("요금 고지서를 앱으로", "종이 요금 고지서 대신 알림으로 받고 싶어요."),
        "roaming": ("Cheaper roaming in Japan", "일본 로밍 요금제가 너무 비싸요."),
        "5g": ("지하철 5G 속도 개선", "Subway 5G drops between stations."),
        "family": ("가족 결합 할인", "Family plan discount for 3 lines 👨‍👩‍👧"),
    }
    return {key: make_idea(author, title=t, body=b).id for key, (t, b) in made.items()}


def _found(query: str) -> set[int]:
    return {idea.id for idea in queries.list_ideas(q=query, limit=100).items}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("이월", {"rollover"}),  # two syllables: below the trigram size
        ("요금", {"bill", "roaming"}),  # in a title and inside a longer word of a body
        ("요금제", {"roaming"}),
        ("고지서", {"bill"}),
        ("월", {"rollover"}),  # one syllable
        ("데이터 이월", {"rollover"}),
        ("요금 Japan", {"roaming"}),  # Korean and English together
        ("japan 요금", {"roaming"}),  # either order, any case
        ("5G 지하철", {"5g"}),
        ("5g subway", {"5g"}),
        ("가족 family", {"family"}),
        ("요금 지하철", set()),  # every term must match
        ("가족 👨‍👩‍👧", {"family"}),
    ],
)
def test_korean_and_mixed_queries_find_ideas(app, ideas, query, expected):
    assert _found(query) == {ideas[key] for key in expected}


def test_a_decomposed_korean_query_finds_composed_text(app, ideas):
    decomposed = unicodedata.normalize("NFD", "요금 고지서")
    assert decomposed != "요금 고지서"
    assert _found(decomposed) == {ideas["bill"]}


def test_decomposed_input_is_stored_composed_and_found(app, make_idea):
    idea = make_idea(title=unicodedata.normalize("NFD", "번호 이동 혜택"))
    assert idea.title == "번호 이동 혜택"
    assert _found("이동") == {idea.id}


def test_the_board_search_box_finds_a_two_syllable_word(client, ideas):
    html = client.get("/", query_string={"q": "이월"}).get_data(as_text=True)
    assert "데이터 이월 서비스" in html
    assert "요금 고지서를 앱으로" not in html
