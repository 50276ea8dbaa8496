"""The one paging rule of the staff lists (ideaboard/paging.py): bounded sizes and numbers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ideaboard.ideas.models import Category
from ideaboard.paging import MAX_SIZE, page_number, paginate, paginate_list


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, 1),
        ("", 1),
        ("1", 1),
        ("7", 7),
        (" 3 ", 3),
        ("0", 1),
        ("-1", 1),
        ("abc", 1),
        ("1e3", 1),
        ("2.5", 1),
        ("\uff12", 1),  # a full-width 2 is a digit to Python, not a page number
        ("٣", 1),  # an Arabic-Indic 3, likewise
        ("999999", 999_999),
        ("1000000", 1),  # seven digits: not a page number
        ("9" * 50, 1),
    ],
)
def test_page_number_is_a_small_positive_number_else_one(raw, expected):
    assert page_number(raw) == expected


def test_a_page_of_a_list_says_where_it_is():
    items = list(range(23))
    first = paginate_list(items, 1, 10)
    assert (first.items, first.number, first.pages, first.total) == (items[:10], 1, 3, 23)
    assert not first.has_previous
    assert first.has_next
    last = paginate_list(items, 3, 10)
    assert last.items == [20, 21, 22]
    assert last.has_previous
    assert not last.has_next
    assert last.first_index == 21


@pytest.mark.parametrize("number", [0, -1, 4, 10**9])
def test_a_page_number_out_of_range_is_the_nearest_page(number):
    page = paginate_list(list(range(23)), number, 10)
    assert page.number == (1 if number < 1 else 3)
    assert page.items  # never an empty page while the list has items


def test_the_page_size_is_bounded():
    assert paginate_list(list(range(1000)), 1, 10**6).size == MAX_SIZE
    assert len(paginate_list(list(range(1000)), 1, 10**6).items) == MAX_SIZE
    assert paginate_list(list(range(5)), 1, 0).size == 1


def test_an_empty_list_is_one_empty_page():
    page = paginate_list([], 5, 10)
    assert (page.items, page.number, page.pages, page.total) == ([], 1, 1, 0)


def test_a_query_is_counted_and_sliced_in_the_database(app):
    query = select(Category).order_by(Category.position, Category.id)
    everything = paginate(query, 1, MAX_SIZE).items
    assert len(everything) >= 3
    second = paginate(query, 2, 2)
    assert second.items == everything[2:4]
    assert second.total == len(everything)
    assert second.pages == -(-len(everything) // 2)
    past = paginate(query, 10**6, 2)
    assert past.number == second.pages
    assert past.items == everything[(second.pages - 1) * 2 :]
    rows = paginate(select(Category.slug, Category.id).order_by(Category.id), 1, 2).items
    assert rows[0].slug == everything[0].slug  # several columns come back as rows
