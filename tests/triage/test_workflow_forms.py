"""The admin workflow page keeps every form through a refusal on any one of them (issue 16).

A refused form comes back with what was typed and its error next to the field; every other
form on the page shows the stored values (a stage's "Open" and "Public" boxes were coming back
unticked, so saving that stage next would have closed voting and hidden it); the refusal
changes no row and says so at the top of the page.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import select

from ideaboard.extensions import db
from ideaboard.ideas.models import Category
from ideaboard.triage import services
from ideaboard.triage.models import Stage, StageTransition, Team, TeamMember
from tests.helpers import login, post


class _Fields(HTMLParser):
    """Collect the attributes of every input, select and error paragraph by id."""

    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, dict[str, Any]] = {}
        self.checkboxes: dict[str, bool] = {}  # the transitions table: value -> ticked
        self._error: str | None = None
        self.errors: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("input", "select") and found.get("id"):
            self.by_id[str(found["id"])] = found
        if tag == "input" and found.get("name") == "allow":
            self.checkboxes[str(found["value"])] = "checked" in found
        if tag == "p" and found.get("class") == "error" and found.get("id"):
            self._error = str(found["id"]).removesuffix("-error")
            self.errors[self._error] = ""

    def handle_data(self, data: str) -> None:
        if self._error is not None:
            self.errors[self._error] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self._error = None


def _fields(html: str) -> _Fields:
    parser = _Fields()
    parser.feed(html)
    return parser


def _snapshot() -> dict[str, Any]:
    """Every row the workflow page can change."""
    db.session.expire_all()
    return {
        "stages": [
            (s.id, s.slug, s.name, s.name_ko, s.color, s.is_open, s.is_public, s.position)
            for s in db.session.scalars(select(Stage).order_by(Stage.id))
        ],
        "moves": sorted(
            db.session.execute(select(StageTransition.from_stage_id, StageTransition.to_stage_id))
        ),
        "teams": [
            (t.id, t.slug, t.name, t.name_ko)
            for t in db.session.scalars(select(Team).order_by(Team.id))
        ],
        "members": sorted(db.session.execute(select(TeamMember.team_id, TeamMember.user_id))),
        "categories": [
            (c.id, c.name, c.name_ko)
            for c in db.session.scalars(select(Category).order_by(Category.id))
        ],
    }


def _assert_stored_values_shown(html: str, sent: str) -> None:
    """Every form but the one with prefix `sent` shows the stored values."""
    fields = _fields(html)
    for stage in db.session.scalars(select(Stage)):
        prefix = f"s{stage.id}"
        if prefix == sent:
            continue
        assert fields.by_id[f"{prefix}-name"].get("value", "") == stage.name, prefix
        assert fields.by_id[f"{prefix}-name_ko"].get("value", "") == stage.name_ko, prefix
        assert fields.by_id[f"{prefix}-color"]["value"] == stage.color, prefix
        assert fields.by_id[f"{prefix}-position"]["value"] == str(stage.position), prefix
        assert ("checked" in fields.by_id[f"{prefix}-is_open"]) is stage.is_open, prefix
        assert ("checked" in fields.by_id[f"{prefix}-is_public"]) is stage.is_public, prefix
    if sent != "new":  # the "add a stage" form starts open and public
        assert "checked" in fields.by_id["new-is_open"]
        assert "checked" in fields.by_id["new-is_public"]
        assert fields.by_id["new-slug"].get("value", "") == ""
    for named, letter in ((Team, "t"), (Category, "c")):
        for row in db.session.scalars(select(named)):
            prefix = f"{letter}{row.id}"
            if prefix != sent:
                assert fields.by_id[f"{prefix}-name"].get("value", "") == row.name, prefix
                assert fields.by_id[f"{prefix}-name_ko"].get("value", "") == row.name_ko, prefix
    if sent != "moves":
        stored = {
            f"{a}-{b}"
            for a, b in db.session.execute(
                select(StageTransition.from_stage_id, StageTransition.to_stage_id)
            )
        }
        assert {value for value, ticked in fields.checkboxes.items() if ticked} == stored
    if sent != "team":
        assert fields.by_id["team-slug"].get("value", "") == ""
    assert not {key for key in fields.errors if not key.startswith(f"{sent}-")}, fields.errors


@pytest.fixture
def admin_client(client, make_user):
    login(client, make_user("admin"))
    # A stage that is closed and internal, so "stored" is not just the checkbox defaults.
    planned = services.find_stage("planned")
    planned.is_open, planned.is_public = False, False
    db.session.commit()
    return client


def test_a_bad_colour_is_refused_next_to_the_field_and_the_other_stages_keep_their_boxes(
    admin_client,
):
    stage = services.find_stage("under-review")
    before = _snapshot()
    p = f"s{stage.id}"
    response = post(
        admin_client,
        f"/staff/workflow/stages/{stage.id}",
        {f"{p}-name": "Looking at it", f"{p}-name_ko": "검토", f"{p}-color": "#12345g",
         f"{p}-position": "7"},  # "Open" and "Public" untouched: unticked by the admin
    )  # fmt: skip
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    fields = _fields(html)
    assert fields.errors == {f"{p}-color": "Give the colour as #rrggbb."}
    assert fields.by_id[f"{p}-color"]["aria-invalid"] == "true"
    assert fields.by_id[f"{p}-color"]["value"] == "#12345g"
    assert fields.by_id[f"{p}-name"]["value"] == "Looking at it"
    assert fields.by_id[f"{p}-position"]["value"] == "7"
    assert "checked" not in fields.by_id[f"{p}-is_open"]  # as sent
    assert f'href="#stage-{stage.id}"' in html
    assert 'role="alert"' in html
    assert "Nothing was saved" in html
    _assert_stored_values_shown(html, p)
    assert _snapshot() == before


def _first_team() -> Team:
    return db.session.scalars(select(Team).order_by(Team.id)).first()


def _first_category() -> Category:
    return db.session.scalars(select(Category).order_by(Category.id)).first()


def _move(a: str, b: str) -> str:
    return f"{services.find_stage(a).id}-{services.find_stage(b).id}"


# (the prefix of the refused form, the anchor of the link at the top, the path, the form,
#  the field with the error or None for a message above the form, what the field shows)
CASES = {
    "new-stage": lambda: ("new", "stage-new", "/staff/workflow/stages",
        {"new-slug": "Bad Slug", "new-name": "Half done", "new-color": "#000000"},
        "new-slug", "Bad Slug"),
    "add-team": lambda: ("team", "team-new", "/staff/workflow/teams",
        {"team-slug": _first_team().slug, "team-name": "Again"}, "team-slug", _first_team().slug),
    "rename-team": lambda: (f"t{_first_team().id}", f"team-{_first_team().id}",
        f"/staff/workflow/teams/{_first_team().id}",
        {f"t{_first_team().id}-name": " ", f"t{_first_team().id}-name_ko": ""},
        f"t{_first_team().id}-name", " "),
    "rename-category": lambda: (f"c{_first_category().id}", f"category-{_first_category().id}",
        f"/staff/workflow/categories/{_first_category().id}",
        {f"c{_first_category().id}-name": "x" * 61, f"c{_first_category().id}-name_ko": "결제"},
        f"c{_first_category().id}-name", "x" * 61),
    "moves": lambda: ("moves", "moves", "/staff/workflow/transitions",
        {"allow": [_move("new", "planned"), _move("planned", "planned")]}, None, None),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_refused_form_keeps_what_was_typed_and_every_other_form_its_stored_values(
    admin_client, case
):
    prefix, anchor, path, data, field, shown = CASES[case]()
    before = _snapshot()
    response = post(admin_client, path, data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'<a href="#{anchor}">' in html
    assert f'id="{anchor}"' in html
    fields = _fields(html)
    if field is not None:
        assert fields.errors.get(field), fields.errors
        assert fields.by_id[field].get("value", "") == shown
    else:  # the moves: the boxes as sent, the message above the table
        assert {v for v, ticked in fields.checkboxes.items() if ticked} == {_move("new", "planned")}
        assert "The workflow names an unknown stage." in html
    _assert_stored_values_shown(html, prefix)
    assert _snapshot() == before


def test_a_refused_member_keeps_the_other_forms(admin_client, make_user):
    team = _first_team()
    customer = make_user("customer")
    before = _snapshot()
    response = post(
        admin_client,
        f"/staff/workflow/teams/{team.id}/members",
        {f"m{team.id}-user": str(customer.id)},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert _fields(html).errors.get(f"m{team.id}-user")
    assert f'<a href="#members-{team.id}">' in html
    _assert_stored_values_shown(html, f"m{team.id}")
    assert _snapshot() == before


def test_a_saved_stage_keeps_its_boxes_as_sent(admin_client):
    """The success path still saves exactly the form (the stored values above are real)."""
    stage = services.find_stage("under-review")
    p = f"s{stage.id}"
    response = post(
        admin_client,
        f"/staff/workflow/stages/{stage.id}",
        {f"{p}-name": "Reviewing", f"{p}-color": "#112233", f"{p}-position": "20",
         f"{p}-is_public": "y"},
    )  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Stage, stage.id)
    assert (saved.name, saved.color, saved.is_open, saved.is_public) == (
        "Reviewing", "#112233", False, True,
    )  # fmt: skip
    page = admin_client.get("/staff/workflow").get_data(as_text=True)
    _assert_stored_values_shown(page, "none")
