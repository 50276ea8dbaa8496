from __future__ import annotations

import re
import unicodedata

import pytest
from sqlalchemy import func, select

from ideaboard.errors import NotFound, ValidationFailed, VotingClosed
from ideaboard.extensions import db
from ideaboard.ideas import notifications, services
from ideaboard.ideas.models import Comment, Follow, Idea, Notification, Vote
from ideaboard.triage.services import change_stage, find_stage


def _count(model) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


# --- submit ------------------------------------------------------------------------------


def test_submit_idea_starts_new_and_the_author_follows_it(app, make_user):
    author = make_user()
    idea = services.submit_idea(author, "  Dark mode   for the app ", "Please.", "app")
    db.session.commit()
    assert idea.title == "Dark mode for the app"
    assert idea.stage.slug == "new"
    assert idea.category.slug == "app"
    assert idea.source == "web"
    assert (idea.score, idea.up_count, idea.down_count, idea.comment_count) == (0, 0, 0, 0)
    assert db.session.get(Follow, (author.id, idea.id)) is not None
    assert idea.follower_count == 1


def test_submit_idea_normalises_korean_to_nfc(app, make_user):
    decomposed = unicodedata.normalize("NFD", "데이터 이월 서비스")
    idea = services.submit_idea(make_user(), decomposed)
    db.session.commit()
    assert idea.title == "데이터 이월 서비스"
    assert unicodedata.is_normalized("NFC", idea.title)


@pytest.mark.parametrize(
    ("title", "body", "category", "field"),
    [
        ("", "", None, "title"),
        ("    ", "", None, "title"),
        ("abcd", "", None, "title"),
        ("x" * 141, "", None, "title"),
        ("x" * 10_000, "", None, "title"),
        ("Null\x00byte idea", "", None, "title"),
        ("A fine title", "b" * 20_001, None, "body"),
        ("A fine title", "NUL \x00 in body", None, "body"),
        ("A fine title", "", "no-such-category", "category"),
    ],
)
def test_submit_idea_refuses_bad_input_and_stores_nothing(
    app, make_user, title, body, category, field
):
    author = make_user()
    with pytest.raises(ValidationFailed) as caught:
        services.submit_idea(author, title, body, category)
    db.session.rollback()
    assert caught.value.field == field
    assert _count(Idea) == 0
    assert _count(Follow) == 0


@pytest.mark.parametrize(
    "title",
    ["데이터 이월 서비스", "Dark mode 🌙 please", "x" * 140, "五個字的標題", "Ünïcödé ideas"],
)
def test_submit_idea_accepts_unicode_titles_up_to_the_limit(app, make_user, title):
    idea = services.submit_idea(make_user(), title)
    db.session.commit()
    assert db.session.get(Idea, idea.id).title == title


def test_submit_idea_sanitises_markdown_body(app, make_user):
    body = (
        "**bold** <script>alert(1)</script> <img src=x onerror=alert(1)>\n\n"
        "[site](https://example.com) [bad](javascript:alert(1))"
    )
    idea = services.submit_idea(make_user(), "Safe markdown please", body)
    html = idea.body_html
    assert "<strong>bold</strong>" in html
    assert "<script" not in html
    assert not re.search(r"<[^>]*onerror", html)  # escaped text is fine, an attribute is not
    assert "<img" not in html
    assert 'href="https://example.com"' in html
    assert 'rel="nofollow ugc noopener"' in html
    assert 'href="javascript' not in html


# --- votes -------------------------------------------------------------------------------


def test_cast_vote_up_down_and_withdraw_keeps_counts_in_step(app, make_user, make_idea):
    idea = make_idea()
    voter = make_user()
    tally = services.cast_vote(voter, idea, 1)
    assert (tally.score, tally.up, tally.down, tally.my_vote) == (1, 1, 0, 1)
    tally = services.cast_vote(voter, idea, -1)
    assert (tally.score, tally.up, tally.down, tally.my_vote) == (-1, 0, 1, -1)
    tally = services.cast_vote(voter, idea, 0)
    assert (tally.score, tally.up, tally.down, tally.my_vote) == (0, 0, 0, 0)
    db.session.commit()
    assert _count(Vote) == 0


def test_cast_vote_twice_keeps_one_vote(app, make_user, make_idea):
    idea = make_idea()
    voter = make_user()
    services.cast_vote(voter, idea, 1)
    tally = services.cast_vote(voter, idea, 1)
    db.session.commit()
    assert tally.score == 1
    assert _count(Vote) == 1


def test_cast_vote_raises_the_trending_rank(app, make_user, make_idea):
    idea = make_idea()
    before = idea.hot
    for _ in range(10):
        services.cast_vote(make_user(), idea, 1)
    db.session.commit()
    assert idea.hot == pytest.approx(before + 1.0, abs=1e-6)  # 10 votes = one decade


