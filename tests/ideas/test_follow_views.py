"""Following ideas and the notifications page through the test client."""

from __future__ import annotations

import re

import pytest

from ideaboard.accounts.models import Role
from ideaboard.extensions import db
from ideaboard.ideas import services
from ideaboard.ideas.models import Follow, Notification
from ideaboard.triage.services import change_stage, find_stage
from tests.helpers import post
from tests.ideas.helpers import count_rows, page_text, redirects_to_login, sign_in

# --- follow ---------------------------------------------------------------------------------------


def test_follow_and_unfollow_buttons_change_the_follow_rows_and_count(client, make_user, make_idea):
    follower = make_user()
    idea = make_idea()
    sign_in(client, follower)
    assert "Follow this idea" in page_text(client.get(f"/ideas/{idea.id}"))

    response = post(client, f"/ideas/{idea.id}/follow")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/ideas/{idea.id}"
    assert db.session.get(Follow, (follower.id, idea.id)) is not None
    db.session.refresh(idea)
    assert idea.follower_count == 2
    page = page_text(client.get(f"/ideas/{idea.id}"))
    assert "Following ✓ — stop following" in page
    assert "2 followers" in page

    # Following again changes nothing.
    post(client, f"/ideas/{idea.id}/follow")
    db.session.refresh(idea)
    assert idea.follower_count == 2
    assert count_rows(Follow, Follow.idea_id == idea.id) == 2

    response = post(client, f"/ideas/{idea.id}/unfollow")
    assert response.status_code == 302
    assert db.session.get(Follow, (follower.id, idea.id)) is None
    db.session.refresh(idea)
    assert idea.follower_count == 1

    # Unfollowing again never goes below the real count.
    post(client, f"/ideas/{idea.id}/unfollow")
    db.session.refresh(idea)
    assert idea.follower_count == 1
    assert "1 follower" in page_text(client.get(f"/ideas/{idea.id}"))


def test_follow_without_csrf_token_is_refused(client, make_user, make_idea):
    idea = make_idea()
    follower = make_user()
    sign_in(client, follower)
    assert client.post(f"/ideas/{idea.id}/follow").status_code == 400
    assert db.session.get(Follow, (follower.id, idea.id)) is None


def test_anonymous_follow_redirects_to_login(client, make_idea):
    idea = make_idea()
    assert redirects_to_login(post(client, f"/ideas/{idea.id}/follow"))
    assert count_rows(Follow) == 1  # only the author


def test_follow_of_an_unknown_idea_is_a_404(client, make_user):
    sign_in(client, make_user())
    assert post(client, "/ideas/999999/follow").status_code == 404
    assert count_rows(Follow) == 0


# --- notifications --------------------------------------------------------------------------------


@pytest.fixture
def fresh_client(app_factory):
    """A client whose every request gets its own app context, as in production.

    The `client` fixture runs inside the test's app context, so `g` (where the unread count
    is cached per request) would outlive a request there.
    """
    return app_factory().test_client()


def test_notifications_page_requires_login(client):
    assert redirects_to_login(client.get("/notifications"))
    assert redirects_to_login(post(client, "/notifications/read"))


def test_notifications_list_official_answers_and_mark_all_read_clears_the_count(
    fresh_client, make_user, make_idea
):
    me = make_user()
    staff = make_user(Role.STAFF)
    first = make_idea(me, title="My first idea")
    second = make_idea(me, title="My second idea")
    services.add_comment(staff, first, "We like it.")
    services.add_comment(staff, second, "Planned for spring.")
    db.session.commit()

    sign_in(fresh_client, me)
    page = page_text(fresh_client.get("/notifications"))
    assert re.search(r'<span class="count-badge"[^>]*>2</span>', page)
    assert page.count('<li class="notification unread">') == 2
    assert "Official answer on" in page
    assert page.index("My second idea") < page.index("My first idea")  # newest first
    assert "Mark all as read" in page

    response = post(fresh_client, "/notifications/read")
    assert response.status_code == 302
    assert response.headers["Location"] == "/notifications"
    db.session.rollback()  # see what the request committed
    assert count_rows(Notification, Notification.read_at.is_(None)) == 0
    assert count_rows(Notification) == 2

    page = page_text(fresh_client.get("/notifications"))
    assert 'class="count-badge"' not in page
    assert "unread" not in page.split("<main", 1)[1]
    assert "My first idea" in page
    assert "Mark all as read" not in page


def test_stage_change_shows_on_the_timeline_and_in_the_followers_notifications(
    fresh_client, make_user, make_idea
):
    me = make_user()
    staff = make_user(Role.STAFF, name="Sora Lee", initials="SL")
    idea = make_idea(me, title="Dark mode for the app")
    change_stage(idea, find_stage("under-review"), "We are **looking** at it.", staff)
    db.session.commit()

    sign_in(fresh_client, me)
    page = page_text(fresh_client.get(f"/ideas/{idea.id}"))
    assert "No status updates yet." not in page
    timeline = page[page.index('id="timeline-heading"') : page.index('id="comments-heading"')]
    assert re.search(r'<span class="stage-badge"[^>]*>Under Review</span>', timeline)
    assert "Sora Lee (SL)" in timeline
    assert "We are <strong>looking</strong> at it." in timeline

    page = page_text(fresh_client.get("/notifications"))
    assert re.search(r'<span class="count-badge"[^>]*>1</span>', page)
    assert "New status for" in page
    assert f'href="/ideas/{idea.id}#status-' in page


def test_mark_all_read_touches_only_my_notifications(fresh_client, make_user, make_idea):
    me, other = make_user(), make_user()
    staff = make_user(Role.STAFF)
    services.add_comment(staff, make_idea(me), "Answer for me.")
    services.add_comment(staff, make_idea(other), "Answer for someone else.")
    db.session.commit()
    sign_in(fresh_client, me)
    post(fresh_client, "/notifications/read")
    db.session.rollback()
    unread = Notification.read_at.is_(None)
    assert count_rows(Notification, Notification.user_id == me.id, unread) == 0
    assert count_rows(Notification, Notification.user_id == other.id, unread) == 1


def test_mark_all_read_without_csrf_token_is_refused(client, make_user, make_idea):
    me = make_user()
    services.add_comment(make_user(Role.STAFF), make_idea(me), "Answer.")
    db.session.commit()
    sign_in(client, me)
    assert client.post("/notifications/read").status_code == 400
    assert count_rows(Notification, Notification.read_at.is_(None)) == 1


def test_empty_notifications_page_says_so(client, make_user):
    sign_in(client, make_user())
    response = client.get("/notifications")
    assert response.status_code == 200
    assert "Nothing yet. Follow ideas to hear when our team answers them." in page_text(response)
