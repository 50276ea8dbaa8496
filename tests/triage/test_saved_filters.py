"""Saved inbox filters: save (normalised, checked, bounded), list, use (checked again), delete."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from ideaboard.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ideaboard.extensions import db
from ideaboard.triage import queries, saved_filters
from ideaboard.triage.models import SavedFilter, Team
from tests.helpers import login, post


def _saved(user) -> list[tuple[str, str]]:
    rows = db.session.execute(
        select(SavedFilter.name, SavedFilter.query)
        .where(SavedFilter.user_id == user.id)
        .order_by(SavedFilter.id)
    )
    return [tuple(row) for row in rows]


def test_save_a_filter_and_use_it(client, make_user, make_idea):
    staff = make_user("staff")
    idea = make_idea(title="A billing question")
    billing = db.session.scalar(select(Team).where(Team.slug == "billing"))
    idea.team = billing
    make_idea(title="Something else entirely")
    db.session.commit()
    login(client, staff)
    # The page carries the current filter in the save form.
    page = client.get("/staff/?stage=&team=billing&sort=votes").get_data(as_text=True)
    assert 'name="query" type="hidden" value="stage=&amp;team=billing&amp;sort=votes"' in page
    response = post(
        client,
        "/staff/saved-filters",
        {"name": "Billing by votes", "query": "stage=&team=billing&sort=votes"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/?stage=&team=billing&sort=votes"
    assert _saved(staff) == [("Billing by votes", "stage=&team=billing&sort=votes")]
    inbox = client.get("/staff/").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)">Billing by votes</a>', inbox)
    assert link is not None
    used = client.get(unescape(link.group(1)))
    assert used.status_code == 200
    listed = used.get_data(as_text=True)
    assert "A billing question" in listed
    assert "Something else entirely" not in listed


def test_the_stored_query_is_normalised(client, make_user):
    staff = make_user("staff")
    login(client, staff)
    junk = "sort=newest&evil=%3Cscript%3E&team=billing&hidden=0&q=+dark+mode&page=3&q=second"
    assert post(client, "/staff/saved-filters", {"name": "Mixed", "query": junk}).status_code == 302
    # Known keys only, in one order, defaults left out; the waiting queue's stage is implied.
    assert _saved(staff) == [("Mixed", "team=billing&q=second&sort=newest")]


def test_a_name_is_unique_per_person(client, make_user):
    first, second = make_user("staff"), make_user("staff")
    saved_filters.save_filter(first, "Mine", queries.InboxFilters(stage=""), waiting="new")
    db.session.commit()
    with pytest.raises(Conflict):
        saved_filters.save_filter(first, "Mine", queries.InboxFilters(), waiting="new")
    db.session.rollback()
    saved_filters.save_filter(second, "Mine", queries.InboxFilters(), waiting="new")
    db.session.commit()
    login(client, first)
    response = post(client, "/staff/saved-filters", {"name": "Mine", "query": "sort=votes"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "You already have a saved filter called Mine." in page
    assert db.session.scalar(select(func.count()).select_from(SavedFilter)) == 2


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("\u200b\u3164", "Name is required."),  # shows nothing
        ("x" * 61, "Field cannot be longer than 60 characters."),
        ("bad\x00name", "Name of this filter contains characters that are not allowed."),
    ],
)
def test_a_bad_name_is_a_form_error_and_saves_nothing(client, make_user, name, message):
    staff = make_user("staff")
    login(client, staff)
    response = post(client, "/staff/saved-filters", {"name": name, "query": "sort=votes"})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _saved(staff) == []


def test_a_name_is_cleaned_like_every_text(make_user):
    staff = make_user("staff")
    saved = saved_filters.save_filter(
        staff, "  Billing \u202eurgent\u202c  ", queries.InboxFilters(), waiting="new"
    )
    assert saved.name == "Billing urgent"  # trimmed, bidi controls removed


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("stage=nope", "There is no stage called nope."),
        ("team=ghosts", "There is no team called ghosts."),
        ("sort=random", "There is no sort order called random."),
        ("assignee=someone", "Unknown assignee."),
    ],
)
def test_a_filter_naming_nothing_is_not_saved(client, make_user, query, message):
    staff = make_user("staff")
    login(client, staff)
    response = post(client, "/staff/saved-filters", {"name": "Broken", "query": query})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _saved(staff) == []


def test_a_too_long_query_is_refused(client, make_user):
    staff = make_user("staff")
    login(client, staff)
    response = post(client, "/staff/saved-filters", {"name": "Long", "query": "q=" + "a" * 3000})
    assert response.status_code == 422
    assert _saved(staff) == []


def test_a_person_keeps_a_bounded_number(make_user):
    staff = make_user("staff")
    for n in range(saved_filters.PER_USER_MAX):
        saved_filters.save_filter(staff, f"Filter {n}", queries.InboxFilters(), waiting="new")
    with pytest.raises(ValidationFailed, match="at most"):
        saved_filters.save_filter(staff, "One more", queries.InboxFilters(), waiting="new")


def test_customers_cannot_save_filters(client, make_user):
    customer = make_user()
    with pytest.raises(PermissionDenied):
        saved_filters.save_filter(customer, "Mine", queries.InboxFilters(), waiting="new")
    login(client, customer)
    assert post(client, "/staff/saved-filters", {"name": "x", "query": ""}).status_code == 403


def test_a_saved_filter_is_checked_again_when_used(client, make_user):
    staff = make_user("staff")
    team = Team(slug="pilots", name="Pilots")
    db.session.add(team)
    db.session.commit()
    saved_filters.save_filter(staff, "Pilots", queries.InboxFilters(team="pilots"), waiting="new")
    db.session.delete(team)
    db.session.commit()
    login(client, staff)
    inbox = client.get("/staff/").get_data(as_text=True)
    link = unescape(re.search(r'<a href="([^"]+)">Pilots</a>', inbox).group(1))
    used = client.get(link)
    assert used.status_code == 400
    assert "There is no team called pilots." in used.get_data(as_text=True)


def test_a_tampered_stored_query_keeps_only_what_a_filter_is(make_user):
    staff = make_user("staff")
    saved = SavedFilter(user_id=staff.id, name="Odd", query="next=//evil.example&sort=votes&x=1")
    db.session.add(saved)
    db.session.commit()
    filters = saved_filters.filters_of(saved, "new")
    assert filters == queries.InboxFilters(stage="new", sort="votes")
    assert filters.as_args("new") == {"sort": "votes"}


def test_each_person_sees_and_deletes_only_their_own(client, make_user):
    mine, theirs = make_user("staff"), make_user("staff")
    own = saved_filters.save_filter(mine, "Own filter", queries.InboxFilters(), waiting="new")
    other = saved_filters.save_filter(theirs, "Their filter", queries.InboxFilters(), waiting="new")
    db.session.commit()
    login(client, mine)
    page = client.get("/staff/").get_data(as_text=True)
    assert "Own filter" in page
    assert "Their filter" not in page
    assert post(client, f"/staff/saved-filters/{other.id}/delete").status_code == 404
    with pytest.raises(NotFound):
        saved_filters.delete_filter(mine, other.id)
    response = post(
        client, f"/staff/saved-filters/{own.id}/delete", {"next": "/staff/?stage=&sort=votes"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/?stage=&sort=votes"
    assert _saved(mine) == []
    assert _saved(theirs) == [("Their filter", "stage=")]  # every stage
    assert "Saved filter Own filter deleted." in client.get("/staff/").get_data(as_text=True)


def test_deleting_needs_a_csrf_token(client, make_user):
    staff = make_user("staff")
    own = saved_filters.save_filter(staff, "Keep me", queries.InboxFilters(), waiting="new")
    db.session.commit()
    login(client, staff)
    assert client.post(f"/staff/saved-filters/{own.id}/delete").status_code == 400
    assert _saved(staff) == [("Keep me", "stage=")]


def test_a_refused_save_keeps_the_list_and_its_links(client, make_user, make_idea, monkeypatch):
    monkeypatch.setattr(queries, "INBOX_PAGE", 1)
    staff = make_user("staff")
    for _ in range(2):
        make_idea()
    saved_filters.save_filter(staff, "Taken", queries.InboxFilters(), waiting="new")
    db.session.commit()
    login(client, staff)
    response = post(
        client, "/staff/saved-filters", {"name": "Taken", "query": "stage=&sort=newest"}
    )
    assert response.status_code == 422
    page = unescape(response.get_data(as_text=True))
    assert 'name="next" value="/staff/?stage=&sort=newest"' in page
    assert 'rel="next" href="/staff/?stage=&sort=newest&page=2"' in page
    assert 'name="query" type="hidden" value="stage=&sort=newest"' in page
