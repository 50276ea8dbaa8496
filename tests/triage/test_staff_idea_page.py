"""The staff idea page keeps staff's work: after any refused form every card shows the right
values (the sent one as typed with its error, the others as the idea is now), a refused save
changes nothing, and a save never clears a field it did not show."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import func, select

from ideaboard.extensions import db
from ideaboard.ideas.models import Comment, Idea, Notification
from ideaboard.outbox.models import OutboxMessage
from ideaboard.triage import services
from ideaboard.triage.models import IdeaEdit, IdeaNote, StatusChange, Team
from tests.helpers import login, post


class _Values(HTMLParser):
    """What each named form control shows: input values, textarea text, selected options."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name") or ""
        if tag == "input" and name and a.get("type") not in ("hidden", "submit"):
            self.values[name] = a.get("value") or ""
        elif tag == "select":
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value") or ""
        elif tag == "textarea":
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data


def shown(html: str) -> dict[str, str]:
    parser = _Values()
    parser.feed(html)
    return {k: v.strip() for k, v in parser.values.items()}


def snapshot(idea_id: int) -> dict[str, Any]:
    """The idea's fields and every row a staff action could write."""
    db.session.expire_all()
    idea = db.session.get(Idea, idea_id)
    assert idea is not None
    counts = {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (IdeaEdit, StatusChange, Comment, IdeaNote, Notification, OutboxMessage)
    }
    return {
        "title": idea.title,
        "category": idea.category_id,
        "team": idea.team_id,
        "assignee": idea.assignee_id,
        "stage": idea.stage_id,
        "hidden": idea.hidden_at,
        "merged": idea.merged_into_id,
        **counts,
    }


@pytest.fixture
def routed(client, make_user, make_idea):
    """An idea with a category, a team and an assignee; staff logged in."""
    staff = make_user("staff", name="Kim Gayoung")
    idea = make_idea(title="Dark mode for the app", category="app")
    billing = db.session.scalar(select(Team).where(Team.slug == "billing"))
    services.assign_idea(idea, staff, team=billing, assignee=staff)
    db.session.commit()
    login(client, staff)
    return idea, staff


def assert_other_cards_show_the_idea(values: dict[str, str], staff: Any, *, but: str) -> None:
    if but != "edit":
        assert values["edit-title"] == "Dark mode for the app"
        assert values["edit-category"] == "app"
    if but != "assign":
        assert values["assign-team"] == "billing"
        assert values["assign-assignee"] == str(staff.id)


# Each card's refused submission: the form data, the error shown, what must come back typed.
REFUSALS = {
    "stage": (
        {"stage-stage": "planned", "stage-note": "n" * 5_001},  # the service's limit is 5,000
        "at most 5000 characters",
        {"stage-note": "n" * 5_001, "stage-stage": "planned"},
    ),
    "assign": (
        {"assign-team": "no-such-team", "assign-assignee": ""},
        "Not a valid choice",
        {},
    ),
    "edit": (
        {"edit-title": "abc", "edit-category": "billing"},  # too short
        "at least 5 characters",
        {"edit-title": "abc", "edit-category": "billing"},
    ),
    "hide": (
        {"hide-reason": "r" * 201},
        "200",
        {"hide-reason": "r" * 201},
    ),
    "merge": (
        {"merge-target": "{self}", "merge-note": "Typed merge note"},
        "cannot be merged into itself",
        {"merge-target": "{self}", "merge-note": "Typed merge note"},
    ),
}


