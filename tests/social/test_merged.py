"""Merged ideas (issue 15): the duplicate's page links the idea it was merged into, and the
replies to the duplicate's posts on X link the target, not the duplicate. The X side runs
tweepy against the sandbox X API on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from ideaboard.accounts.models import User
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.outbox.delivery import deliver_due
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social.models import SocialAccount
from ideaboard.triage.services import change_stage, find_stage, merge_ideas
from ideaboard.urls import idea_url
from sandboxes.x import SandboxStore, post_mention

Replies = Callable[[], dict[str, list[dict[str, Any]]]]
ImportPosts = Callable[..., tuple[list[dict[str, Any]], list[Any]]]


def links(reply: dict[str, Any]) -> list[str]:
    """The links a reply in the sandbox carries (X shows them shortened to t.co)."""
    return [u["expanded_url"] for u in (reply["entities"] or {}).get("urls", [])]


def test_merged_duplicates_page_says_merged_into_and_links_the_target(
    client: FlaskClient,
    make_user: Callable[..., User],
    make_idea: Callable[..., Idea],
) -> None:
    target = make_idea(title="Dark mode for the app")
    duplicate = make_idea(title="Night theme please")
    merge_ideas(duplicate, target, make_user("staff"))
    db.session.commit()

    page = client.get(f"/ideas/{duplicate.id}").get_data(as_text=True)

    assert (
        f'<a href="/ideas/{target.id}">Merged into #{target.id}</a>: Dark mode for the app' in page
    )
    assert "Merged into" not in client.get(f"/ideas/{target.id}").get_data(as_text=True)
    korean = client.get(f"/ideas/{duplicate.id}", headers={"Accept-Language": "ko"})
    assert f'<a href="/ideas/{target.id}">#{target.id} 아이디어에 합쳐짐</a>' in korean.get_data(
        as_text=True
    )


def test_reply_to_a_merged_duplicates_post_links_the_target(
    brand_account: SocialAccount,
    import_posts: ImportPosts,
    make_user: Callable[..., User],
    make_idea: Callable[..., Idea],
    brand_replies: Replies,
) -> None:
    brand_account.acknowledge = False  # only the merge and stage replies go out
    db.session.commit()
    staff = make_user("staff", initials="KG")
    target = make_idea(title="5G coverage in the subway")
    (duplicate_post,), (duplicate,) = import_posts(
        ("minji", "@hanbit #아이디어 q0001a 지하철 5G 끊김 개선")
    )

    merge_ideas(duplicate, target, staff)
    db.session.commit()
    deliver_due(worker="test-worker")

    (reply,) = brand_replies()[str(duplicate_post["id"])]
    assert links(reply) == [idea_url(target)]
    assert reply["text"].startswith("@minji [중복]")
    (row,) = db.session.scalars(select(OutboxMessage))
    assert idea_url(target) in row.text
    assert idea_url(duplicate) not in row.text

    # Later news on the target reaches the duplicate's post too, with the target's link.
    change_stage(target, find_stage("planned"), "Planned for Q1.", staff, check_workflow=False)
    db.session.commit()
    deliver_due(worker="test-worker")
    replies = brand_replies()[str(duplicate_post["id"])]
    assert len(replies) == 2
    assert all(links(r) == [idea_url(target)] for r in replies)


def test_mention_repeating_a_merged_duplicate_votes_on_the_target(
    brand_account: SocialAccount,
    x_connector: Any,
    sandbox_store: SandboxStore,
    make_user: Callable[..., User],
    make_idea: Callable[..., Idea],
) -> None:
    from ideaboard.social import jobs

    target = make_idea(title="5G coverage in the subway")
    duplicate = make_idea(title="지하철 5G 끊김 개선")
    merge_ideas(duplicate, target, make_user("staff"))
    db.session.commit()
    repeat = post_mention(
        sandbox_store, username="jisoo", text="@hanbit 지하철 5G 끊김 개선 해주세요 #아이디어"
    )

    result = jobs.run_import(brand_account, x_connector, owner="test-importer")

    assert result is not None
    assert result.voted == 1
    db.session.expire_all()
    assert db.session.get(Idea, target.id).up_count == 1
    assert db.session.get(Idea, duplicate.id).up_count == 0
    from ideaboard.social.models import MentionLog

    entry = db.session.scalar(select(MentionLog).where(MentionLog.post_id == str(repeat["id"])))
    assert entry is not None
    assert (entry.idea_id, entry.match_detail["via"]) == (target.id, duplicate.id)
