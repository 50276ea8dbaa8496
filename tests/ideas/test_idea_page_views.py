"""An idea's page and its comments through the test client."""

from __future__ import annotations

import re
import unicodedata

import pytest
from sqlalchemy import select

from ideaboard.accounts.models import Role
from ideaboard.database import utcnow
from ideaboard.extensions import db
from ideaboard.ideas import services
from ideaboard.ideas.models import Comment, Follow, Idea, Notification
from ideaboard.ideas.ranking import hot_rank
from ideaboard.text import render_markdown
from tests.helpers import post
from tests.ideas.helpers import count_rows, field_error, page_text, redirects_to_login, sign_in

# --- idea page ------------------------------------------------------------------------------------


def test_idea_page_shows_title_stage_author_empty_timeline_and_comments(
    client, make_user, make_idea
):
    idea = make_idea(make_user(name="Minji Kim"), title="Dark mode for the app", body="*Please*")
    services.add_comment(make_user(name="Jun Park"), idea, "Yes, **my eyes** hurt.")
    db.session.commit()
    response = client.get(f"/ideas/{idea.id}")
    assert response.status_code == 200
    page = page_text(response)
    assert "<h1>Dark mode for the app</h1>" in page
    assert re.search(r'<span class="stage-badge"[^>]*>New</span>', page)
    assert "Suggested by Minji Kim" in page
    assert "<em>Please</em>" in page
    assert "No status updates yet." in page
    assert "1 comment" in page
    assert "<strong>Jun Park</strong>" in page
    assert "Yes, <strong>my eyes</strong> hurt." in page
    assert "Log in to vote and comment." in page
    assert "2 followers" in page


def test_idea_page_for_an_unknown_id_is_a_404(client):
    response = client.get("/ideas/999999")
    assert response.status_code == 404
    assert "There is no idea with this number." in page_text(response)


def test_hidden_idea_page_is_a_404_for_customers_and_shown_to_staff(client, make_user, make_idea):
    idea = make_idea(title="Hidden spam idea")
    idea.hidden_at = utcnow()
    db.session.commit()
    assert client.get(f"/ideas/{idea.id}").status_code == 404
    sign_in(client, make_user(Role.STAFF))
    response = client.get(f"/ideas/{idea.id}")
    assert response.status_code == 200
    assert "Hidden spam idea" in page_text(response)


def test_imported_idea_page_credits_the_social_author_and_links_the_post(client):
    now = utcnow()
    body = "@brand please let unused data roll over #idea"
    idea = Idea(
        title="Let unused data roll over",
        body=body,
        body_html=render_markdown(body),
        stage=services.default_stage(),
        source="x",
        source_url="https://x.com/minji/status/1234567890",
        source_author_name="Minji Kim",
        source_author_handle="minji",
        created_at=now,
        updated_at=now,
        hot=hot_rank(0, now),
    )
    db.session.add(idea)
    db.session.commit()
    page = page_text(client.get(f"/ideas/{idea.id}"))
    assert "Suggested on X by Minji Kim" in page
    # The handle links to the author's profile (ideas.attribution), the post has its own link.
    assert '(<a href="https://x.com/minji" rel="nofollow noopener">@minji</a>)' in page
    assert (
        '<a href="https://x.com/minji/status/1234567890" rel="nofollow noopener">'
        "See the original post on X</a>"
    ) in page
    assert "Suggested by" not in page
    board = page_text(client.get("/"))
    assert "𝕏 @minji" in board


@pytest.mark.parametrize(
    "idea_id", ["0", "2147483648", "9223372036854775807", "99999999999999999999"]
)
def test_idea_numbers_outside_the_database_range_are_404_not_500(client, idea_id):
    assert client.get(f"/ideas/{idea_id}").status_code == 404
    assert client.get(f"/ideas/{idea_id}/status.atom").status_code == 404


# --- comments -------------------------------------------------------------------------------------


