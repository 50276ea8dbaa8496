from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ideaboard.database import utcnow
from ideaboard.errors import Conflict, PermissionDenied, ValidationFailed
from ideaboard.extensions import db
from ideaboard.ideas import notifications
from ideaboard.ideas import services as ideas
from ideaboard.ideas.models import Follow, Idea, Notification, Source, Vote
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social import subscribers
from ideaboard.social.compose import weighted_length
from ideaboard.triage import services
from ideaboard.triage.models import IdeaEdit, StatusChange, Team


def _count(model, *where) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _imported(title: str, post_id: str, lang: str = "ko") -> Idea:
    idea = Idea(
        title=title,
        body=title,
        body_html=f"<p>{title}</p>",
        stage=ideas.default_stage(),
        source=Source.X.value,
        source_url=f"https://x.com/someone/status/{post_id}",
        source_author_name="Someone",
        source_author_handle="someone",
        source_post_id=post_id,
        source_lang=lang,
    )
    db.session.add(idea)
    db.session.commit()
    return idea


@pytest.fixture
def staff(make_user):
    return make_user("staff", name="Kim Gayoung", initials="KG")


# --- change_stage ------------------------------------------------------------------------


def test_change_stage_records_notifies_and_times_the_first_response(
    app, staff, make_user, make_idea
):
    author = make_user()
    idea = make_idea(author)
    idea.created_at = utcnow() - timedelta(hours=5)
    db.session.commit()
    change = services.change_stage(idea, services.find_stage("under-review"), "On it", staff)
    db.session.commit()
    assert (change.from_stage.slug, change.to_stage.slug, change.by_id) == (
        "new",
        "under-review",
        staff.id,
    )
    assert change.note_html == "<p>On it</p>\n"
    assert idea.stage.slug == "under-review"
    assert idea.first_response_at == change.created_at
    assert 5 * 3600 - 5 <= change.seconds_in_from_stage <= 5 * 3600 + 5
    assert notifications.unread_count(author) == 1
    assert _count(OutboxMessage) == 0  # a web idea has no post to reply to


def test_second_change_keeps_the_first_response_time(app, staff, make_idea):
    idea = make_idea()
    first = services.change_stage(idea, services.find_stage("under-review"), "Looking", staff)
    services.change_stage(idea, services.find_stage("planned"), "Planned for Q3", staff)
    db.session.commit()
    assert idea.first_response_at == first.created_at
    assert _count(StatusChange, StatusChange.idea_id == idea.id) == 2


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        (["launched"], "launched"),  # new → launched skips the review
        (["in-progress"], "in-progress"),
        (["declined", "planned"], "planned"),  # a declined idea reopens to review first
        (["duplicate", "new"], "new"),
    ],
)
def test_change_stage_refuses_moves_the_workflow_does_not_allow(
    app, staff, make_idea, path, refused
):
    idea = make_idea()
    for slug in path[:-1]:
        services.change_stage(idea, services.find_stage(slug), "step", staff)
    db.session.commit()
    before = _count(StatusChange)
    with pytest.raises(Conflict) as caught:
        services.change_stage(idea, services.find_stage(refused), "not allowed", staff)
    db.session.rollback()
    assert "cannot move" in caught.value.message
    assert _count(StatusChange) == before


@pytest.mark.parametrize(
    "path",
    [
        ["under-review", "planned", "in-progress", "launched"],
        ["planned", "launched", "in-progress"],  # reopen a launched idea
        ["declined", "under-review"],
        ["duplicate", "under-review"],
        ["under-review", "new"],
    ],
)
def test_change_stage_follows_allowed_paths(app, staff, make_idea, path):
    idea = make_idea()
    for slug in path:
        services.change_stage(idea, services.find_stage(slug), f"to {slug}", staff)
    db.session.commit()
    assert idea.stage.slug == path[-1]


def test_closed_stage_closes_voting_and_reopening_reopens_it(app, staff, make_user, make_idea):
    idea = make_idea()
    services.change_stage(idea, services.find_stage("declined"), "Not now", staff)
    db.session.commit()
    assert not idea.voting_open
    services.change_stage(idea, services.find_stage("under-review"), "Reconsidering", staff)
    db.session.commit()
    assert idea.voting_open
    assert ideas.cast_vote(make_user(), idea, 1).score == 1


@pytest.mark.parametrize("note", ["", "   ", "n" * 5_001, "bad\x00note"])
def test_change_stage_requires_a_valid_note(app, staff, make_idea, note):
    idea = make_idea()
    with pytest.raises(ValidationFailed):
        services.change_stage(idea, services.find_stage("under-review"), note, staff)
    db.session.rollback()
    assert _count(StatusChange) == 0


