"""`ideas.attribution`: one answer to "who suggested it", for pages, API, insights and X posts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ideaboard.api.serialize import idea_out
from ideaboard.extensions import db
from ideaboard.ideas.attribution import Attribution, attribution
from ideaboard.insights.services import suggested_by
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social.models import SocialAccount
from ideaboard.triage.services import change_stage, find_stage
from tests.helpers import login


def _imported(idea, *, name, handle):
    idea.source, idea.source_author_name, idea.source_author_handle = "x", name, handle
    idea.source_url = "https://x.com/minji/status/1"
    db.session.commit()
    return idea


def test_a_site_idea_is_its_authors(make_user, make_idea) -> None:
    idea = make_idea(make_user(name="Hana Lee"))
    assert attribution(idea) == Attribution(name="Hana Lee")
    assert attribution(idea).mention == "Hana Lee"


@pytest.mark.parametrize(
    ("name", "handle", "shown", "mention"),
    [
        ("김민지", "minji_k", "김민지", "@minji_k"),
        (None, "minji_k", "@minji_k", "@minji_k"),
        ("", "@minji_k", "@minji_k", "@minji_k"),
    ],
)
def test_an_imported_idea_is_the_post_authors(make_idea, name, handle, shown, mention) -> None:
    idea = _imported(make_idea(), name=name, handle=handle)
    by = attribution(idea)
    assert by.name == shown
    assert by.mention == mention
    assert by.handle == "minji_k"
    assert by.network == "x"
    assert by.profile_url == "https://x.com/minji_k"


def test_an_imported_idea_without_name_or_handle_falls_back_to_the_shadow_user(
    make_user, make_idea
) -> None:
    idea = _imported(make_idea(make_user(name="X user")), name=None, handle=None)
    assert attribution(idea) == Attribution(name="X user", network="x")


def test_api_insights_and_pages_agree(client, make_user, make_idea) -> None:
    idea = _imported(make_idea(), name=None, handle="minji_k")
    author = idea_out(idea).author
    assert (author.name, author.handle) == ("@minji_k", "minji_k")
    assert suggested_by(idea) == "@minji_k"
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Suggested on X by @minji_k" in page
    assert '<a href="https://x.com/minji_k" rel="nofollow noopener">@minji_k</a>' in page
    assert "𝕏 @minji_k" in client.get("/").get_data(as_text=True)
    staff = make_user("staff")
    login(client, staff)
    assert "X @minji_k" in client.get(f"/staff/ideas/{idea.id}").get_data(as_text=True)


def test_launch_announcement_names_the_social_author_by_handle(make_user, make_idea) -> None:
    db.session.add(
        SocialAccount(remote_user_id="1", username="brand", announce_launches=True, signature="AB")
    )
    idea = _imported(make_idea(), name="Minji Kim", handle="minji_k")
    change_stage(
        idea, find_stage("launched"), "Live now.", make_user("staff"), check_workflow=False
    )
    db.session.commit()
    post = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "x_post"))
    assert post is not None
    assert "suggested by @minji_k" in post.text
