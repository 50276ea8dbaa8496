"""Delete my account (accounts/erasure.py) and download my data (account_data.py).

Both ways of deleting: content kept as by "a former member", or removed. Either way the
person's row, sign-ins, tokens, follows, notifications and votes go, the counts of the ideas
they touched are recomputed, their queued e-mails are cancelled and they are signed out.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from ideaboard import account_data
from ideaboard.accounts import erasure
from ideaboard.accounts.models import Role, SignInFailures, User, UserSession
from ideaboard.api import services as api_services
from ideaboard.api.models import ApiToken
from ideaboard.errors import Conflict, ValidationFailed
from ideaboard.extensions import Model, db
from ideaboard.ideas import services as ideas
from ideaboard.ideas.models import Comment, Follow, Idea, Notification, Vote
from ideaboard.mail.enqueue import enqueue
from ideaboard.outbox.models import OutboxMessage, OutboxState
from ideaboard.triage import services as triage
from tests.accounts.helpers import cheap_password, signed_in
from tests.helpers import PASSWORD, IdeaBuilder, UserBuilder, login, post


@pytest.fixture
def app(app_factory: Callable[..., Flask], tmp_path: Path) -> Iterator[Flask]:
    """The app with e-mail on (the development mailbox), so e-mails get outbox rows."""
    app = app_factory(IDEABOARD_MAILBOX=True, IDEABOARD_MAILBOX_DIR=str(tmp_path / "mailbox"))
    with app.app_context():
        yield app


def _count(model, *where) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


class World:
    """Ann (who leaves), Bob and staff, with ideas, votes, comments, follows and e-mails."""

    def __init__(self, make_user: UserBuilder, make_idea: IdeaBuilder) -> None:
        self.ann = cheap_password(make_user(name="Ann Leaving", email="ann@example.com"))
        self.bob = make_user(name="Bob Staying")
        self.staff = make_user("staff", name="Kim Staff")
        self.anns_idea = make_idea(self.ann, title="Ann's own idea")
        self.bobs_idea = make_idea(self.bob, title="Bob's idea")
        ideas.cast_vote(self.ann, self.bobs_idea, 1)
        ideas.cast_vote(self.staff, self.bobs_idea, -1)
        ideas.cast_vote(self.bob, self.anns_idea, 1)
        ideas.add_comment(self.ann, self.bobs_idea, "Ann's comment on Bob's idea")
        ideas.add_comment(self.bob, self.anns_idea, "Bob's comment on Ann's idea")
        ideas.follow_idea(self.ann, self.bobs_idea)
        triage.change_stage(
            self.bobs_idea, triage.find_stage("under-review"), "Looking at it", self.staff
        )
        self.token, self.secret = api_services.issue_token(self.ann, "my script")
        assert enqueue(letter="verify-email", to=self.ann.email, dedupe_key="t:1", user=self.ann)
        assert enqueue(letter="verify-email", to=self.ann.email, dedupe_key="t:2", user=self.ann)
        assert enqueue(letter="verify-email", to=self.bob.email, dedupe_key="t:3", user=self.bob)
        db.session.commit()
        sent = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == "t:2"))
        sent.state = OutboxState.SENT.value
        db.session.commit()
        self.ann_id = self.ann.id


@pytest.fixture
def world(app: Flask, make_user: UserBuilder, make_idea: IdeaBuilder) -> World:
    return World(make_user, make_idea)


def _delete(client, content: str, **fields):
    data = {"content": content, "password": PASSWORD, "confirmation": "ann@example.com"}
    data.update(fields)
    return post(client, "/me/delete", data)


def _personal_rows_gone(ann_id: int) -> None:
    assert db.session.get(User, ann_id) is None
    assert _count(User, User.email == "ann@example.com") == 0
    assert _count(UserSession, UserSession.user_id == ann_id) == 0
    assert _count(ApiToken, ApiToken.user_id == ann_id) == 0
    assert _count(Follow, Follow.user_id == ann_id) == 0
    assert _count(Notification, Notification.user_id == ann_id) == 0
    assert _count(Vote, Vote.user_id == ann_id) == 0
    rows = {row.dedupe_key: row for row in db.session.scalars(select(OutboxMessage))}
    assert rows["t:1"].state == OutboxState.CANCELLED.value  # queued: never sent now
    assert rows["t:2"].state == OutboxState.SENT.value  # sent: kept for the outbox history…
    assert rows["t:1"].target is None
    assert rows["t:2"].target is None
    assert rows["t:3"].state == OutboxState.PENDING.value  # Bob's e-mail is untouched
    assert rows["t:3"].target is not None


def test_deleting_and_keeping_content_shows_it_as_by_a_former_member(
    app: Flask, client, world: World
) -> None:
    login(client, world.ann)
    assert _text(client.get("/me/delete")).count("a former member") >= 1
    response = _delete(client, "keep")
    assert response.status_code == 302
    assert not signed_in(client)
    db.session.expire_all()
    _personal_rows_gone(world.ann_id)
    anns = db.session.get(Idea, world.anns_idea.id)
    bobs = db.session.get(Idea, world.bobs_idea.id)
    assert anns is not None
    assert anns.author_id is None
    # Bob's idea: Ann's up vote is gone, the staff's down vote stays.
    assert (bobs.up_count, bobs.down_count, bobs.score) == (0, 1, -1)
    assert bobs.comment_count == 1
    assert bobs.follower_count == _count(Follow, Follow.idea_id == bobs.id)
    assert anns.score == 1  # Bob's vote on Ann's idea stays
    idea_page = _text(client.get(f"/ideas/{anns.id}"))
    assert "Suggested by a former member" in idea_page
    bobs_page = _text(client.get(f"/ideas/{bobs.id}"))
    assert "Ann&#39;s comment" not in bobs_page
    assert "Ann's comment on Bob's idea" in bobs_page
    assert "Ann Leaving" not in bobs_page
    assert "a former member" in bobs_page
    # The address may register again.
    assert _count(SignInFailures) == 0


def test_deleting_and_removing_content_removes_ideas_and_comments_and_recounts(
    app: Flask, client, world: World
) -> None:
    anns_idea_id = world.anns_idea.id
    login(client, world.ann)
    response = _delete(client, "remove")
    assert response.status_code == 302
    db.session.expire_all()
    _personal_rows_gone(world.ann_id)
    assert db.session.get(Idea, anns_idea_id) is None
    assert _count(Comment, Comment.body.like("Bob's comment on Ann's idea")) == 0
    assert _count(Vote, Vote.idea_id == anns_idea_id) == 0
    bobs = db.session.get(Idea, world.bobs_idea.id)
    assert _count(Comment, Comment.idea_id == bobs.id) == 0
    assert (bobs.up_count, bobs.down_count, bobs.score, bobs.comment_count) == (0, 1, -1, 0)
    assert bobs.follower_count == _count(Follow, Follow.idea_id == bobs.id)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"password": "wrong password!"}, "password", "The password is wrong."),
        ({"confirmation": "bob@example.com"}, "confirmation", "Type your e-mail address"),
        ({"content": "sell"}, "content", "Choose one of the listed options."),
        ({"confirmation": ""}, "confirmation", ""),
    ],
)
def test_a_refused_deletion_deletes_nothing_and_keeps_what_was_typed(
    app: Flask, client, world: World, fields, field: str, message: str
) -> None:
    login(client, world.ann)
    response = _delete(client, **{"content": "remove", **fields})
    assert response.status_code == 422
    page = _text(response)
    assert f'id="{field}-error"' in page
    assert message in page
    if "content" not in fields:  # the choice made is still made
        assert re.search(r'<input checked[^>]*value="remove"', page)
    if field != "confirmation":
        assert 'value="ann@example.com"' in page  # the typed confirmation is kept
    assert PASSWORD not in page
    assert "wrong password!" not in page
    db.session.expire_all()
    assert db.session.get(User, world.ann_id) is not None
    assert db.session.get(Idea, world.anns_idea.id) is not None
    assert _count(Vote, Vote.user_id == world.ann_id) == 1
    assert signed_in(client)
    if field == "password":
        assert _count(SignInFailures) == 1  # counts towards the account's lock


def test_the_last_admin_cannot_delete_their_account(
    app: Flask, client, make_user: UserBuilder
) -> None:
    admin = cheap_password(make_user(Role.ADMIN, email="ann@example.com"))
    make_user(Role.ADMIN).active = False  # a deactivated admin runs nothing
    db.session.commit()
    with pytest.raises(Conflict):
        erasure.delete_account(admin, PASSWORD, "ann@example.com", "keep")
    login(client, admin)
    page = _text(client.get("/me/delete"))
    assert "You are the only admin" in page
    response = _delete(client, "keep")
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(User, admin.id) is not None
    make_user(Role.ADMIN)  # another admin: now they may go
    assert _delete(client, "keep").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, admin.id) is None


def test_staff_may_delete_their_account_and_their_history_stays(
    app: Flask, make_user: UserBuilder, make_idea: IdeaBuilder
) -> None:
    staff = cheap_password(make_user(Role.STAFF, email="ann@example.com"))
    idea = make_idea()
    change = triage.change_stage(idea, triage.find_stage("under-review"), "Soon", staff)
    db.session.commit()
    change_id = change.id
    erasure.delete_account(staff, PASSWORD, " ANN@example.com ", "remove")
    db.session.commit()
    db.session.expire_all()
    from ideaboard.triage.models import StatusChange

    kept = db.session.get(StatusChange, change_id)
    assert kept is not None
    assert kept.by_id is None


def test_service_refuses_bad_input_before_touching_anything(app: Flask, world: World) -> None:
    for password, confirmation, content in [
        ("nope nope nope", "ann@example.com", "keep"),
        (PASSWORD, "someone@example.com", "keep"),
        (PASSWORD, "ann@example.com", "KEEP"),
    ]:
        with pytest.raises(ValidationFailed):
            erasure.delete_account(world.ann, password, confirmation, content)
    db.session.rollback()
    assert db.session.get(User, world.ann_id) is not None


def test_every_foreign_key_to_users_says_what_happens_on_delete(app: Flask) -> None:
    """The account row is deleted, so every reference must cascade or be set to NULL; a new
    table with a bare foreign key to users would make deletion fail."""
    bare = [
        f"{table.name}.{fk.parent.name}"
        for table in Model.metadata.tables.values()
        for fk in table.foreign_keys
        if fk.column.table.name == "users" and fk.ondelete not in ("CASCADE", "SET NULL")
    ]
    assert bare == []


# --- download my data -----------------------------------------------------------------------


def test_download_my_data_holds_everything_and_no_secret(app: Flask, client, world: World) -> None:
    assert client.get("/me/data.json").status_code == 302  # signed-in only
    login(client, world.ann)
    response = client.get("/me/data.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    raw = response.get_data(as_text=True)
    data = json.loads(raw)
    assert data["profile"]["email"] == "ann@example.com"
    assert data["profile"]["name"] == "Ann Leaving"
    assert data["profile"]["settings"]["time_zone"] is None
    assert [i["title"] for i in data["ideas"]["items"]] == ["Ann's own idea"]
    assert [c["body"] for c in data["comments"]["items"]] == ["Ann's comment on Bob's idea"]
    assert [(v["idea_id"], v["value"]) for v in data["votes"]["items"]] == [(world.bobs_idea.id, 1)]
    # Her own idea (followed at submission) and Bob's.
    assert {f["idea_id"] for f in data["follows"]["items"]} == {
        world.anns_idea.id,
        world.bobs_idea.id,
    }
    assert data["sign_ins"]["count"] == 1
    assert set(data["sign_ins"]["items"][0]) >= {"created_at", "user_agent", "ip"}
    assert data["api_tokens"]["items"][0]["name"] == "my script"
    # Ann's (two queued by the test, one about the stage change of the idea she follows).
    assert {e["letter"] for e in data["emails"]["items"]} == {"verify-email", "stage_changed"}
    assert data["emails"]["count"] == 3
    assert all(not section["truncated"] for key, section in data.items() if key.endswith("s")
               and isinstance(section, dict) and "truncated" in section)  # fmt: skip
    # No secret and no hash anywhere in the file.
    session_hashes = db.session.scalars(select(UserSession.token_hash))
    for secret in [world.secret, world.token.token_hash, world.token.prefix, *session_hashes]:
        assert secret not in raw
    assert world.ann.password_hash not in raw
    assert "token_hash" not in raw
    assert "password" not in raw


def test_each_section_is_bounded_and_says_when_it_was_cut(
    app: Flask, make_user: UserBuilder, make_idea: IdeaBuilder
) -> None:
    user = make_user()
    for _n in range(3):
        make_idea(user)
    data = json.loads("".join(account_data.export(user, section_max=2)))
    assert data["ideas"]["count"] == 2
    assert data["ideas"]["truncated"] is True
    assert data["comments"] == {"items": [], "count": 0, "truncated": False}


def test_the_recount_leaves_out_hidden_and_deleted_comments(
    app: Flask, client, world: World
) -> None:
    """comment_count counts what everyone can read: after Ann leaves, Bob's idea still does
    not count a comment staff hid or one its author deleted."""
    hidden = ideas.add_comment(world.bob, world.bobs_idea, "Hidden by the moderators")
    deleted = ideas.add_comment(world.bob, world.bobs_idea, "Deleted by Bob")
    db.session.commit()
    ideas.hide_comment(world.staff, hidden, "off topic")
    ideas.delete_comment(world.bob, deleted)
    db.session.commit()
    assert db.session.get(Idea, world.bobs_idea.id).comment_count == 1  # Ann's
    login(client, world.ann)
    assert _delete(client, "keep").status_code == 302
    db.session.expire_all()
    assert db.session.get(Idea, world.bobs_idea.id).comment_count == 1  # Ann's, kept