def test_cast_vote_makes_the_voter_follow(app, make_user, make_idea):
    idea = make_idea()
    voter = make_user()
    services.cast_vote(voter, idea, -1)
    db.session.commit()
    assert services.is_following(voter, idea)


@pytest.mark.parametrize("value", [7, 2, -2, True, "1", None, 1.0])
def test_cast_vote_refuses_values_other_than_minus_one_zero_one(app, make_user, make_idea, value):
    idea = make_idea()
    with pytest.raises(ValidationFailed):
        services.cast_vote(make_user(), idea, value)
    db.session.rollback()
    assert _count(Vote) == 0
    assert db.session.get(Idea, idea.id).score == 0


def test_cast_vote_on_a_closed_stage_is_refused(app, make_user, make_idea):
    staff = make_user("staff")
    idea = make_idea()
    change_stage(idea, find_stage("launched"), "Shipped today.", staff, check_workflow=False)
    db.session.commit()
    with pytest.raises(VotingClosed):
        services.cast_vote(make_user(), idea, 1)


def test_vote_rows_are_unique_per_user_and_idea_in_the_database(app, make_user, make_idea):
    from sqlalchemy.exc import IntegrityError

    idea = make_idea()
    voter = make_user()
    db.session.add(Vote(user_id=voter.id, idea_id=idea.id, value=1))
    db.session.commit()
    db.session.add(Vote(user_id=voter.id, idea_id=idea.id, value=-1))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


# --- comments, follows, notifications ----------------------------------------------------


def test_add_comment_counts_and_renders(app, make_user, make_idea):
    idea = make_idea()
    comment = services.add_comment(make_user(), idea, "I'd use this *every* day")
    db.session.commit()
    assert comment.body_html == "<p>I'd use this <em>every</em> day</p>\n"
    assert not comment.is_official
    assert db.session.get(Idea, idea.id).comment_count == 1
    assert _count(Notification) == 0


@pytest.mark.parametrize("body", ["", "   \n  ", "c" * 5_001, "bad \x00 byte"])
def test_add_comment_refuses_bad_input(app, make_user, make_idea, body):
    idea = make_idea()
    with pytest.raises(ValidationFailed):
        services.add_comment(make_user(), idea, body)
    db.session.rollback()
    assert _count(Comment) == 0
    assert db.session.get(Idea, idea.id).comment_count == 0


def test_official_comment_notifies_followers_but_not_the_author(app, make_user, make_idea):
    author = make_user()
    voter = make_user()
    staff = make_user("staff")
    idea = make_idea(author)
    services.cast_vote(voter, idea, 1)
    comment = services.add_comment(staff, idea, "We are looking into it.")
    db.session.commit()
    assert comment.is_official
    assert notifications.unread_count(author) == 1
    assert notifications.unread_count(voter) == 1
    assert notifications.unread_count(staff) == 0
    [note] = notifications.recent_notifications(author)
    assert (note.kind, note.comment_id, note.actor_id) == ("official_comment", comment.id, staff.id)


def test_stage_change_notifies_followers_and_mark_all_read_clears(app, make_user, make_idea):
    author = make_user()
    staff = make_user("staff")
    idea = make_idea(author)
    change = change_stage(idea, find_stage("under-review"), "Looking at it", staff)
    db.session.commit()
    assert notifications.unread_count(author) == 1
    assert notifications.recent_notifications(author)[0].status_change_id == change.id
    assert notifications.mark_all_read(author) == 1
    db.session.commit()
    assert notifications.unread_count(author) == 0


def test_unfollow_then_follow_moves_the_follower_count(app, make_user, make_idea):
    author = make_user()
    idea = make_idea(author)
    assert services.unfollow_idea(author, idea) is True
    assert services.unfollow_idea(author, idea) is False
    db.session.commit()
    assert db.session.get(Idea, idea.id).follower_count == 0
    assert services.follow_idea(author, idea) is True
    assert services.follow_idea(author, idea) is False
    db.session.commit()
    assert db.session.get(Idea, idea.id).follower_count == 1


def test_get_idea_hides_hidden_ideas_from_customers(app, make_user, make_idea):
    from ideaboard.database import utcnow

    idea = make_idea()
    idea.hidden_at = utcnow()
    db.session.commit()
    with pytest.raises(NotFound):
        services.get_idea(idea.id, make_user())
    with pytest.raises(NotFound):
        services.get_idea(idea.id, None)
    assert services.get_idea(idea.id, make_user("staff")) is idea
    with pytest.raises(NotFound):
        services.get_idea(999_999, None)
