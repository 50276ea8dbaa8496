"""Reading the board, called directly: tab orders, keyset pages, visibility, personal lists."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from ideaboard.accounts.models import Role
from ideaboard.errors import ValidationFailed
from ideaboard.extensions import db
from ideaboard.ideas import queries, services
from ideaboard.ideas.models import Idea
from ideaboard.ideas.queries import Sort
from ideaboard.ideas.ranking import hot_rank
from ideaboard.triage.models import Stage
from tests.ideas.helpers import T0, ids_of


def _cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _walk(sort: Sort, limit: int, viewer=None, **filters) -> list[list[int]]:
    """Follow next_cursor from the first page to the last; return the ids page by page."""
    pages: list[list[int]] = []
    cursor = None
    while True:
        page = queries.list_ideas(sort=sort, cursor=cursor, limit=limit, viewer=viewer, **filters)
        pages.append(ids_of(page.items))
        assert len(pages) < 50, "the pages never end"
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


# --- parse_sort ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, Sort.TRENDING), ("", Sort.TRENDING), ("trending", Sort.TRENDING),
     ("top", Sort.TOP), ("new", Sort.NEW)],
)  # fmt: skip
def test_parse_sort_accepts_the_three_tabs_and_defaults_to_trending(app, raw, expected):
    assert queries.parse_sort(raw) is expected


@pytest.mark.parametrize("raw", ["hot", "TOP", "new ", "'; drop table ideas; --"])
def test_parse_sort_refuses_unknown_names(app, raw):
    with pytest.raises(ValidationFailed) as caught:
        queries.parse_sort(raw)
    assert caught.value.field == "sort"


# --- tab orders -----------------------------------------------------------------------------


def test_trending_order_follows_the_stored_hot_rank_not_the_score(app, add_idea):
    # Ranks set by hand, deliberately unlike the scores: the tab must read the stored column.
    low = add_idea("Low rank but top score", score=50, hot=1.0)
    high = add_idea("High rank", score=0, hot=3.0)
    middle = add_idea("Middle rank", score=-2, hot=2.0)
    page = queries.list_ideas(sort=Sort.TRENDING)
    assert ids_of(page.items) == [high.id, middle.id, low.id]


def test_trending_puts_the_newer_of_two_equal_scores_first(app, add_idea):
    older = add_idea("Older idea", score=3, created_at=T0)
    newer = add_idea("Newer idea", score=3, created_at=T0 + timedelta(hours=1))
    assert newer.hot > older.hot
    assert ids_of(queries.list_ideas(sort=Sort.TRENDING).items) == [newer.id, older.id]


def test_trending_rank_rises_with_votes_cast_through_the_service(app, add_idea, make_user):
    older = add_idea("Older idea that people like", created_at=T0)
    newer = add_idea("Newer idea nobody voted on", created_at=T0 + timedelta(hours=2))
    assert ids_of(queries.list_ideas(sort=Sort.TRENDING).items) == [newer.id, older.id]
    for _ in range(3):
        services.cast_vote(make_user(), older, 1)
        db.session.commit()
    db.session.refresh(older)
    assert older.score == 3
    assert older.hot == pytest.approx(hot_rank(3, older.created_at))
    assert ids_of(queries.list_ideas(sort=Sort.TRENDING).items) == [older.id, newer.id]


def test_top_orders_by_score_and_breaks_ties_by_newest_id(app, add_idea):
    a = add_idea("Score two, first", score=2)
    b = add_idea("Score five", score=5)
    c = add_idea("Score two, second", score=2)
    d = add_idea("Score minus one", score=-1)
    e = add_idea("Score zero", score=0)
    assert ids_of(queries.list_ideas(sort=Sort.TOP).items) == [b.id, c.id, a.id, e.id, d.id]


def test_new_orders_by_creation_date_whatever_the_id(app, add_idea):
    """An imported post keeps its post's date: stored later, it is older than a web idea."""
    first = add_idea("First stored", created_at=T0 + timedelta(days=2))
    second = add_idea("Second stored, imported with an older date", created_at=T0)
    third = add_idea("Third stored", score=9, created_at=T0 + timedelta(days=1))
    tied = add_idea("Fourth stored, same moment as the first", created_at=T0 + timedelta(days=2))
    assert ids_of(queries.list_ideas(sort=Sort.NEW).items) == [
        tied.id, first.id, third.id, second.id,
    ]  # fmt: skip
    pages = _walk(Sort.NEW, limit=1)
    assert [p for page in pages for p in page] == [tied.id, first.id, third.id, second.id]