def test_change_stage_to_the_same_stage_is_refused(app, staff, make_idea):
    with pytest.raises(ValidationFailed):
        services.change_stage(make_idea(), services.find_stage("new"), "again", staff)


def test_customers_cannot_change_stages(app, make_user, make_idea):
    with pytest.raises(PermissionDenied):
        services.change_stage(make_idea(), services.find_stage("under-review"), "x", make_user())


# --- the social echo ---------------------------------------------------------------------


def test_stage_change_of_an_imported_idea_enqueues_one_reply(app, staff):
    idea = _imported("지하철에서도 5G가 잘 터지면 좋겠어요", "1861000000000000001")
    change = services.change_stage(idea, services.find_stage("under-review"), "검토합니다", staff)
    db.session.commit()
    [row] = db.session.scalars(select(OutboxMessage)).all()
    assert (row.kind, row.state, row.target, row.status_change_id) == (
        "x_reply", "pending", "1861000000000000001", change.id,
    )  # fmt: skip
    assert row.text.startswith("[검토 중]")
    assert row.text.endswith("검토합니다 ^KG")  # the note; no link (the acknowledgement gave it)
    assert f"/ideas/{idea.id}" not in row.text
    assert weighted_length(row.text) <= 280


def test_echo_of_a_long_korean_title_fits_280_weighted_characters(app, staff):
    idea = _imported("데이터" * 45, "1861000000000000002")  # 135 Hangul = 270 weighted
    services.change_stage(idea, services.find_stage("under-review"), "검토합니다", staff)
    db.session.commit()
    row = db.session.scalar(select(OutboxMessage))
    assert weighted_length(row.text) <= 280
    assert "…" in row.text
    assert row.text.endswith("검토합니다 ^KG")  # the note in full, the title shortened


def test_english_post_gets_an_english_reply(app, staff):
    idea = _imported("eSIM for travellers please", "1861000000000000003", lang="en")
    services.change_stage(idea, services.find_stage("planned"), "Planned", staff)
    db.session.commit()
    assert db.session.scalar(select(OutboxMessage.text)).startswith("[Planned]")