def test_comment_is_posted_shown_and_counted(client, make_user, make_idea):
    commenter = make_user(name="Jun Park")
    idea = make_idea()
    sign_in(client, commenter)
    response = post(client, f"/ideas/{idea.id}/comments", {"body": "I would use this *daily*."})
    assert response.status_code == 302
    comment = db.session.scalars(select(Comment)).one()
    assert response.headers["Location"] == f"/ideas/{idea.id}#comment-{comment.id}"
    assert comment.author_id == commenter.id
    assert comment.is_official is False
    db.session.refresh(idea)
    assert idea.comment_count == 1
    assert db.session.get(Follow, (commenter.id, idea.id)) is not None
    page = page_text(client.get(f"/ideas/{idea.id}"))
    assert "Your comment is posted." in page
    assert "I would use this <em>daily</em>." in page
    assert "1 comment" in page
    assert 'class="official-badge"' not in page
    assert count_rows(Notification) == 0


def test_staff_comment_is_official_and_notifies_followers_but_not_its_author(
    client, make_user, make_idea
):
    author = make_user()
    voter = make_user()
    staff = make_user(Role.STAFF, name="Sora Lee")
    idea = make_idea(author)
    services.cast_vote(voter, idea, 1)
    services.follow_idea(staff, idea)  # staff following the idea must still not self-notify
    db.session.commit()
    sign_in(client, staff)
    response = post(client, f"/ideas/{idea.id}/comments", {"body": "We are looking into it."})
    assert response.status_code == 302
    comment = db.session.scalars(select(Comment)).one()
    assert comment.is_official is True
    notified = db.session.scalars(select(Notification.user_id).order_by(Notification.user_id))
    assert list(notified) == sorted([author.id, voter.id])
    for note in db.session.scalars(select(Notification)):
        assert (note.kind, note.comment_id, note.actor_id) == (
            "official_comment",
            comment.id,
            staff.id,
        )
    page = page_text(client.get(f"/ideas/{idea.id}"))
    assert re.search(
        r'<li class="comment official" id="comment-\d+">.*?<span class="official-badge">Official',
        page,
        re.S,
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "This field is required."),
        ("   \n\t ", "This field is required."),
        ("x" * 5_001, "5000"),
        ("Null \x00 byte", "not allowed"),
    ],
    ids=["empty", "whitespace", "5001-chars", "nul"],
)
def test_comment_with_bad_input_is_a_422_and_stores_nothing(
    client, make_user, make_idea, body, message
):
    idea = make_idea()
    sign_in(client, make_user())
    response = post(client, f"/ideas/{idea.id}/comments", {"body": body})
    assert response.status_code == 422
    assert message in field_error(page_text(response), "body")
    assert count_rows(Comment) == 0
    db.session.refresh(idea)
    assert idea.comment_count == 0


@pytest.mark.parametrize(
    ("body", "stored"),
    [
        # Browsers send textarea newlines as CRLF: 5,099 code points, 4,999 characters.
        ("\r\n".join(["x" * 49] * 100), "\n".join(["x" * 49] * 100)),
        # Decomposed Korean: 6,000 code points, 2,000 characters.
        (unicodedata.normalize("NFD", "민" * 2_000), "민" * 2_000),
    ],
    ids=["crlf-newlines", "nfd-korean"],
)
def test_comment_length_is_counted_after_normalisation(client, make_user, make_idea, body, stored):
    idea = make_idea()
    sign_in(client, make_user())
    response = post(client, f"/ideas/{idea.id}/comments", {"body": body})
    assert response.status_code == 302
    assert db.session.scalars(select(Comment.body)).one() == stored


def test_comment_of_exactly_5000_characters_is_accepted(client, make_user, make_idea):
    idea = make_idea()
    sign_in(client, make_user())
    response = post(client, f"/ideas/{idea.id}/comments", {"body": "y" * 5_000})
    assert response.status_code == 302
    assert len(db.session.scalars(select(Comment.body)).one()) == 5_000


def test_anonymous_comment_redirects_to_login_and_stores_nothing(client, make_idea):
    idea = make_idea()
    response = post(client, f"/ideas/{idea.id}/comments", {"body": "Me too"})
    assert redirects_to_login(response)
    assert count_rows(Comment) == 0


def test_comment_without_csrf_token_is_refused(client, make_user, make_idea):
    idea = make_idea()
    sign_in(client, make_user())
    response = client.post(f"/ideas/{idea.id}/comments", data={"body": "Me too"})
    assert response.status_code == 400
    assert count_rows(Comment) == 0


def test_comment_on_an_unknown_idea_is_a_404(client, make_user):
    sign_in(client, make_user())
    assert post(client, "/ideas/999999/comments", {"body": "Me too"}).status_code == 404
    assert count_rows(Comment) == 0