def test_a_new_cursor_from_before_the_date_order_still_pages(app, add_idea):
    """A link saved when New held only the id keeps working: the id's date is looked up."""
    older = add_idea("Older", created_at=T0)
    newer = add_idea("Newer", created_at=T0 + timedelta(days=1))
    oldest = add_idea("Imported, oldest", created_at=T0 - timedelta(days=1))
    page = queries.list_ideas(sort=Sort.NEW, cursor=_cursor([newer.id]))
    assert ids_of(page.items) == [older.id, oldest.id]
    with pytest.raises(ValidationFailed):
        queries.list_ideas(sort=Sort.NEW, cursor=_cursor([oldest.id + 1000]))


def test_ideas_by_a_user_are_newest_first_by_date(app, make_user, add_idea):
    author = make_user()
    web = add_idea("Posted on the site", created_at=T0 + timedelta(days=1))
    imported = add_idea("Imported later, dated earlier", created_at=T0)
    for idea in (web, imported):
        idea.author_id = author.id
    db.session.commit()
    assert ids_of(queries.ideas_by(author)) == [web.id, imported.id]


def test_list_ideas_clamps_the_limit_between_one_and_the_maximum(app, add_idea):
    for _ in range(3):
        add_idea()
    assert len(queries.list_ideas(limit=0).items) == 1
    assert len(queries.list_ideas(limit=-5).items) == 1
    page = queries.list_ideas(limit=10_000)
    assert len(page.items) == 3
    assert page.next_cursor is None


def test_list_ideas_on_an_empty_board_is_one_empty_page(app):
    page = queries.list_ideas()
    assert page.items == []
    assert page.next_cursor is None


# --- keyset pages ----------------------------------------------------------------------------


def _expected_order(ideas: list[Idea], sort: Sort) -> list[int]:
    keys = {
        Sort.TRENDING: lambda i: (i.hot, i.id),
        Sort.TOP: lambda i: (i.score, i.id),
        Sort.NEW: lambda i: (i.created_at, i.id),
    }
    return [i.id for i in sorted(ideas, key=keys[sort], reverse=True)]


