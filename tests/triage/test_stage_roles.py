"""Stage roles: the code asks for the initial/launched/declined/duplicate stage, never a slug.

Admins may rename stages (and a board may carry other slugs); launches, merges, the start
stage and the staff inbox follow the role.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ideaboard.errors import Conflict
from ideaboard.extensions import db
from ideaboard.ideas import services as ideas
from ideaboard.insights import services as insights
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social.models import SocialAccount
from ideaboard.social.reply_templates import _rows
from ideaboard.triage import services
from ideaboard.triage.models import Stage, StageRole, stage_with_role
from tests.helpers import login

MIGRATION = "b5f3d8d88c63"
SEEDED = {
    "new": "initial",
    "launched": "launched",
    "declined": "declined",
    "duplicate": "duplicate",
}


def _roles() -> dict[str, str | None]:
    return {slug: role for slug, role in db.session.execute(select(Stage.slug, Stage.role))}


def _rename(role: StageRole, slug: str, name: str) -> Stage:
    stage = stage_with_role(role)
    assert stage is not None
    stage.slug, stage.name = slug, name
    db.session.commit()
    return stage


def test_the_migration_backfills_the_roles_from_the_seeded_slugs(app) -> None:
    roles = _roles()
    assert {slug: role for slug, role in roles.items() if role} == SEEDED
    assert roles["under-review"] is None
    for role in StageRole:
        found = stage_with_role(role)
        assert found is not None
        assert found.has_role(role)


def test_the_migration_backfills_again_after_a_downgrade(app) -> None:
    runner = app.test_cli_runner()
    down = runner.invoke(args=["db", "downgrade", f"{MIGRATION}-1"])
    assert down.exit_code == 0, down.output
    db.session.remove()
    assert "role" not in {c["name"] for c in db.inspect(db.engine).get_columns("stages")}
    up = runner.invoke(args=["db", "upgrade"])
    assert up.exit_code == 0, up.output
    db.session.remove()
    assert {slug: role for slug, role in _roles().items() if role} == SEEDED


def test_a_role_belongs_to_one_stage_only(app) -> None:
    with pytest.raises(IntegrityError):
        db.session.execute(update(Stage).where(Stage.slug == "planned").values(role="launched"))
    db.session.rollback()


def test_a_renamed_launched_stage_still_announces_and_counts_the_launch(
    app, make_user, make_idea
) -> None:
    db.session.add(SocialAccount(remote_user_id="1", username="brand", announce_launches=True))
    shipped = _rename(StageRole.LAUNCHED, "shipped", "Shipped")
    idea = make_idea(title="Roll over unused data")
    services.change_stage(idea, shipped, "It is live.", make_user("staff"), check_workflow=False)
    db.session.commit()
    posts = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "x_post")).all()
    assert len(posts) == 1
    assert "Roll over unused data" in posts[0].text
    assert [item.idea.id for item in insights.launched_ideas()] == [idea.id]
    assert insights.board_stats().launched == 1


def test_the_launch_follows_the_role_not_the_old_slug(app, make_user, make_idea) -> None:
    db.session.add(SocialAccount(remote_user_id="1", username="brand", announce_launches=True))
    old = stage_with_role(StageRole.LAUNCHED)
    old.role = None
    db.session.flush()
    released = Stage(slug="released", name="Released", position=55, is_open=False, role="launched")
    db.session.add(released)
    db.session.commit()
    staff = make_user("staff")
    services.change_stage(make_idea(), old, "Old stage.", staff, check_workflow=False)
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "x_post")) is None
    services.change_stage(make_idea(), released, "New stage.", staff, check_workflow=False)
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "x_post"))


def test_merges_use_the_duplicate_role(app, make_user, make_idea) -> None:
    merged = _rename(StageRole.DUPLICATE, "same-as", "Same as another")
    staff = make_user("staff")
    a, b, c = make_idea(), make_idea(), make_idea()
    services.merge_ideas(a, b, staff)
    db.session.commit()
    assert a.stage_id == merged.id
    with pytest.raises(Conflict):
        services.merge_ideas(c, a, staff)  # a sits in the duplicate stage


def test_merging_without_a_duplicate_stage_is_refused_cleanly(app, make_user, make_idea) -> None:
    db.session.execute(update(Stage).where(Stage.role == "duplicate").values(role=None))
    db.session.commit()
    with pytest.raises(Conflict, match="No stage is marked for duplicates"):
        services.merge_ideas(make_idea(), make_idea(), make_user("staff"))


def test_new_ideas_and_the_staff_inbox_follow_the_initial_role(
    app, client, make_user, make_idea
) -> None:
    inbox = _rename(StageRole.INITIAL, "incoming", "Incoming")
    assert ideas.default_stage().id == inbox.id
    idea = make_idea(title="Lands in the renamed first stage")
    assert idea.stage_id == inbox.id
    login(client, make_user("staff"))
    page = client.get("/staff/").get_data(as_text=True)
    assert "Lands in the renamed first stage" in page
    assert 'class="active" aria-current="page">Waiting for an answer' in page
    assert all(stage != "incoming" for _kind, stage, _lang, _w in _rows(""))  # no reply for it