def test_failure_in_the_middle_of_a_stage_change_leaves_nothing(
    app, staff, make_user, make_idea, monkeypatch
):
    author = make_user()
    idea = make_idea(author)
    imported = _imported("지하철 5G", "1861000000000000004")

    def explode(*args, **kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(subscribers, "enqueue_stage_echo", explode)
    for target in (idea, imported):
        with pytest.raises(RuntimeError):
            services.change_stage(target, services.find_stage("under-review"), "On it", staff)
        db.session.rollback()
    assert _count(StatusChange) == 0
    assert _count(Notification) == 0
    assert _count(OutboxMessage) == 0
    assert db.session.get(Idea, idea.id).stage.slug == "new"
    assert db.session.get(Idea, idea.id).first_response_at is None


# --- bulk, merge, hide, assign, edit -----------------------------------------------------


def test_bulk_change_moves_allowed_ideas_and_reports_the_rest(app, staff, make_idea):
    fresh = [make_idea(), make_idea()]
    declined = make_idea()
    services.change_stage(declined, services.find_stage("declined"), "No", staff)
    db.session.commit()
    changes, refused = services.bulk_change_stage(
        [*fresh, declined], services.find_stage("planned"), "Planned for Q3", staff
    )
    db.session.commit()
    assert [c.idea_id for c in changes] == [i.id for i in fresh]
    assert [i.id for i, _reason in refused] == [declined.id]
    assert len({c.batch_key for c in changes}) == 1
    assert all(i.stage.slug == "planned" for i in fresh)


def test_bulk_change_needs_ideas_and_a_note(app, staff, make_idea):
    with pytest.raises(ValidationFailed):
        services.bulk_change_stage([], services.find_stage("planned"), "note", staff)
    with pytest.raises(ValidationFailed):
        services.bulk_change_stage([make_idea()], services.find_stage("planned"), " ", staff)


def test_merge_moves_votes_without_double_votes_and_moves_followers(
    app, staff, make_user, make_idea
):
    dup_author, target_author = make_user(), make_user()
    both, only_dup, only_target = make_user(), make_user(), make_user()
    duplicate, target = make_idea(dup_author), make_idea(target_author)
    ideas.cast_vote(both, duplicate, -1)
    ideas.cast_vote(both, target, 1)
    ideas.cast_vote(only_dup, duplicate, 1)
    ideas.cast_vote(only_target, target, 1)
    db.session.commit()

    change = services.merge_ideas(duplicate, target, staff)
    db.session.commit()

    votes = dict(
        db.session.execute(select(Vote.user_id, Vote.value).where(Vote.idea_id == target.id)).all()
    )
    assert votes == {both.id: 1, only_dup.id: 1, only_target.id: 1}  # target vote kept
    assert _count(Vote, Vote.idea_id == duplicate.id) == 0
    assert (target.score, target.up_count, target.down_count) == (3, 3, 0)
    assert (duplicate.score, duplicate.up_count, duplicate.down_count) == (0, 0, 0)
    assert duplicate.stage.slug == "duplicate"
    assert duplicate.merged_into_id == target.id
    assert f"/ideas/{target.id}" in change.note_html
    followers = set(db.session.scalars(select(Follow.user_id).where(Follow.idea_id == target.id)))
    assert {dup_author.id, target_author.id, both.id, only_dup.id, only_target.id} <= followers
    assert target.follower_count == len(followers)
    # The duplicate's author is told.
    assert any(
        n.status_change_id == change.id for n in notifications.recent_notifications(dup_author)
    )
    assert _count(IdeaEdit, IdeaEdit.field == "merged_into") == 1


def test_merge_refuses_itself_and_chains(app, staff, make_idea):
    a, b, c = make_idea(), make_idea(), make_idea()
    with pytest.raises(ValidationFailed):
        services.merge_ideas(a, a, staff)
    services.merge_ideas(a, b, staff)
    db.session.commit()
    with pytest.raises(Conflict):
        services.merge_ideas(c, a, staff)  # a is a duplicate itself
    with pytest.raises(Conflict):
        services.merge_ideas(a, c, staff)  # already merged


def test_stage_change_on_a_target_echoes_to_merged_imported_posts(app, staff, make_idea):
    target = make_idea(title="5G in the subway")
    imported = _imported("지하철 5G 개선", "1861000000000000005")
    services.merge_ideas(imported, target, staff)
    db.session.commit()
    services.change_stage(target, services.find_stage("planned"), "Planned", staff)
    db.session.commit()
    targets = db.session.scalars(select(OutboxMessage.payload)).all()
    assert [p["stage"] for p in targets] == ["duplicate", "planned"]
    assert {p["in_reply_to_tweet_id"] for p in targets} == {"1861000000000000005"}


def test_hide_and_restore_keep_history(app, staff, make_user, make_idea):
    idea = make_idea()
    services.hide_idea(idea, staff, "spam")
    db.session.commit()
    assert idea.hidden_at is not None
    with pytest.raises(Conflict):
        services.hide_idea(idea, staff, "again")
    services.restore_idea(idea, staff)
    db.session.commit()
    assert idea.hidden_at is None
    with pytest.raises(Conflict):
        services.restore_idea(idea, staff)
    with pytest.raises(PermissionDenied):
        services.hide_idea(idea, make_user(), "mine")
    assert [e.field for e in db.session.scalars(select(IdeaEdit).order_by(IdeaEdit.id))] == [
        "hidden", "hidden",
    ]  # fmt: skip


def test_assign_routes_to_team_and_staff_only(app, staff, make_user, make_idea):
    idea = make_idea()
    billing = db.session.scalar(select(Team).where(Team.slug == "billing"))
    services.assign_idea(idea, staff, team=billing, assignee=staff)
    db.session.commit()
    assert (idea.team_id, idea.assignee_id) == (billing.id, staff.id)
    with pytest.raises(ValidationFailed):
        services.assign_idea(idea, staff, team=None, assignee=make_user())
    db.session.rollback()
    assert _count(IdeaEdit) == 2


def test_edit_keeps_the_old_title_in_history(app, staff, make_idea):
    idea = make_idea(title="Old title here")
    services.edit_idea(idea, staff, title="New title here", category_slug="billing")
    db.session.commit()
    edits = db.session.scalars(select(IdeaEdit).order_by(IdeaEdit.id)).all()
    assert [(e.field, e.old_value, e.new_value) for e in edits] == [
        ("title", "Old title here", "New title here"),
        ("category", None, "billing"),
    ]
    with pytest.raises(ValidationFailed):
        services.edit_idea(idea, staff, title="abc", category_slug=None)


def test_official_comment_counts_as_first_response(app, staff, make_idea):
    idea = make_idea()
    comment = ideas.add_comment(staff, idea, "Thanks, we are looking into it.")
    db.session.commit()
    assert idea.first_response_at is not None
    assert abs((idea.first_response_at - comment.created_at).total_seconds()) < 2