@pytest.mark.parametrize("sort", list(Sort))
@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "shared-scores"])
def test_keyset_pages_return_every_idea_exactly_once_in_order(app, add_idea, sort, ties):
    ideas = []
    for n in range(25):
        if ties:
            # Four scores shared by many ideas; groups of five share a creation time, so
            # the stored Trending rank ties as well and only the id tells them apart.
            score, created = n % 4, T0 + timedelta(hours=n // 5)
        else:
            score, created = n * 7 % 25 - 12, T0 + timedelta(minutes=n)
        ideas.append(add_idea(score=score, created_at=created))
    if ties:
        assert len({(i.hot, i.score) for i in ideas}) < 25
    pages = _walk(sort, limit=7)
    assert [len(p) for p in pages] == [7, 7, 7, 4]
    flat = [idea_id for page in pages for idea_id in page]
    assert flat == _expected_order(ideas, sort)
    assert len(set(flat)) == 25


def test_keyset_page_of_exactly_the_limit_has_no_next_cursor(app, add_idea):
    for _ in range(7):
        add_idea()
    page = queries.list_ideas(sort=Sort.NEW, limit=7)
    assert len(page.items) == 7
    assert page.next_cursor is None


def test_keyset_pages_keep_the_filters(app, add_idea):
    wanted = {add_idea(f"Roaming pass number {n}").id for n in range(5)}
    for _ in range(4):
        add_idea("Something else entirely")
    pages = _walk(Sort.TOP, limit=2, q="roaming")
    assert [len(p) for p in pages] == [2, 2, 1]
    assert {i for p in pages for i in p} == wanted


def test_an_idea_voted_up_between_pages_is_not_shown_twice_on_top(app, add_idea):
    ideas = [add_idea(score=10 - n) for n in range(6)]
    first = queries.list_ideas(sort=Sort.TOP, limit=3)
    # The last idea jumps to the top after the first page was read.
    ideas[-1].score = 50
    db.session.commit()
    second = queries.list_ideas(sort=Sort.TOP, limit=3, cursor=first.next_cursor)
    assert not set(ids_of(first.items)) & set(ids_of(second.items))


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!",
        "데이터",
        "e30",  # {} in base64
        _cursor({"id": 1}),
        _cursor(None),
        _cursor([1, 2, 3]),
        _cursor(["a", 1]),
        _cursor([1.5, "x"]),
        _cursor([1.5, True]),
        _cursor([1.5, 2.5]),
        _cursor([float("nan"), 1]),
        _cursor([float("inf"), 1]),
    ],
)
def test_a_malformed_cursor_is_refused_as_validation_error(app, add_idea, cursor):
    add_idea()
    with pytest.raises(ValidationFailed) as caught:
        queries.list_ideas(sort=Sort.TRENDING, cursor=cursor)
    assert caught.value.field == "cursor"


@pytest.mark.parametrize(
    "values",
    [
        ["2026-13-01T00:00:00.000000Z", 1],
        ["2026-01-01T00:00:00Z", 1],
        ["2026-01-01 00:00:00.000000", 1],
        ["2026-01-01T00:00:00.000000+09:00", 1],
        [1.5, 1],
        [None, 1],
        [["2026-01-01T00:00:00.000000Z"], 1],
        ["2026-01-01T00:00:00.000000Z", "1"],
        ["2026-01-01T00:00:00.000000Z"],
    ],
)
def test_a_malformed_new_cursor_is_refused_as_validation_error(app, add_idea, values):
    add_idea()
    with pytest.raises(ValidationFailed) as caught:
        queries.list_ideas(sort=Sort.NEW, cursor=_cursor(values))
    assert caught.value.field == "cursor"


def test_an_empty_cursor_is_the_first_page(app, add_idea):
    idea = add_idea()
    assert ids_of(queries.list_ideas(cursor="").items) == [idea.id]


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        (Sort.TRENDING, _cursor([1.5, 2**70])),
        (Sort.TOP, _cursor([2**70, 1])),
        (Sort.NEW, _cursor([2**70])),
        (Sort.NEW, _cursor([-(2**70)])),
        (Sort.NEW, _cursor(["2026-01-01T00:00:00.000000Z", 2**70])),
    ],
    ids=["trending-id", "top-score", "new-id", "new-negative-id", "new-date-id"],
)
def test_a_cursor_with_an_out_of_range_integer_is_refused_as_validation_error(
    app, add_idea, sort, cursor
):
    add_idea()
    with pytest.raises(ValidationFailed):
        queries.list_ideas(sort=sort, cursor=cursor)


def test_a_cursor_from_one_tab_is_refused_or_harmless_in_another(app, add_idea):
    for n in range(6):
        add_idea(score=n)
    trending = queries.list_ideas(sort=Sort.TRENDING, limit=2).next_cursor
    top = queries.list_ideas(sort=Sort.TOP, limit=2).next_cursor
    new = queries.list_ideas(sort=Sort.NEW, limit=2).next_cursor
    assert trending is not None
    assert top is not None
    assert new is not None
    # Shapes that cannot fit the tab are refused ...
    for sort, cursor in [
        (Sort.TOP, trending),  # a float rank is not a score
        (Sort.TOP, new),
        (Sort.TRENDING, new),
        (Sort.NEW, trending),
        (Sort.NEW, top),
    ]:
        with pytest.raises(ValidationFailed):
            queries.list_ideas(sort=sort, cursor=cursor)
    # ... and a (score, id) pair read as a (rank, id) pair still gives a sane, ordered page.
    page = queries.list_ideas(sort=Sort.TRENDING, cursor=top, limit=10)
    hots = [i.hot for i in page.items]
    assert hots == sorted(hots, reverse=True)
    assert len(set(ids_of(page.items))) == len(page.items)


