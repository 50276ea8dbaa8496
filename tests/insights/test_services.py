from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ideaboard.extensions import db
from ideaboard.insights import services
from ideaboard.triage.models import Stage
from ideaboard.triage.services import change_stage, find_stage
from tests.insights.helpers import KOREAN_TITLE

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # a Wednesday
H = timedelta(hours=1)
SEOUL = timezone(timedelta(hours=9))


# --- nearest-rank percentiles and weeks ----------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "percent", "expected"),
    [
        ([5], 50, 5),
        ([5], 90, 5),
        ([1, 2], 50, 1),  # nearest rank: the lower middle value, not the mean 1.5
        ([3, 1, 2], 50, 2),
        ([1, 2, 3, 5, 10, 20], 50, 3),  # rank ceil(3.0) = 3
        ([1, 2, 3, 5, 10, 20], 90, 20),  # rank ceil(5.4) = 6
        (list(range(1, 11)), 90, 9),  # rank ceil(9.0) = 9
        (list(range(1, 11)), 100, 10),
        (list(range(1, 21)), 90, 18),
    ],
)
def test_nearest_rank_takes_the_ceil_rank_of_the_sorted_values(hours, percent, expected):
    values = [timedelta(hours=h) for h in hours]
    assert services.nearest_rank(values, percent) == timedelta(hours=expected)


def test_nearest_rank_of_nothing_is_none():
    assert services.nearest_rank([], 50) is None


@pytest.mark.parametrize("percent", [0, -5, 101])
def test_nearest_rank_refuses_percentages_outside_0_to_100(percent):
    with pytest.raises(ValueError, match="percent"):
        services.nearest_rank([timedelta(1)], percent)


@pytest.mark.parametrize(
    ("moment", "monday"),
    [
        (datetime(2026, 3, 2, 0, 0, tzinfo=UTC), date(2026, 3, 2)),
        (datetime(2026, 3, 1, 23, 59, 59, tzinfo=UTC), date(2026, 2, 23)),
        (datetime(2026, 3, 8, 23, 59, 59, tzinfo=UTC), date(2026, 3, 2)),
        # 08:00 Monday in Seoul is still Sunday in UTC: weeks are UTC weeks.
        (datetime(2026, 3, 2, 8, 0, tzinfo=SEOUL), date(2026, 2, 23)),
    ],
)
def test_week_start_is_the_utc_monday(moment, monday):
    assert services.week_start(moment) == monday


# --- board_stats on the known board ----------------------------------------------------------


def test_board_stats_counts_visible_ideas_by_window_source_and_stage(app, build_board):
    build_board(NOW)
    stats = services.board_stats(NOW)
    assert stats.now == NOW
    assert stats.total == 10  # H is hidden
    assert stats.last_30_days == 8
    assert stats.by_source == {"web": 8, "x": 2}
    assert [(row.stage.slug, row.count) for row in stats.by_stage] == [
        ("new", 3),
        ("under-review", 2),
        ("planned", 1),
        ("in-progress", 1),
        ("launched", 2),
        ("declined", 1),
        ("duplicate", 0),
    ]
    assert stats.launched == 2


def test_board_stats_response_times_use_nearest_rank_over_answered_recent_ideas(app, build_board):
    build_board(NOW)
    stats = services.board_stats(NOW)
    # Answered in the last 30 days: 1h 2h 3h 5h 10h 20h (I is older; H is hidden at 30m).
    assert stats.answered_30_days == 6
    assert stats.unanswered_30_days == 2  # F and G
    assert stats.median_response == 3 * H
    assert stats.p90_response == 20 * H


def test_board_stats_weekly_series_buckets_by_utc_monday(app, build_board):
    build_board(NOW)
    weeks = services.board_stats(NOW).weeks
    assert len(weeks) == 12
    assert weeks[0].start == date(2025, 12, 15)
    assert weeks[-1].start == date(2026, 3, 2)
    assert all(w.start.weekday() == 0 for w in weeks)
    series = {w.start: (w.received, w.answered) for w in weeks if w.received or w.answered}
    assert series == {
        date(2025, 12, 29): (1, 0),  # I created
        date(2026, 1, 5): (0, 1),  # I answered
        date(2026, 2, 9): (1, 1),  # E
        date(2026, 2, 16): (2, 2),  # D, K
        date(2026, 2, 23): (2, 1),  # C, F received; C answered
        date(2026, 3, 2): (3, 2),  # A, B, G received; A, B answered; not hidden H
    }


def test_board_stats_as_of_an_earlier_moment_ignores_later_ideas_and_answers(app, build_board):
    build_board(NOW)
    earlier = NOW - timedelta(days=1) + timedelta(minutes=30)  # A is in, its answer is not
    stats = services.board_stats(earlier)
    assert stats.last_30_days == 7  # A B C D E F K; G comes later
    assert stats.answered_30_days == 5  # B C D E K: 2h 3h 5h 10h 20h
    assert stats.unanswered_30_days == 2  # A and F
    assert (stats.median_response, stats.p90_response) == (5 * H, 20 * H)


