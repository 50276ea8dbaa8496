"""The roadmap: which stage goes in which column, the category filter, what never shows."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from ideaboard.extensions import db
from ideaboard.insights import roadmap as rules
from ideaboard.triage import workflow
from ideaboard.triage.models import Stage
from ideaboard.triage.services import find_stage
from tests.helpers import login, post
from tests.roadmap.helpers import KOREAN_TITLE, D, H, build_board

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def board(clock, make_user, make_idea):
    clock.set(NOW)
    return build_board(NOW, make_user, make_idea)


def _keys(board, column):
    by_id = {idea.id: key for key, idea in board.ideas.items()}
    return [by_id[card.idea.id] for card in column.cards]


def test_seeded_stages_have_their_roadmap_columns(app):
    columns = {s.slug: s.roadmap_column for s in db.session.query(Stage)}
    assert columns == {
        "new": None, "under-review": None, "planned": "planned", "in-progress": "in_progress",
        "launched": None, "declined": None, "duplicate": None,
    }  # fmt: skip


def test_columns_follow_the_stages_roadmap_column_and_the_launched_role(app, board):
    planned, in_progress, launched = rules.roadmap().columns
    assert [c.key for c in (planned, in_progress, launched)] == [
        "planned", "in_progress", "launched"
    ]  # fmt: skip
    assert _keys(board, planned) == ["P1", "P2"]  # the most voted first
    assert _keys(board, in_progress) == ["IP"]
    assert _keys(board, launched) == ["L1", "L2"]  # the latest launch first
    assert (planned.total, in_progress.total, launched.total) == (2, 1, 2)


def test_hidden_merged_internal_and_unmapped_ideas_never_appear(app, board):
    shown = {card.idea.id for column in rules.roadmap().columns for card in column.cards}
    for key in ("LH", "LM", "PM", "X", "R"):
        assert board.ideas[key].id not in shown, key
    assert board.ideas["LM"].stage.slug == "launched"  # merged, yet in the launched stage


def test_cards_say_how_long_the_idea_is_in_its_stage(app, board):
    planned, in_progress, launched = rules.roadmap().columns
    assert planned.cards[0].time_in_stage(NOW) == 3 * D
    assert in_progress.cards[0].time_in_stage(NOW) == 2 * H
    # Launched: since the latest launch, not the first one.
    l2 = next(card for card in launched.cards if card.idea.id == board.ideas["L2"].id)
    assert l2.since == NOW - 5 * D


def test_an_admin_moves_a_stage_into_a_column(app, board, make_user):
    under_review = find_stage("under-review")
    workflow.save_stage(
        make_user("admin"), stage=under_review, slug="", name=under_review.name,
        color=under_review.color, is_open=True, is_public=True,
        position=under_review.position, roadmap_column="planned",
    )  # fmt: skip
    planned = rules.roadmap().columns[0]
    assert _keys(board, planned) == ["P1", "R", "P2"]  # ties: the newer idea first


def test_a_stage_saved_without_a_column_keeps_its_column(app, make_user):
    planned = find_stage("planned")
    workflow.save_stage(
        make_user("admin"), stage=planned, slug="", name="Planned", color=planned.color,
        is_open=True, is_public=True, position=planned.position,
    )  # fmt: skip
    assert planned.roadmap_column == "planned"


def test_the_launched_stage_cannot_take_another_column(app, make_user):
    from ideaboard.errors import ValidationFailed

    launched = find_stage("launched")
    with pytest.raises(ValidationFailed) as caught:
        workflow.save_stage(
            make_user("admin"), stage=launched, slug="", name="Launched",
            color=launched.color, is_open=False, is_public=True, position=launched.position,
            roadmap_column="planned",
        )  # fmt: skip
    assert caught.value.field == "roadmap_column"


def test_the_workflow_page_sets_the_column_and_keeps_it_through_an_error(app, client, make_user):
    admin = make_user("admin")
    login(client, admin)
    stage = find_stage("under-review")
    prefix = f"s{stage.id}"
    form = {
        f"{prefix}-name": stage.name, f"{prefix}-name_ko": stage.name_ko,
        f"{prefix}-color": "not a colour", f"{prefix}-position": str(stage.position),
        f"{prefix}-is_open": "y", f"{prefix}-is_public": "y",
        f"{prefix}-roadmap_column": "in_progress",
    }  # fmt: skip
    refused = post(client, f"/staff/workflow/stages/{stage.id}", form)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    select = re.search(rf'<select[^>]*name="{prefix}-roadmap_column".*?</select>', html, re.S)
    assert select is not None
    assert re.search(
        r'<option selected value="in_progress">|value="in_progress" selected', select[0]
    )
    db.session.expire_all()
    assert find_stage("under-review").roadmap_column is None  # a refused save changes nothing

    form[f"{prefix}-color"] = "#2563eb"
    assert post(client, f"/staff/workflow/stages/{stage.id}", form).status_code == 302
    db.session.expire_all()
    assert find_stage("under-review").roadmap_column == "in_progress"

    form[f"{prefix}-roadmap_column"] = "somewhere"
    assert post(client, f"/staff/workflow/stages/{stage.id}", form).status_code == 422
    db.session.expire_all()
    assert find_stage("under-review").roadmap_column == "in_progress"


# --- the page ------------------------------------------------------------------------------


def _column_titles(html: str, key: str) -> list[str]:
    section = re.search(rf'<section class="roadmap-column roadmap-{key}".*?</section>', html, re.S)
    assert section is not None, key
    return re.findall(r'<h3 class="idea-title"><a href="[^"]+">([^<]+)</a>', section[0])


def test_roadmap_page_shows_the_three_columns(client, board):
    response = client.get("/roadmap")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _column_titles(html, "planned") == ["Idea P1 on the roadmap", "Idea P2 on the roadmap"]
    assert _column_titles(html, "in_progress") == ["Idea IP on the roadmap"]
    escaped = KOREAN_TITLE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert _column_titles(html, "launched") == [escaped, "Idea L2 on the roadmap"]
    assert "In this stage for 3 days" in html
    assert "2 votes" in html
    for hidden in ("was hidden", "merged", "internal stage", "Idea R on"):
        assert hidden not in html


def test_roadmap_filters_by_category(client, board):
    html = client.get("/roadmap?category=billing").get_data(as_text=True)
    assert _column_titles(html, "planned") == ["Idea P2 on the roadmap"]
    assert _column_titles(html, "in_progress") == []
    assert _column_titles(html, "launched") == ["Idea L2 on the roadmap"]
    assert '<option value="billing" selected>' in html


@pytest.mark.parametrize("category", ["nope", "x" * 300, "앱"])
def test_an_unknown_category_is_a_400_with_a_message(client, board, category):
    response = client.get("/roadmap", query_string={"category": category})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert '<p class="error" role="alert">There is no category called' in html
    assert "roadmap-column" not in html


def test_roadmap_page_in_korean(client, board):
    client.set_cookie("ideaboard_locale", "ko")
    html = client.get("/roadmap", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert "로드맵" in html


def test_columns_are_bounded_and_say_so(client, board, monkeypatch):
    monkeypatch.setattr(rules, "COLUMN_LIMIT", 1)
    monkeypatch.setattr(rules, "LAUNCHED_LIMIT", 1)
    planned, _in_progress, launched = rules.roadmap().columns
    assert (len(planned.cards), planned.total) == (1, 2)
    assert (len(launched.cards), launched.total) == (1, 2)
    assert _keys(board, launched) == ["L1"]  # the latest launch
    html = client.get("/roadmap").get_data(as_text=True)
    assert "The 1 most voted of 2." in html
    assert "The 1 latest of 2." in html
    assert '<a href="/changelog">See every launch in the changelog</a>' in html