# --- visibility ---------------------------------------------------------------------------------


def test_hidden_ideas_are_left_out_for_anonymous_and_customers_but_shown_to_staff(
    app, add_idea, make_user
):
    shown = add_idea("Visible idea")
    hidden = add_idea("Hidden spam idea", hidden=True)
    customer = make_user()
    staff = make_user(Role.STAFF)
    admin = make_user(Role.ADMIN)
    for viewer in (None, customer):
        for sort in Sort:
            assert ids_of(queries.list_ideas(sort=sort, viewer=viewer).items) == [shown.id]
    for viewer in (staff, admin):
        assert set(ids_of(queries.list_ideas(viewer=viewer).items)) == {shown.id, hidden.id}


def test_hidden_ideas_are_left_out_of_a_search_for_customers(app, add_idea, make_user):
    add_idea("Spam about roaming", hidden=True)
    kept = add_idea("Cheaper roaming in Japan")
    assert ids_of(queries.list_ideas(q="roaming", viewer=make_user()).items) == [kept.id]


def test_stage_and_category_filters_narrow_the_board(app, make_idea):
    app_idea = make_idea(title="App idea", category="app")
    billing_idea = make_idea(title="Billing idea", category="billing")
    planned = db.session.scalar(select(Stage).where(Stage.slug == "planned"))
    billing_idea.stage = planned
    db.session.commit()
    assert ids_of(queries.list_ideas(category="app").items) == [app_idea.id]
    assert ids_of(queries.list_ideas(stage="planned").items) == [billing_idea.id]
    assert ids_of(queries.list_ideas(stage="new", category="billing").items) == []


@pytest.mark.parametrize(("field", "value"), [("stage", "nope"), ("category", "nope")])
def test_unknown_stage_or_category_is_refused(app, field, value):
    with pytest.raises(ValidationFailed) as caught:
        queries.list_ideas(**{field: value})
    assert caught.value.field == field
    assert value in caught.value.message


# --- personal lists -------------------------------------------------------------------------------


def test_votes_of_maps_only_the_ideas_the_user_voted_on(app, make_idea, make_user):
    voter = make_user()
    up, down, untouched = make_idea(), make_idea(), make_idea()
    services.cast_vote(voter, up, 1)
    services.cast_vote(voter, down, -1)
    db.session.commit()
    assert queries.votes_of(voter, [up, down, untouched]) == {up.id: 1, down.id: -1}
    assert queries.votes_of(voter, []) == {}


def test_ideas_by_voted_by_and_followed_by_list_the_users_activity(app, make_idea, make_user):
    me = make_user()
    mine = make_idea(me, title="My own idea")
    liked, disliked, followed, other = (make_idea() for _ in range(4))
    services.cast_vote(me, liked, 1)
    services.cast_vote(me, disliked, -1)
    services.follow_idea(me, followed)
    db.session.commit()
    assert ids_of(queries.ideas_by(me)) == [mine.id]
    assert {(i.id, v) for i, v in queries.voted_by(me)} == {(liked.id, 1), (disliked.id, -1)}
    # Voting follows the idea too; the untouched idea is in none of the lists.
    assert set(ids_of(queries.followed_by(me))) == {mine.id, liked.id, disliked.id, followed.id}
    assert other.id not in ids_of(queries.followed_by(me))


def test_all_stages_and_categories_come_in_display_order(app):
    assert [s.slug for s in queries.all_stages()][:5] == [
        "new", "under-review", "planned", "in-progress", "launched",
    ]  # fmt: skip
    assert [c.slug for c in queries.all_categories()][:4] == [
        "product",
        "app",
        "billing",
        "support",
    ]