@pytest.mark.parametrize("card", list(REFUSALS))
def test_a_refused_form_keeps_every_card_and_changes_nothing(client, routed, card):
    idea, staff = routed
    data, error, typed = REFUSALS[card]
    data = {k: v.format(self=idea.id) for k, v in data.items()}
    before = snapshot(idea.id)
    path = {"assign": "assign"}.get(card, card)
    response = post(client, f"/staff/ideas/{idea.id}/{path}", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html
    assert error in html
    values = shown(html)
    for name, value in typed.items():
        assert values[name] == value.format(self=idea.id)
    assert_other_cards_show_the_idea(values, staff, but=card)
    assert "Routing saved." not in html
    assert snapshot(idea.id) == before


def test_saving_routing_after_a_refused_merge_keeps_the_team_and_assignee(client, routed):
    """The testers' case: the page after the error, sent as shown, changes nothing."""
    idea, staff = routed
    before = snapshot(idea.id)
    page = post(client, f"/staff/ideas/{idea.id}/merge", {"merge-target": str(idea.id)})
    values = shown(page.get_data(as_text=True))
    routing = {"assign-team": values["assign-team"], "assign-assignee": values["assign-assignee"]}
    assert post(client, f"/staff/ideas/{idea.id}/assign", routing).status_code == 302
    edit = {"edit-title": values["edit-title"], "edit-category": values["edit-category"]}
    assert post(client, f"/staff/ideas/{idea.id}/edit", edit).status_code == 302
    after = snapshot(idea.id)
    assert (after["team"], after["assignee"], after["category"]) == (
        before["team"],
        before["assignee"],
        before["category"],
    )
    assert after["IdeaEdit"] == before["IdeaEdit"]  # nothing changed, so nothing logged


def test_a_save_never_clears_a_field_it_did_not_send(client, routed):
    idea, staff = routed
    before = snapshot(idea.id)
    response = post(client, f"/staff/ideas/{idea.id}/assign", {"assign-assignee": ""})
    assert response.status_code == 302
    after = snapshot(idea.id)
    assert after["team"] == before["team"]  # not sent: kept
    assert after["assignee"] is None  # sent empty: cleared on purpose
    response = post(client, f"/staff/ideas/{idea.id}/edit", {"edit-title": "Dark mode everywhere"})
    assert response.status_code == 302
    after = snapshot(idea.id)
    assert after["title"] == "Dark mode everywhere"
    assert after["category"] == before["category"]


def test_a_refused_restore_shows_its_message(client, routed):
    idea, _staff = routed
    services.hide_idea(idea, _staff, "spam")
    db.session.commit()
    services.restore_idea(idea, _staff)
    db.session.commit()
    # The page still showed "Make public again" in another tab: the second restore is refused.
    response = post(client, f"/staff/ideas/{idea.id}/restore", {})
    assert response.status_code == 422
    assert "This idea is not hidden." in response.get_data(as_text=True)


def test_a_failure_inside_an_action_rolls_back_what_it_wrote(client, routed, monkeypatch):
    """A refusal raised after the service has written rows leaves none of them."""
    idea, _staff = routed
    before = snapshot(idea.id)
    real = services.hide_idea

    def hide_then_fail(*args: Any, **kwargs: Any) -> None:
        real(*args, **kwargs)
        from ideaboard.errors import Conflict

        raise Conflict("refused late", field="reason")

    monkeypatch.setattr(services, "hide_idea", hide_then_fail)
    response = post(client, f"/staff/ideas/{idea.id}/hide", {"hide-reason": "spam"})
    assert response.status_code == 422
    assert "refused late" in response.get_data(as_text=True)
    assert snapshot(idea.id) == before


NEW_ROUTES = [
    ("POST", "/staff/ideas/{id}/answer", {"answer-body": "Official"}),
    ("POST", "/staff/ideas/{id}/notes", {"note-body": "Internal"}),
    ("GET", "/staff/ideas/{id}/merge-candidates?q=idea", None),
    ("GET", "/staff/saved-replies", None),
    ("POST", "/staff/saved-replies", {"title": "T", "lang": "en", "body": "B"}),
]


@pytest.mark.parametrize(("method", "path", "data"), NEW_ROUTES)
def test_anonymous_visitors_are_sent_to_log_in_and_nothing_is_written(
    client, make_idea, method, path, data
):
    idea = make_idea()
    before = snapshot(idea.id)
    path = path.format(id=idea.id)
    response = client.get(path) if method == "GET" else post(client, path, data)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert snapshot(idea.id) == before


def test_hiding_an_idea_hidden_meanwhile_shows_why(client, routed):
    idea, staff = routed
    services.hide_idea(idea, staff, "spam")  # another tab hid it first
    db.session.commit()
    response = post(client, f"/staff/ideas/{idea.id}/hide", {"hide-reason": "abuse"})
    assert response.status_code == 422
    assert "This idea is hidden already." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).hidden_reason == "spam"