def test_board_stats_hidden_ideas_never_count(app, build_board):
    board = build_board(NOW)
    before = services.board_stats(NOW)
    board.ideas["A"].hidden_at = NOW - H
    db.session.commit()
    after = services.board_stats(NOW)
    assert (after.total, after.last_30_days) == (before.total - 1, before.last_30_days - 1)
    assert after.answered_30_days == before.answered_30_days - 1
    assert after.median_response == 5 * H  # 2h 3h [5h] 10h 20h: rank ceil(2.5) = 3
    assert dict((r.stage.slug, r.count) for r in after.by_stage)["under-review"] == 1


def test_board_stats_on_an_empty_board(app):
    stats = services.board_stats(NOW)
    assert (stats.total, stats.last_30_days, stats.launched) == (0, 0, 0)
    assert stats.by_source == {"web": 0, "x": 0}
    assert (stats.median_response, stats.p90_response) == (None, None)
    assert stats.unanswered_30_days == 0
    assert [(w.received, w.answered) for w in stats.weeks] == [(0, 0)] * 12


def test_board_stats_lists_public_stages_only(app, make_user, make_idea):
    db.session.add(Stage(slug="triage-internal", name="Internal", position=15, is_public=False))
    idea = make_idea()
    idea.created_at = NOW - H
    change_stage(
        idea,
        find_stage("triage-internal"),
        "Internal look",
        make_user("staff"),
        at=NOW - H / 2,
        check_workflow=False,
    )
    db.session.commit()
    stats = services.board_stats(NOW)
    assert "triage-internal" not in [row.stage.slug for row in stats.by_stage]
    assert stats.total == 1
    assert stats.unanswered_30_days == 1  # a non-public change is no answer


# --- Ideas in Action -------------------------------------------------------------------------


def test_launched_ideas_newest_launch_first_with_note_staff_and_suggester(app, build_board):
    board = build_board(NOW)
    launched = services.launched_ideas()
    assert [item.idea.title for item in launched] == [KOREAN_TITLE, "Idea I for the board"]
    first = launched[0]
    assert first.launch.id == board.changes["E:launched"].id
    assert first.launch.created_at == NOW - timedelta(days=2)
    assert "<strong>Shipped</strong>" in first.launch.note_html
    assert first.launch.by.name == "Jiwoo Park"
    assert first.suggested_by == "Hana Lee"
    assert launched[1].suggested_by == "Old Timer"


def test_launched_ideas_shows_a_relaunched_idea_once_with_its_latest_launch(app, build_board):
    board = build_board(NOW)
    staff, idea = board.staff, board.ideas["I"]
    change_stage(
        idea, find_stage("in-progress"), "Reopened", staff, at=NOW - 3 * H, check_workflow=False
    )
    again = change_stage(
        idea, find_stage("launched"), "Launched v2", staff, at=NOW - H, check_workflow=False
    )
    db.session.commit()
    launched = services.launched_ideas()
    assert [(item.idea.id, item.launch.id) for item in launched] == [
        (idea.id, again.id),
        (board.ideas["E"].id, board.changes["E:launched"].id),
    ]


def test_launched_ideas_leaves_out_ideas_moved_back_and_respects_limit(app, build_board):
    board = build_board(NOW)
    change_stage(
        board.ideas["E"],
        find_stage("in-progress"),
        "Rolled back",
        board.staff,
        at=NOW - H,
        check_workflow=False,
    )
    db.session.commit()
    assert [item.idea.id for item in services.launched_ideas()] == [board.ideas["I"].id]
    assert len(services.launched_ideas(limit=0)) == 1  # clamped to at least one


@pytest.mark.parametrize(
    ("name", "handle", "expected"),
    [("김민지", "minji_k", "김민지"), (None, "minji_k", "@minji_k")],
)
def test_suggested_by_names_the_social_author(app, make_idea, name, handle, expected):
    idea = make_idea()
    idea.source, idea.source_author_name, idea.source_author_handle = "x", name, handle
    assert services.suggested_by(idea) == expected


# --- status changes for the feeds ------------------------------------------------------------


def test_recent_status_changes_newest_first_without_hidden_ideas(app, build_board):
    board = build_board(NOW)
    changes = services.recent_status_changes()
    hidden = board.ideas["H"].id
    assert hidden not in {c.idea_id for c in changes}
    assert len(changes) == 9  # 10 changes made, one on the hidden idea
    stamps = [(c.created_at, c.id) for c in changes]
    assert stamps == sorted(stamps, reverse=True)
    assert changes[0].id == board.changes["A:under-review"].id
    assert [c.id for c in services.recent_status_changes(limit=2)] == [c.id for c in changes[:2]]


def test_recent_status_changes_of_one_idea(app, build_board):
    board = build_board(NOW)
    changes = services.recent_status_changes(idea=board.ideas["E"])
    assert [c.to_stage.slug for c in changes] == ["launched", "under-review"]


def test_recent_status_changes_skip_non_public_stages(app, make_user, make_idea):
    db.session.add(Stage(slug="triage-internal", name="Internal", position=15, is_public=False))
    idea = make_idea()
    staff = make_user("staff")
    change_stage(idea, find_stage("triage-internal"), "Internal", staff, check_workflow=False)
    public = change_stage(idea, find_stage("planned"), "Planned!", staff, check_workflow=False)
    db.session.commit()
    assert [c.id for c in services.recent_status_changes()] == [public.id]
