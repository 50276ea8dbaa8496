"""Lengths as people count them: grapheme clusters, on NFC text; trimming never splits one."""

from __future__ import annotations

import unicodedata

import pytest

from ideaboard.errors import ValidationFailed
from ideaboard.ideas import services as ideas
from ideaboard.text import check_length, clean_text, graphemes, truncate

FAMILY = "👨‍👩‍👧"  # five code points, one character on screen
FLAG = "🇰🇷"  # two regional indicators
THUMB = "👍🏽"  # a skin-tone modifier
ACCENT = "e\u0301"  # e + combining acute: NFC makes it é, but some marks have no composed form
HANGUL_JAMO = "\u1112\u1161\u11ab"  # 한 as three conjoining jamo


@pytest.mark.parametrize(
    ("text", "count"),
    [(FAMILY, 1), (FLAG, 1), (THUMB, 1), (ACCENT, 1), (HANGUL_JAMO, 1), ("한국어", 3),
     ("a" + FAMILY + "b", 3), ("q\u0307\u0323", 1)],
)  # fmt: skip
def test_graphemes_count_what_people_see(text, count):
    assert len(graphemes(text)) == count


def _check(text: str, maximum: int, **kwargs) -> None:  # type: ignore[no-untyped-def]
    check_length(text, field="title", label="Title", minimum=1, maximum=maximum, **kwargs)


def test_check_length_counts_an_emoji_family_as_one(app):
    _check(FAMILY, 1, stored_max=None)
    _check("가" * 4 + FAMILY, 5, stored_max=None)
    with pytest.raises(ValidationFailed) as caught:
        _check("가" * 5 + FAMILY, 5, stored_max=None)
    assert "(it has 6)" in caught.value.message


def test_check_length_counts_combining_marks_with_their_letter(app):
    _check("q\u0307\u0323" * 3, 3, stored_max=None)
    with pytest.raises(ValidationFailed):
        _check("q\u0307\u0323" * 4, 3, stored_max=None)


def test_check_length_minimum_counts_graphemes_too(app):
    with pytest.raises(ValidationFailed) as caught:
        check_length(FAMILY * 4, field="title", label="Title", minimum=5, maximum=140)
    assert "at least 5" in caught.value.message
    check_length(FAMILY * 5, field="title", label="Title", minimum=5, maximum=140, stored_max=None)


def test_check_length_protects_a_varchar_column_by_code_points(app):
    # 140 characters on screen, 700 code points: too many for VARCHAR(140) on PostgreSQL.
    with pytest.raises(ValidationFailed) as caught:
        _check(FAMILY * 140, 140)
    assert "too long to store" in caught.value.message
    _check(FAMILY * 28, 140)  # 140 code points fit


def test_a_title_of_140_korean_syllables_or_with_emoji_is_accepted(app, make_user):
    idea = ideas.submit_idea(make_user(), "가" * 139 + "!")
    assert len(idea.title) == 140
    idea = ideas.submit_idea(make_user(), f"가족 요금제 {FAMILY} 할인")
    assert len(graphemes(idea.title)) == 11


def test_a_title_of_five_emoji_families_meets_the_minimum_of_five(app, make_user):
    assert ideas.submit_idea(make_user(), FAMILY * 5).title == FAMILY * 5


def test_a_title_of_four_graphemes_is_too_short_even_with_many_code_points(app, make_user):
    with pytest.raises(ValidationFailed):
        ideas.submit_idea(make_user(), FAMILY * 4)


def test_input_is_nfc_normalised_before_it_is_counted_and_stored(app, make_user):
    decomposed = unicodedata.normalize("NFD", "데이터 이월 서비스")
    assert len(decomposed) > len("데이터 이월 서비스")
    assert clean_text(decomposed, field="title", label="Title") == "데이터 이월 서비스"
    assert ideas.submit_idea(make_user(), decomposed).title == "데이터 이월 서비스"


@pytest.mark.parametrize("text", [FAMILY * 30, "데이터 이월 " * 20, (FLAG + THUMB) * 40])
def test_truncate_never_splits_a_grapheme(text):
    short = truncate(text, 25)
    assert len(graphemes(short)) <= 25
    assert short.endswith("…")
    body = short.removesuffix("…")
    assert text.startswith(body)
    assert graphemes(body) == graphemes(text)[: len(graphemes(body))]
