"""The CSV export: Korean survives Excel, formulas are neutralised, filters are respected."""

from __future__ import annotations

import csv
import io

import pytest

from ideaboard.extensions import db
from ideaboard.ideas import services as idea_services
from ideaboard.moderation import export
from ideaboard.triage import services as triage
from ideaboard.triage.models import Team
from tests.helpers import login


def _rows(response) -> list[dict[str, str]]:
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


@pytest.fixture
def staff(make_user):
    return make_user("staff", name="Sam Staff")


def test_visitors_log_in_and_customers_get_403(client, make_user, make_idea):
    make_idea()
    anonymous = client.get("/staff/export.csv")
    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]
    login(client, make_user())
    assert client.get("/staff/export.csv").status_code == 403
    assert client.get("/staff/export.csv?scope=filter&stage=new").status_code == 403


def test_korean_round_trips_with_every_column(client, make_user, make_idea, staff):
    author = make_user(name="김지수", email="jisoo@example.com")
    idea = make_idea(author, title="요금제 변경을 앱에서 바로 하고 싶어요", category="billing")
    voter = make_user()
    idea_services.cast_vote(voter, idea, -1)
    billing = db.session.query(Team).filter_by(slug="billing").one()
    triage.assign_idea(idea, staff, team=billing, assignee=staff)
    triage.change_stage(idea, triage.find_stage("under-review"), "보고 있어요", staff)
    db.session.commit()
    login(client, staff)
    response = client.get("/staff/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="ideaboard-board-')
    assert disposition.endswith('.csv"')
    (row,) = _rows(response)
    assert list(row) == list(export.HEADER)
    assert row["id"] == str(idea.id)
    assert row["title"] == "요금제 변경을 앱에서 바로 하고 싶어요"
    assert row["author"] == "김지수"
    assert row["stage"] == "Under Review"
    assert row["team"] == "Billing"
    assert row["assignee"] == "Sam Staff"
    assert (row["votes_up"], row["votes_down"], row["score"]) == ("0", "1", "-1")  # not quoted
    assert row["source"] == "web"
    assert row["source_url"] == ""
    assert row["first_response_utc"] >= row["created_utc"] != ""
    assert row["public_url"].endswith(f"/ideas/{idea.id}")
    assert "jisoo@example.com" not in response.get_data(as_text=True)


def test_names_follow_the_viewers_language(client, make_user, make_idea, staff):
    make_idea(title="Korean names please", category="billing")
    staff.locale = "ko"
    db.session.commit()
    login(client, staff)
    (row,) = _rows(client.get("/staff/export.csv"))
    assert row["stage"] == "신규"
    assert row["category"] == "요금·결제"


@pytest.mark.parametrize("value", ["=1+2", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_starts_are_neutralised(value):
    assert export.neutralise(value) == "'" + value
    assert export.neutralise("safe " + value) == "safe " + value


def test_injection_cells_are_neutralised_in_the_file(client, make_user, make_idea, staff):
    author = make_user(name='=HYPERLINK("http://evil")')
    titles = ['=HYPERLINK("http://evil","x")', "+1+2+3+4", "-2+3+cmd", "@SUM(A1:A9)"]
    for title in titles:
        make_idea(author, title=title)
    login(client, staff)
    rows = _rows(client.get("/staff/export.csv"))
    assert [r["title"] for r in rows] == ["'" + t for t in titles]
    assert {r["author"] for r in rows} == {'\'=HYPERLINK("http://evil")'}


def test_the_board_leaves_hidden_ideas_out_and_a_filter_shows_them_only_when_asked(
    client, make_idea, staff
):
    shown, hidden = make_idea(title="Shown idea"), make_idea(title="Hidden idea")
    triage.hide_idea(hidden, staff, "spam")
    db.session.commit()
    login(client, staff)
    assert [r["title"] for r in _rows(client.get("/staff/export.csv"))] == ["Shown idea"]
    listed = _rows(client.get("/staff/export.csv?scope=filter&stage="))
    assert [r["title"] for r in listed] == ["Shown idea"]
    only_hidden = _rows(client.get("/staff/export.csv?scope=filter&stage=&hidden=1"))
    assert [r["id"] for r in only_hidden] == [str(hidden.id)]
    assert shown.id != hidden.id


def test_the_inbox_filter_is_respected(client, make_user, make_idea, staff):
    planned = make_idea(title="Planned idea")
    mine = make_idea(title="Assigned to me")
    make_idea(title="Still new")
    triage.change_stage(planned, triage.find_stage("planned"), "Planned", staff)
    triage.assign_idea(mine, staff, team=None, assignee=staff)
    db.session.commit()
    login(client, staff)

    def titles(query: str) -> list[str]:
        return [r["title"] for r in _rows(client.get(f"/staff/export.csv?scope=filter&{query}"))]

    assert titles("stage=planned") == ["Planned idea"]
    assert titles("stage=new") == ["Assigned to me", "Still new"]
    assert titles("stage=&assignee=me") == ["Assigned to me"]
    assert titles("stage=&q=still") == ["Still new"]
    assert titles("stage=&source=x") == []
    inbox = client.get("/staff/?stage=planned").get_data(as_text=True)
    assert "/staff/export.csv?scope=filter&amp;stage=planned" in inbox


@pytest.mark.parametrize(
    "query", ["stage=nope", "category=nope", "team=nope", "source=fax", "assignee=abc"]
)
def test_an_unknown_filter_is_a_422_with_a_message(client, staff, query):
    login(client, staff)
    response = client.get(f"/staff/export.csv?scope=filter&{query}")
    assert response.status_code == 422
    assert response.mimetype == "text/html"


def test_rows_are_read_in_chunks_each_once(client, make_idea, staff, monkeypatch):
    monkeypatch.setattr(export, "CHUNK", 2)
    ids = [make_idea().id for _ in range(5)]
    login(client, staff)
    assert [int(r["id"]) for r in _rows(client.get("/staff/export.csv"))] == ids
