"""The staff inbox's rules: sort orders, last activity, queue counts, assign to me, paging."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import event, select

from ideaboard.database import utcnow
from ideaboard.errors import PermissionDenied, ValidationFailed
from ideaboard.extensions import db
from ideaboard.ideas import services as idea_services
from ideaboard.ideas.models import Idea
from ideaboard.triage import queries, services
from ideaboard.triage.models import IdeaEdit, Team, TeamMember
from tests.helpers import login, post

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TARGET = timedelta(hours=24)


def _titles(page) -> list[str]:
    return [row.idea.title for row in page.items]


def _inbox(viewer, now=None, page=1, **filters):
    return queries.inbox(
        queries.InboxFilters(**filters),
        viewer=viewer,
        now=now or utcnow(),
        target=TARGET,
        page=page,
    )


@pytest.fixture
def crafted(clock, make_user, make_idea):
    """Three ideas whose age, votes and last activity give four different orders.

    created: Alpha 09:00, Bravo 10:00, Charlie 11:00
    votes:   Bravo 2, Charlie 1, Alpha 0
    activity: Charlie 15:00 (a stage change), Alpha 14:00 (a comment), Bravo 13:00 (an edit)
    """
    staff = make_user("staff")
    voters = [make_user() for _ in range(2)]
    clock.set(T0)
    alpha = make_idea(title="Alpha idea")
    clock.set(T0 + timedelta(hours=1))
    bravo = make_idea(title="Bravo idea")
    clock.set(T0 + timedelta(hours=2))
    charlie = make_idea(title="Charlie idea")
    for voter in voters:
        idea_services.cast_vote(voter, bravo, 1)
    idea_services.cast_vote(voters[0], charlie, 1)
    clock.set(T0 + timedelta(hours=4))
    services.edit_idea(bravo, staff, title="Bravo idea, edited", category_slug=None)
    clock.set(T0 + timedelta(hours=5))
    idea_services.add_comment(voters[1], alpha, "Me too")
    clock.set(T0 + timedelta(hours=6))
    services.change_stage(charlie, services.find_stage("under-review"), "Looking", staff)
    db.session.commit()
    return staff, alpha, bravo, charlie


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("oldest", ["Alpha idea", "Bravo idea, edited", "Charlie idea"]),
        ("newest", ["Charlie idea", "Bravo idea, edited", "Alpha idea"]),
        ("votes", ["Bravo idea, edited", "Charlie idea", "Alpha idea"]),
        ("activity", ["Charlie idea", "Alpha idea", "Bravo idea, edited"]),
    ],
)
def test_each_sort_order(crafted, sort, expected):
    staff = crafted[0]
    assert _titles(_inbox(staff, stage="", sort=sort)) == expected


def test_the_waiting_queue_is_oldest_first_by_default(crafted):
    staff = crafted[0]
    page = _inbox(staff, stage="new")
    assert _titles(page) == ["Alpha idea", "Bravo idea, edited"]
    assert queries.InboxFilters().sort == "oldest"


def test_equal_votes_are_oldest_first(clock, make_user, make_idea):
    staff = make_user("staff")
    clock.set(T0)
    first = make_idea(title="First of a tie")
    clock.advance(hours=1)
    make_idea(title="Second of a tie")
    assert first.score == 0
    assert _titles(_inbox(staff, stage="", sort="votes")) == ["First of a tie", "Second of a tie"]


def test_last_activity_follows_comments_stage_changes_edits_and_routing(
    clock, make_user, make_idea
):
    staff = make_user("staff")
    clock.set(T0)
    idea = make_idea()
    assert idea.last_activity_at == T0 == idea.created_at
    steps = [
        lambda: idea_services.add_comment(staff, idea, "An official word"),
        lambda: services.change_stage(idea, services.find_stage("planned"), "Planned", staff),
        lambda: services.edit_idea(idea, staff, title="A clearer title", category_slug=None),
        lambda: services.assign_idea(idea, staff, team=None, assignee=staff),
        lambda: services.hide_idea(idea, staff, "spam"),
    ]
    for hours, step in enumerate(steps, start=1):
        now = clock.set(T0 + timedelta(hours=hours))
        step()
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(Idea, idea.id).last_activity_at == now


def test_last_activity_follows_notes_and_the_authors_own_edits(clock, make_user, make_idea):
    """An internal note, the author editing their idea and a comment being edited are
    activity too (each is written by its own service, outside the steps above)."""
    staff, author = make_user("staff"), make_user()
    clock.set(T0)
    idea = make_idea(author)
    comment = idea_services.add_comment(author, idea, "First thought")
    db.session.commit()
    steps = [
        lambda: idea_services.edit_own_idea(
            author, idea, title="A clearer title by its author", body="", category_slug=None
        ),
        lambda: idea_services.edit_comment(author, comment, "Second thought"),
        lambda: services.add_note(idea, staff, "Billing is on it"),
    ]
    for hours, step in enumerate(steps, start=1):
        now = clock.set(T0 + timedelta(hours=hours))
        step()
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(Idea, idea.id).last_activity_at == now


def test_last_activity_never_moves_back(clock, make_user, make_idea):
    clock.set(T0 + timedelta(days=1))
    idea = make_idea()
    idea_services.record_activity(idea, T0)  # a back-dated row
    assert idea.last_activity_at == T0 + timedelta(days=1)


def test_a_customer_vote_is_not_activity(clock, make_user, make_idea):
    clock.set(T0)
    idea = make_idea()
    clock.advance(hours=2)
    idea_services.cast_vote(make_user(), idea, 1)
    db.session.commit()
    assert idea.last_activity_at == T0


# --- sort and filters on the page -------------------------------------------------------------


@pytest.mark.parametrize("sort", ["random", "votes;drop", "x" * 500, "OLDEST"])
def test_an_unknown_sort_is_a_400_with_a_message(client, make_user, make_idea, sort):
    make_idea(title="Still listed nowhere")
    login(client, make_user("staff"))
    response = client.get("/staff/", query_string={"sort": sort})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is no sort order called" in page
    assert "oldest, newest, votes, activity" in page
    assert "Still listed nowhere" not in page
    message = re.search(r'<p class="error" role="alert">([^<]*)</p>', page).group(1)
    assert "x" * 61 not in message  # the value is bounded before it is shown


def test_an_unknown_source_is_a_400_with_a_message(client, make_user):
    login(client, make_user("staff"))
    response = client.get("/staff/?source=fax")
    assert response.status_code == 400
    assert "There is no source called fax." in response.get_data(as_text=True)


def test_the_sort_menu_and_the_page_follow_the_sort(client, crafted):
    login(client, crafted[0])
    page = client.get("/staff/?stage=&sort=votes").get_data(as_text=True)
    assert '<option value="votes" selected>' in page
    assert page.index("Bravo idea, edited") < page.index("Charlie idea") < page.index("Alpha idea")
    assert "sorted by: Most votes" in page


# --- queue counts ---------------------------------------------------------------------------


@pytest.fixture
def queue_data(clock, make_user, make_idea):
    """Ideas spread over the queues; returns the viewer and the billing team."""
    clock.set(T0)
    me, other = make_user("staff"), make_user("staff")
    billing = db.session.scalar(select(Team).where(Team.slug == "billing"))
    db.session.add(TeamMember(team_id=billing.id, user_id=me.id))
    old_mine = make_idea(title="Old and mine")  # waiting, mine, overdue at T0 + 2 days
    clock.set(T0 + timedelta(days=1, hours=12))
    billing_one = make_idea(title="Billing, nobody")  # waiting, unassigned, my teams
    theirs = make_idea(title="Someone else's")  # waiting, assigned to other
    answered = make_idea(title="Answered, mine")  # under review, mine
    hidden = make_idea(title="Spammy link")  # hidden
    held = make_idea(title="Held post")  # hidden and held
    services.assign_idea(old_mine, me, team=None, assignee=me)
    services.assign_idea(billing_one, me, team=billing, assignee=None)
    services.assign_idea(theirs, me, team=None, assignee=other)
    services.assign_idea(answered, me, team=billing, assignee=me)
    services.change_stage(answered, services.find_stage("under-review"), "On it", me)
    services.hide_idea(hidden, me, "spam")
    held.held, held.hidden_at, held.hidden_reason = True, utcnow(), "held for approval"
    db.session.commit()
    clock.set(T0 + timedelta(days=2))
    return me, billing


def test_each_queue_counts_its_ideas(queue_data):
    me, billing = queue_data
    found = queries.queues(
        viewer=me, now=utcnow(), target=TARGET, waiting="new", teams=queries.teams()
    )
    counts = {(q.key if q.team is None else q.team.slug): q.count for q in found}
    assert counts == {
        "waiting": 3,
        "unassigned": 1,
        "overdue": 1,  # "Old and mine"; "Answered, mine" has its first answer
        "mine": 2,
        "my-teams": 2,
        "product": 0,
        "support": 0,
        "billing": 2,
        "network": 0,
        "held": 1,
        "hidden": 2,
    }


def test_a_queue_count_is_the_size_of_its_list(queue_data):
    me, _billing = queue_data
    now = utcnow()
    for queue in queries.queues(
        viewer=me, now=now, target=TARGET, waiting="new", teams=queries.teams()
    ):
        listed = queries.inbox(queue.filters, viewer=me, now=now, target=TARGET)
        assert listed.total == queue.count, queue.key


def _statements(work) -> int:
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_queue_counts_take_the_same_few_queries_for_any_number_of_ideas(make_user, make_idea):
    me = make_user("staff")

    def count_queues():
        queries.queues(viewer=me, now=utcnow(), target=TARGET, waiting="new", teams=[])

    make_idea()
    db.session.refresh(me)
    few = _statements(count_queues)
    for _ in range(12):
        make_idea()
    db.session.refresh(me)
    assert _statements(count_queues) == few <= 4  # slugs (3 small tables) and one count


def test_the_page_shows_each_queue_with_its_count(client, queue_data):
    me, _billing = queue_data
    login(client, me)
    page = client.get("/staff/").get_data(as_text=True)
    found = dict(
        re.findall(r'data-queue="([a-z-]+)"[^>]*>[^<]*<span class="queue-count">(\d+)</span>', page)
    )
    assert found["waiting"] == "3"
    assert found["overdue"] == "1"
    assert found["mine"] == "2"
    assert found["my-teams"] == "2"
    assert found["held"] == "1"
    # The overdue queue lists what it counts.
    overdue = client.get("/staff/?stage=&overdue=1").get_data(as_text=True)
    assert "Old and mine" in overdue
    assert "Billing, nobody" not in overdue


# --- assign to me ---------------------------------------------------------------------------


def test_assign_to_me_keeps_the_team_and_returns_to_the_same_list(client, make_user, make_idea):
    staff = make_user("staff", name="Kim Gayoung")
    idea = make_idea(title="Route me")
    billing = db.session.scalar(select(Team).where(Team.slug == "billing"))
    services.assign_idea(idea, staff, team=billing, assignee=None)
    db.session.commit()
    login(client, staff)
    back = "/staff/?stage=&team=billing&sort=newest&page=1"
    response = post(client, f"/staff/ideas/{idea.id}/assign-to-me", {"next": back})
    assert response.status_code == 302
    assert response.headers["Location"] == back
    db.session.expire_all()
    idea = db.session.get(Idea, idea.id)
    assert (idea.assignee_id, idea.team_id) == (staff.id, billing.id)
    edit = db.session.scalar(select(IdeaEdit).where(IdeaEdit.field == "assignee"))
    assert edit.new_value == "Kim Gayoung"
    page = client.get(back).get_data(as_text=True)
    assert f"1 idea is assigned to you: #{idea.id}." in unescape(page)


@pytest.mark.parametrize("target", ["https://evil.example/staff/", "//evil.example/", "/\\evil"])
def test_assign_to_me_never_leaves_the_site(client, make_user, make_idea, target):
    staff = make_user("staff")
    idea = make_idea()
    login(client, staff)
    response = post(client, f"/staff/ideas/{idea.id}/assign-to-me", {"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"


def test_assign_to_me_needs_staff(client, make_user, make_idea):
    idea = make_idea()
    anonymous = post(client, f"/staff/ideas/{idea.id}/assign-to-me")
    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]
    customer = make_user()
    login(client, customer)
    for path in (f"/staff/ideas/{idea.id}/assign-to-me", "/staff/bulk-assign-to-me"):
        assert post(client, path, {"ideas": str(idea.id)}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).assignee_id is None
    with pytest.raises(PermissionDenied):
        services.assign_to_me([idea], customer)


def test_assign_to_me_needs_a_csrf_token(client, make_user, make_idea):
    idea = make_idea()
    login(client, make_user("staff"))
    assert client.post(f"/staff/ideas/{idea.id}/assign-to-me").status_code == 400
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).assignee_id is None


def test_assign_a_missing_idea_to_me_is_404(client, make_user):
    login(client, make_user("staff"))
    assert post(client, "/staff/ideas/999999/assign-to-me").status_code == 404


def test_bulk_assign_to_me(client, make_user, make_idea):
    staff, other = make_user("staff"), make_user("staff")
    first, second, third = make_idea(), make_idea(), make_idea()
    services.assign_idea(second, other, team=None, assignee=other)
    services.assign_idea(third, staff, team=None, assignee=staff)
    db.session.commit()
    login(client, staff)
    response = post(
        client,
        "/staff/bulk-assign-to-me",
        {"ideas": [str(first.id), str(second.id), str(third.id)], "next": "/staff/?stage="},
    )
    assert response.headers["Location"] == "/staff/?stage="
    db.session.expire_all()
    assignees = {db.session.get(Idea, i.id).assignee_id for i in (first, second, third)}
    assert assignees == {staff.id}
    page = unescape(client.get("/staff/?stage=").get_data(as_text=True))
    assert f"2 ideas are assigned to you: #{first.id}, #{second.id}." in page  # third was already


def test_bulk_assign_refusals_change_nothing(client, make_user, make_idea):
    staff = make_user("staff")
    idea = make_idea()
    login(client, staff)
    nothing = post(client, "/staff/bulk-assign-to-me", {"next": "/staff/"})
    assert nothing.status_code == 302
    assert "Select at least one idea." in client.get("/staff/").get_data(as_text=True)
    bad = post(client, "/staff/bulk-assign-to-me", {"ideas": [str(idea.id), "1; drop"]})
    assert bad.status_code == 302
    assert "not idea numbers" in client.get("/staff/").get_data(as_text=True)
    too_many = [str(n) for n in range(1, services.BULK_MAX + 2)]
    assert post(client, "/staff/bulk-assign-to-me", {"ideas": too_many}).status_code == 302
    assert "Select at most 200 ideas." in client.get("/staff/").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).assignee_id is None


def test_bulk_assign_of_ideas_already_mine_says_nothing_changed(client, make_user, make_idea):
    staff = make_user("staff")
    idea = make_idea()
    services.assign_idea(idea, staff, team=None, assignee=staff)
    db.session.commit()
    login(client, staff)
    post(client, "/staff/bulk-assign-to-me", {"ideas": str(idea.id)})
    page = client.get("/staff/").get_data(as_text=True)
    assert "Nothing changed: the selected ideas were already assigned to you." in page
    assert "flash-success" not in page


def test_the_inbox_offers_assign_to_me_on_rows_not_yet_mine(client, make_user, make_idea):
    staff = make_user("staff")
    mine, other = make_idea(), make_idea()
    services.assign_idea(mine, staff, team=None, assignee=staff)
    db.session.commit()
    login(client, staff)
    page = client.get("/staff/").get_data(as_text=True)
    assert f'formaction="/staff/ideas/{other.id}/assign-to-me"' in page
    assert f'formaction="/staff/ideas/{mine.id}/assign-to-me"' not in page
    assert 'formaction="/staff/bulk-assign-to-me"' in page


def test_assign_to_me_service_bounds(make_user):
    staff = make_user("staff")
    with pytest.raises(ValidationFailed):
        services.assign_to_me([], staff)


# --- paging ---------------------------------------------------------------------------------


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(queries, "INBOX_PAGE", 2)


def test_the_inbox_is_paged_and_the_links_keep_the_filters(
    client, clock, make_user, make_idea, small_pages
):
    clock.set(T0)
    for n in range(5):
        make_idea(title=f"Paged idea {n}")
        clock.advance(minutes=1)
    login(client, make_user("staff"))
    first = client.get("/staff/?stage=&sort=newest").get_data(as_text=True)
    assert "Paged idea 4" in first
    assert "Paged idea 3" in first
    assert "Paged idea 2" not in first
    assert "Page 1 of 3" in first
    assert "5 ideas in this list." in first
    following = unescape(re.search(r'<a rel="next" href="([^"]+)"', first).group(1))
    assert "sort=newest" in following
    assert "stage=" in following
    assert "page=2" in following
    second = client.get(following).get_data(as_text=True)
    assert "Paged idea 2" in second
    assert "Paged idea 1" in second
    assert "Page 2 of 3" in second
    assert 'rel="prev"' in second


@pytest.mark.parametrize(
    ("raw", "shown"), [("0", 1), ("-1", 1), ("abc", 1), ("99999999", 1), ("999999", 3)]
)
def test_inbox_page_numbers_are_bounded(client, make_user, make_idea, small_pages, raw, shown):
    for _ in range(5):
        make_idea()
    login(client, make_user("staff"))
    response = client.get(f"/staff/?page={raw}")
    assert response.status_code == 200
    assert f"Page {shown} of 3" in response.get_data(as_text=True)


def test_a_short_list_has_no_pager(client, make_user, make_idea):
    make_idea()
    login(client, make_user("staff"))
    page = client.get("/staff/").get_data(as_text=True)
    assert 'class="pager"' not in page
    assert "1 idea in this list." in page


def test_queue_links_keep_the_sort_and_mark_the_current_queue(client, make_user):
    login(client, make_user("staff"))
    page = unescape(client.get("/staff/?stage=&assignee=me&sort=votes").get_data(as_text=True))
    current = r'<a href="([^"]+)" data-queue="mine" class="active" aria-current="page">'
    mine = re.search(current, page)
    assert mine is not None
    assert mine.group(1) == "/staff/?stage=&assignee=me&sort=votes"
    waiting = re.search(r'<a href="([^"]+)" data-queue="waiting" >', page)
    assert waiting is not None
    assert waiting.group(1) == "/staff/?sort=votes"
    default = client.get("/staff/").get_data(as_text=True)
    assert 'href="/staff/" data-queue="waiting" class="active" aria-current="page"' in default
