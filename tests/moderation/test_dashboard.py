"""The staff dashboard's figures, from crafted histories with known answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ideaboard.extensions import db
from ideaboard.ideas import services as idea_services
from ideaboard.moderation import dashboard as figures
from ideaboard.triage import services as triage
from ideaboard.triage.models import Team
from ideaboard.triage.queries import teams
from tests.helpers import login

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # a Wednesday
TARGET = timedelta(hours=24)
H = timedelta(hours=1)
D = timedelta(days=1)


def _team(slug: str) -> Team:
    return db.session.query(Team).filter_by(slug=slug).one()


@pytest.fixture
def board(clock, make_user, make_idea):
    """A: answered by Ahn in 2 h, planned after 3 days (Billing).
    B: answered by Baek's official comment after 30 h, moved by Ahn at 40 h (Billing).
    C: unanswered for 5 days (Support).  D: from X, 2 hours old, no team.
    E: hidden (moved after 1 h): never counts.
    """
    ahn, baek = make_user("staff", name="Ahn Staff"), make_user("staff", name="Baek Staff")

    def at(moment: datetime) -> None:
        clock.set(moment)

    a_start = NOW - 10 * D
    at(a_start)
    a = make_idea(title="Idea A")
    triage.assign_idea(a, ahn, team=_team("billing"), assignee=None)
    at(a_start + 2 * H)
    triage.change_stage(a, triage.find_stage("under-review"), "Looking", ahn)
    at(a_start + 2 * H + 3 * D)
    triage.change_stage(a, triage.find_stage("planned"), "Planned", ahn)
    db.session.commit()

    b_start = NOW - 9 * D
    at(b_start)
    b = make_idea(title="Idea B")
    triage.assign_idea(b, ahn, team=_team("billing"), assignee=None)
    at(b_start + 30 * H)
    idea_services.add_comment(baek, b, "We hear you")
    at(b_start + 40 * H)
    triage.change_stage(b, triage.find_stage("under-review"), "Looking", ahn)
    db.session.commit()

    at(NOW - 5 * D)
    c = make_idea(title="Idea C")
    triage.assign_idea(c, ahn, team=_team("support"), assignee=None)
    db.session.commit()

    at(NOW - 2 * H)
    d = make_idea(title="Idea D")
    d.source = "x"
    db.session.commit()

    at(NOW - 3 * D)
    e = make_idea(title="Idea E")
    at(NOW - 3 * D + H)
    triage.change_stage(e, triage.find_stage("under-review"), "Looking", ahn)
    triage.hide_idea(e, ahn, "spam")
    db.session.commit()
    at(NOW)
    return {"ahn": ahn, "baek": baek}


def _durations(count, median, p90):
    return figures.Durations(count=count, median=median, p90=p90)


def test_time_in_each_stage(board):
    by_slug = {row.stage.slug: row.times for row in figures.time_in_stages(NOW)}
    assert by_slug["new"] == _durations(2, 2 * H, 40 * H)  # nearest rank of [2 h, 40 h]
    assert by_slug["under-review"] == _durations(1, 3 * D, 3 * D)
    assert by_slug["planned"] == _durations(0, None, None)
    assert list(by_slug)[:3] == ["new", "under-review", "planned"]  # workflow order


def test_stays_that_ended_before_the_window_are_left_out(board):
    later = NOW + timedelta(days=figures.WINDOW_DAYS) - 5 * D  # A's and B's moves are out
    by_slug = {row.stage.slug: row.times for row in figures.time_in_stages(later)}
    assert by_slug["new"].count == 0
    assert by_slug["under-review"].count == 0


def test_first_response_per_team(board):
    by_team, _ = figures.first_responses(NOW, TARGET)
    rows = {(row.team.slug if row.team else None): row for row in by_team}
    shown = [t.slug for t in teams() if t.slug in ("billing", "support")]
    assert list(rows) == [*shown, None]  # the teams' display order, then no team
    billing, support, no_team = rows["billing"], rows["support"], rows[None]
    assert billing.times == _durations(2, 2 * H, 30 * H)
    assert (billing.within_target, billing.decided, billing.share_within_target) == (1, 2, 0.5)
    assert support.times == _durations(0, None, None)
    assert (support.within_target, support.decided, support.share_within_target) == (0, 1, 0.0)
    assert (no_team.decided, no_team.share_within_target) == (0, None)  # D is not late yet


def test_first_response_per_person_is_who_answered_first(board):
    _, by_person = figures.first_responses(NOW, TARGET)
    assert [(r.label, r.times, r.within_target, r.decided) for r in by_person] == [
        ("Ahn Staff", _durations(1, 2 * H, 2 * H), 1, 1),
        ("Baek Staff", _durations(1, 30 * H, 30 * H), 0, 1),
    ]


def test_ideas_per_week_by_source(board):
    weeks = figures.ideas_per_week(NOW)
    assert len(weeks) == figures.WEEKS
    assert weeks[-1].start.date() == date(2026, 11, 30)  # this week's Monday
    assert weeks[0].start.date() == date(2026, 11, 30) - timedelta(weeks=11)
    counts = {w.start.date(): (w.web, w.x) for w in weeks if w.total}
    assert counts == {
        date(2026, 11, 16): (1, 0),  # A (Sunday 22 November)
        date(2026, 11, 23): (2, 0),  # B and C; E is hidden
        date(2026, 11, 30): (0, 1),  # D, from X
    }


def test_overdue_now_per_team(board):
    rows = figures.overdue_now(NOW, TARGET)
    assert [(r.team.slug if r.team else None, r.count) for r in rows] == [("support", 1)]
    later = figures.overdue_now(NOW + 23 * H, TARGET)  # D is overdue too, a day after
    assert [(r.team.slug if r.team else None, r.count) for r in later] == [
        ("support", 1),
        (None, 1),
    ]


def test_an_empty_board_has_no_figures(app):
    board = figures.dashboard(NOW, TARGET)
    assert board.by_team == []
    assert board.by_person == []
    assert board.overdue_total == 0
    assert all(row.times.count == 0 for row in board.stages)
    assert sum(w.total for w in board.weeks) == 0


@pytest.mark.parametrize(("locale", "words"), [
    ("en", ["Staff dashboard", "2 hours", "1 day 6 hours", "1 day 16 hours", "3 days", "50%"]),
    ("ko", ["2시간", "1일 6시간", "1일 16시간", "3일", "50%"]),
])  # fmt: skip
def test_the_page_shows_durations_in_both_languages(client, board, locale, words):
    board["ahn"].locale = locale
    db.session.commit()
    login(client, board["ahn"])
    html = client.get("/staff/dashboard").get_data(as_text=True)
    for word in words:
        assert word in html, word


def test_the_dashboard_is_staff_only(client, make_user):
    assert client.get("/staff/dashboard").status_code == 302
    login(client, make_user())
    assert client.get("/staff/dashboard").status_code == 403
