"""Searching the board, called directly: search terms, what matches, similar ideas."""

from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy import select

from ideaboard.extensions import db
from ideaboard.ideas import queries
from ideaboard.ideas.models import Idea
from ideaboard.ideas.search import MAX_TERM_LENGTH, MAX_TERMS, match_all, match_any, terms_of
from tests.ideas.helpers import ids_of


def _matching_ids(query: str | None, *, any_: bool = False) -> set[int]:
    condition = (match_any if any_ else match_all)(terms_of(query))
    assert condition is not None
    return set(db.session.scalars(select(Idea.id).where(condition)))


# --- search terms -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (None, []),
        ("", []),
        ("   ", []),
        ("dark mode", ["dark", "mode"]),
        ("Dark dark DARK mode", ["Dark", "mode"]),
        ('"dark" (mode), please!', ["dark", "mode", "please"]),
        ("데이터   이월", ["데이터", "이월"]),
        ("null\x00byte", ["null", "byte"]),
        ("... !!! ()", []),
        ("100% a_b", ["100%", "a_b"]),
    ],
)
def test_terms_of_splits_strips_and_dedupes(query, expected):
    assert terms_of(query) == expected


def test_terms_of_normalises_to_nfc():
    decomposed = unicodedata.normalize("NFD", "데이터 이월")
    assert decomposed != "데이터 이월"
    assert terms_of(decomposed) == ["데이터", "이월"]
    assert all(unicodedata.is_normalized("NFC", t) for t in terms_of(decomposed))


def test_terms_of_keeps_at_most_eight_terms_of_at_most_64_characters():
    words = [f"word{n}" for n in range(12)]
    assert terms_of(" ".join(words)) == words[:MAX_TERMS]
    assert MAX_TERMS == 8
    assert terms_of("x" * 500) == ["x" * MAX_TERM_LENGTH]


def test_terms_of_dedupes_non_ascii_terms_case_insensitively():
    assert terms_of("Ünïcode ÜNÏCODE ünïcode") == ["Ünïcode"]


def test_match_all_and_match_any_give_no_condition_for_no_terms(app):
    assert match_all([]) is None
    assert match_any([]) is None


# --- search matches ------------------------------------------------------------------------------


@pytest.fixture
def corpus(add_idea) -> dict[str, int]:
    return {
        "rollover": add_idea("데이터 이월 서비스", body="남은 데이터를 다음 달로 넘겨 주세요.").id,
        "5g": add_idea("5G plan for families", body="Share one 5G plan across devices.").id,
        "dark": add_idea("Dark Mode for the App", body="Easier on the eyes at night.").id,
        "roaming": add_idea("Cheaper roaming", body="데이터 로밍 요금이 너무 비싸요 in Japan").id,
        "percent": add_idea("Give 100% refunds", body="For outages longer than a day.").id,
        "snake": add_idea("Rename snake_case fields", body="In the export file.").id,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("데이터 이월", {"rollover"}),
        ("이월", {"rollover"}),  # two characters: below the trigram size
        ("데이터", {"rollover", "roaming"}),  # title of one, body of the other
        ("데이터 japan", {"roaming"}),  # Korean and English together
        ("5G", {"5g"}),
        ("5g families", {"5g"}),
        ("5g dark", set()),  # every term must match
        ("dark", {"dark"}),
        ("DARK MODE", {"dark"}),
        ("dArK app", {"dark"}),
        ("EYES at", {"dark"}),  # a long and a short term, mixed case
        ("eyes NIGHT", {"dark"}),  # found in the body
        ("이월 넘겨", {"rollover"}),
        ("nothing-like-this", set()),
    ],
)
def test_match_all_requires_every_term_in_title_or_body(app, corpus, query, expected):
    assert _matching_ids(query) == {corpus[k] for k in expected}


def test_match_all_finds_a_decomposed_korean_query(app, corpus):
    assert _matching_ids(unicodedata.normalize("NFD", "데이터 이월")) == {corpus["rollover"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("%", {"percent"}),
        ("_", {"snake"}),
        ("100%", {"percent"}),
        ("e_c", {"snake"}),
        ("%%%", set()),
        ("___", set()),
        ("a%e", set()),
        ("d_r", set()),
        ("\\", set()),
    ],
)
def test_like_wildcards_in_a_query_are_literal_characters(app, corpus, query, expected):
    assert _matching_ids(query) == {corpus[k] for k in expected}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"dark', {"dark"}),
        ('dark"', {"dark"}),
        ('"', set()),
        ("AND OR NOT", set()),
        ("dark OR 5g", set()),  # OR is a word to find, not an operator
        ("NEAR(dark mode)", set()),
        ("*", set()),
        ("dar*", set()),  # not a prefix query
        ("^dark", set()),
        ("title:dark", set()),  # not a column filter
    ],
)
def test_fts_syntax_in_a_query_is_searched_as_text_not_interpreted(app, corpus, query, expected):
    found = _matching_ids(query) if terms_of(query) else set()
    assert found == {corpus[k] for k in expected}


def test_match_any_needs_one_term(app, corpus):
    assert _matching_ids("이월 families", any_=True) == {corpus["rollover"], corpus["5g"]}


# --- similar ideas --------------------------------------------------------------------------------


def test_similar_ideas_ranks_the_closest_first_not_the_most_popular(app, add_idea):
    close = add_idea("Roll over unused mobile data to next month", score=1)
    partial = add_idea("Show unused data in the app", score=80)
    add_idea("Dark mode for the app", score=40)
    found = queries.similar_ideas("roll over unused data")
    assert ids_of(found) == [close.id, partial.id]


def test_similar_ideas_finds_korean_titles(app, add_idea):
    rollover = add_idea("데이터 이월 서비스")
    add_idea("요금제 변경 알림")
    assert ids_of(queries.similar_ideas("데이터 이월")) == [rollover.id]
    assert ids_of(queries.similar_ideas("이월")) == [rollover.id]


def test_similar_ideas_leaves_out_hidden_ideas_for_customers(app, add_idea, make_user):
    add_idea("Roll over unused data", hidden=True)
    shown = add_idea("Roll over unused data, please")
    assert ids_of(queries.similar_ideas("roll over unused data")) == [shown.id]
    customer = make_user()
    assert ids_of(queries.similar_ideas("roll over unused data", viewer=customer)) == [shown.id]


def test_similar_ideas_leaves_out_weak_matches(app, add_idea):
    add_idea("Family plan", body="Maybe data too.")
    assert queries.similar_ideas("roll over unused data monthly") == []


@pytest.mark.parametrize("title", ["", " ", "a", "?", "... ,,,"])
def test_similar_ideas_is_empty_for_input_too_short_to_compare(app, add_idea, title):
    add_idea("a b c ? roll over")
    assert queries.similar_ideas(title) == []


def test_similar_ideas_respects_the_limit(app, add_idea):
    for n in range(8):
        add_idea(f"Roaming pass {n}")
    assert len(queries.similar_ideas("roaming pass", limit=3)) == 3
