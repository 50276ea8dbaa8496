"""Idea rules: submit, vote, comment, follow. Services add and flush; the caller commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    Integer,
    String,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy import event as sa_event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ..accounts.blocking import ensure_may_contribute
from ..accounts.models import User
from ..campaigns.models import Campaign
from ..campaigns.services import ensure_takes_ideas, voting_closed_message
from ..database import UTCDateTime, rows_matched, utcnow
from ..errors import Conflict, NotFound, PermissionDenied, ValidationFailed, VotingClosed
from ..events import (
    CommentAdded,
    CommentChanged,
    IdeaDeleted,
    IdeaEdited,
    IdeaSubmitted,
    publish,
)
from ..extensions import db
from ..text import check_length, clean_text, render_markdown
from ..triage.models import IdeaEdit, Stage, StageRole, StatusChange, stage_with_role
from . import votesql
from .models import (
    Category,
    Comment,
    Follow,
    Idea,
    IdeaRevision,
    Notification,
    NotificationKind,
    Source,
    Vote,
)
from .permissions import can_comment, can_see, can_triage, can_vote
from .ranking import hot_rank

TITLE_MIN, TITLE_MAX = 5, 140
TITLE_STORED_MAX = 560  # code points the column holds (migration 8bd7a6c0dec3)
BODY_MAX = 20_000
COMMENT_MAX = 5_000
VOTE_VALUES = (-1, 0, 1)


@dataclass(frozen=True)
class VoteTally:
    score: int
    up: int
    down: int
    my_vote: int


def default_stage() -> Stage:
    """Return the stage new ideas start in (the initial role's, else the first by position)."""
    stage = stage_with_role(StageRole.INITIAL)
    if stage is None:
        stage = db.session.scalar(select(Stage).order_by(Stage.position, Stage.id).limit(1))
    if stage is None:
        raise RuntimeError("no review stages exist; run `flask db upgrade`")
    return stage


def clean_title(raw: str | None) -> str:
    """Return the title as it is stored, or raise ValidationFailed."""
    title = clean_text(raw, field="title", label=_("Title"))
    check_length(
        title,
        field="title",
        label=_("Title"),
        minimum=TITLE_MIN,
        maximum=TITLE_MAX,
        stored_max=TITLE_STORED_MAX,
    )
    return title


def clean_body(raw: str | None) -> str:
    """Return the Markdown body as it is stored, or raise ValidationFailed."""
    body = clean_text(raw, field="body", label=_("Description"), multiline=True)
    check_length(
        body, field="body", label=_("Description"), minimum=0, maximum=BODY_MAX, stored_max=None
    )
    return body


def find_category(slug: str | None) -> Category | None:
    """Return the category with this slug; None for no slug; ValidationFailed if unknown."""
    if not slug:
        return None
    category = db.session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        raise ValidationFailed(_("Choose one of the listed categories."), field="category")
    return category


def get_idea(idea_id: int, viewer: User | None = None) -> Idea:
    """Return the idea the viewer may see, or raise NotFound."""
    idea = db.session.get(Idea, idea_id)
    if idea is None or not can_see(viewer, idea):
        raise NotFound(_("There is no idea with this number."))
    return idea


def follow_idea(user: User, idea: Idea) -> bool:
    """Make the user follow the idea; return True if they did not follow it before.

    A blocked user may not (accounts.blocking); stopping to follow is always allowed.
    """
    ensure_may_contribute(user)
    exists = db.session.get(Follow, (user.id, idea.id))
    if exists is not None:
        return False
    db.session.add(Follow(user_id=user.id, idea_id=idea.id))
    db.session.execute(
        update(Idea).where(Idea.id == idea.id).values(follower_count=Idea.follower_count + 1)
    )
    db.session.flush()
    return True


def unfollow_idea(user: User, idea: Idea) -> bool:
    """Stop the user following the idea; return True if they followed it."""
    result = db.session.execute(
        delete(Follow).where(Follow.user_id == user.id, Follow.idea_id == idea.id)
    )
    if not rows_matched(result):
        return False
    db.session.execute(
        update(Idea).where(Idea.id == idea.id).values(follower_count=Idea.follower_count - 1)
    )
    db.session.flush()
    return True


def is_following(user: User | None, idea: Idea) -> bool:
    """Tell whether the user follows the idea."""
    if user is None or not user.is_authenticated:
        return False
    return db.session.get(Follow, (user.id, idea.id)) is not None


def submit_idea(
    author: User,
    title: str,
    body: str = "",
    category_slug: str | None = None,
    *,
    campaign: Campaign | None = None,
) -> Idea:
    """Create an idea by a site user in the first stage; the author follows it.

    `campaign`: the campaign it is submitted to (refused unless open now); the idea takes
    the campaign's category."""
    ensure_may_contribute(author)
    title = clean_title(title)
    body = clean_body(body)
    category = find_category(category_slug)
    if campaign is not None:
        ensure_takes_ideas(campaign)
        category = campaign.category or category
    now = utcnow()
    idea = Idea(
        title=title,
        body=body,
        body_html=render_markdown(body),
        category=category,
        stage=default_stage(),
        author=author,
        source=Source.WEB.value,
        created_at=now,
        updated_at=now,
        last_activity_at=now,
        hot=hot_rank(0, now),
        campaign=campaign,
    )
    db.session.add(idea)
    db.session.flush()
    follow_idea(author, idea)
    publish(IdeaSubmitted(idea))
    return idea


def my_vote(user: User | None, idea: Idea) -> int:
    """Return the user's vote on the idea: 1, -1 or 0."""
    if user is None or not user.is_authenticated:
        return 0
    value = db.session.scalar(_MY_VOTE, {"user_id": user.id, "idea_id": idea.id})
    return int(value or 0)


# The idea page's own reads, built once (SQLAlchemy keeps their compiled form).
_MY_VOTE = select(Vote.value).where(
    Vote.user_id == bindparam("user_id", type_=Integer),
    Vote.idea_id == bindparam("idea_id", type_=Integer),
)
_COMMENTS_OF = (
    select(Comment)
    .where(Comment.idea_id == bindparam("idea_id", type_=Integer))
    .order_by(Comment.created_at, Comment.id)
)
_WAS_EDITED = select(exists().where(IdeaRevision.idea_id == bindparam("idea_id", type_=Integer)))


def cast_vote(user: User, idea: Idea, value: int, *, imported: bool = False) -> VoteTally:
    """Set the user's vote on the idea to 1, -1 or 0 (withdraw); return the new tally.

    `imported` marks a vote taken from a social post on behalf of its author's shadow user.
    The idea row is locked first, so the stored counts move with the vote rows under any
    concurrency. A first vote makes the voter follow the idea.
    """
    _check_vote(user, value, imported=imported)
    # An imported vote comes from a social author's shadow user, who never signs in.
    allowed = idea.voting_open if imported else can_vote(user, idea)
    if not allowed:
        raise VotingClosed(voting_closed_message(idea))
    if not _vote_in_one_statement():
        return _cast_vote_in_steps(user, idea, value)
    outcome = votesql.vote_in_one_statement(user.id, idea.id, value, follow=user.active)
    if outcome is None:  # deleted meanwhile
        raise NotFound(_("There is no idea with this number."))
    return _tally(user.id, idea.id, value, outcome)


def vote_on(user: User, idea_id: int, value: int) -> VoteTally:
    """Vote on the idea with this number, for the web form and the API: what get_idea and then
    cast_vote do, with the same refusals in the same order (no such idea, or hidden: 404;
    blocked: 403; a bad value: 422; closed: 409), but on PostgreSQL without loading the idea:
    the vote is one statement, and the refusals come from what it found.
    """
    if (
        not _vote_in_one_statement()
        or not user.is_authenticated
        or user.is_blocked
        or type(value) is not int
        or value not in VOTE_VALUES
    ):
        return cast_vote(user, get_idea(idea_id, user), value)
    outcome = votesql.vote_in_one_statement(user.id, idea_id, value, follow=user.active)
    if outcome is None or (outcome.hidden and not user.is_staff):
        raise NotFound(_("There is no idea with this number."))
    return _tally(user.id, idea_id, value, outcome)


def _check_vote(user: User, value: object, *, imported: bool) -> None:
    if not imported:
        ensure_may_contribute(user)
    if type(value) is not int or value not in VOTE_VALUES:
        raise ValidationFailed(_("A vote is 1 (up), -1 (down) or 0 (withdraw)."), field="value")


def _vote_in_one_statement() -> bool:
    """PostgreSQL votes in one statement (ideas.votesql); SQLite in steps (its writers are
    serialised by BEGIN IMMEDIATE, and its statements cost no round trip)."""
    return bool(db.engine.dialect.name == "postgresql")


def _tally(user_id: int, idea_id: int, value: int, outcome: votesql.VoteOutcome) -> VoteTally:
    """The tally of a vote made in one statement, after refusing one the idea does not take;
    objects already loaded in the session are brought in step with what the statement wrote
    (as the ORM-enabled statements of the SQLite path do)."""
    if not outcome.open:  # hidden, its stage or campaign closed (checked again under the lock)
        idea = db.session.get(Idea, idea_id)
        raise VotingClosed(
            voting_closed_message(idea) if idea is not None else _("Voting on this idea is closed.")
        )
    if outcome.written:
        session = db.session()
        idea = session.identity_map.get(identity_key(Idea, idea_id))
        if idea is not None:
            for name, new in (
                ("score", outcome.score),
                ("up_count", outcome.up),
                ("down_count", outcome.down),
                ("hot", outcome.hot),
                ("follower_count", outcome.follower_count),
            ):
                set_committed_value(idea, name, new)
        for loaded in list(session.identity_map.values()):
            known = sa_inspect(loaded).dict
            if isinstance(loaded, Vote) and (known.get("user_id"), known.get("idea_id")) == (
                user_id,
                idea_id,
            ):
                if value == 0:
                    session.expunge(loaded)
                else:
                    session.expire(loaded)
    return VoteTally(score=outcome.score, up=outcome.up, down=outcome.down, my_vote=value)


def _cast_vote_in_steps(user: User, idea: Idea, value: int) -> VoteTally:
    """cast_vote's database work as separate statements (SQLite; the reference the one-statement
    PostgreSQL vote is tested against)."""
    # Lock the idea's row and read its counts under the lock (FOR UPDATE on PostgreSQL; on
    # SQLite, writers are already serialised by BEGIN IMMEDIATE), then read the user's vote
    # in a statement of its own: on PostgreSQL a statement that waited for the lock still
    # sees other tables as they were when it started, so a vote committed meanwhile by the
    # same user racing themselves would be missed. The writes are plain statements, not the
    # unit of work; ORM-enabled UPDATE/DELETE keep any loaded Idea and Vote objects in step.
    counts = db.session.execute(
        select(Idea.score, Idea.up_count, Idea.down_count)
        .where(Idea.id == idea.id)
        .with_for_update()
    ).one()
    mine = (Vote.user_id == user.id) & (Vote.idea_id == idea.id)
    current_value = db.session.scalar(select(Vote.value).where(mine))
    old = current_value or 0
    up = counts.up_count + (value == 1) - (old == 1)
    down = counts.down_count + (value == -1) - (old == -1)
    score = counts.score + value - old
    if old != value:
        if current_value is None:
            db.session.execute(insert(Vote).values(user_id=user.id, idea_id=idea.id, value=value))
        elif value == 0:
            db.session.execute(delete(Vote).where(mine))
        else:
            db.session.execute(update(Vote).where(mine).values(value=value, updated_at=utcnow()))
        db.session.execute(
            update(Idea)
            .where(Idea.id == idea.id)
            .values(up_count=up, down_count=down, score=score, hot=hot_rank(score, idea.created_at))
        )
        if current_value is None and user.active:  # shadow users of social authors follow nothing
            follow_idea(user, idea)
    return VoteTally(score=score, up=up, down=down, my_vote=value)


def notify_followers(
    idea: Idea,
    kind: NotificationKind,
    actor: User | None,
    *,
    status_change_id: int | None = None,
    comment_id: int | None = None,
) -> None:
    """Write one notification for every follower of the idea except the actor."""
    followers = select(
        Follow.user_id,
        Follow.idea_id,
        literal(kind.value, type_=String),
        literal(actor.id if actor else None, type_=Integer),
        literal(status_change_id, type_=Integer),
        literal(comment_id, type_=Integer),
        literal(utcnow(), type_=UTCDateTime),
    ).where(Follow.idea_id == idea.id)
    if actor is not None:
        followers = followers.where(Follow.user_id != actor.id)
    db.session.execute(
        insert(Notification).from_select(
            ["user_id", "idea_id", "kind", "actor_id", "status_change_id", "comment_id",
             "created_at"],
            followers,
        )
    )  # fmt: skip


def add_comment(author: User, idea: Idea, body: str) -> Comment:
    """Add a comment (official when by staff); official comments notify the followers."""
    ensure_may_contribute(author)
    if not can_comment(author, idea):
        raise NotFound(_("There is no idea with this number."))
    body = clean_text(body, field="body", label=_("Comment"), multiline=True)
    check_length(
        body, field="body", label=_("Comment"), minimum=1, maximum=COMMENT_MAX, stored_max=None
    )
    comment = Comment(
        idea_id=idea.id,
        author=author,
        body=body,
        body_html=render_markdown(body),
        is_official=author.is_staff,
    )
    db.session.add(comment)
    db.session.execute(
        update(Idea).where(Idea.id == idea.id).values(comment_count=Idea.comment_count + 1)
    )
    db.session.flush()
    record_activity(idea, comment.created_at)
    if comment.is_official:
        if idea.first_response_at is None:  # an official answer is a first response
            idea.first_response_at = comment.created_at or utcnow()
        notify_followers(idea, NotificationKind.OFFICIAL_COMMENT, author, comment_id=comment.id)
    follow_idea(author, idea)
    db.session.refresh(idea, ["comment_count", "follower_count"])
    publish(CommentAdded(idea, comment, official=comment.is_official))
    return comment


def record_activity(idea: Idea, when: datetime | None = None) -> None:
    """Note activity on the idea (a comment, a stage change, an edit) for the staff inbox's
    "last activity" sort; the time never moves back (a back-dated row does not undo a newer one).

    Every service that writes a comment, a stage change or an edit of an idea calls it.
    """
    moment = when or utcnow()
    if idea.last_activity_at is None or moment > idea.last_activity_at:
        idea.last_activity_at = moment


def comments_of(idea: Idea) -> list[Comment]:
    """Return the idea's comments, oldest first."""
    return list(db.session.scalars(_COMMENTS_OF, {"idea_id": idea.id}).unique())


# --- customers manage their own ideas and comments ------------------------------------------
#
# "Answered" is defined once, here: staff have answered an idea when its first response is
# recorded (a public stage change or an official comment sets Idea.first_response_at), or it
# has any stage change at all (internal ones too), or an official comment, or it was merged.
# Until then its author may edit it; after that the public conversation is about this text.

HIDE_REASON_MAX = 200


def is_answered(idea: Idea) -> bool:
    """Whether staff have answered the idea (see above): its author can no longer edit it."""
    if idea.first_response_at is not None or idea.merged_into_id is not None:
        return True
    changed = exists().where(StatusChange.idea_id == idea.id)
    official = exists().where(Comment.idea_id == idea.id, Comment.is_official)
    return bool(db.session.scalar(select(or_(changed, official))))


def is_author(user: User | None, idea_or_comment: Idea | Comment) -> bool:
    """Whether user (signed in) wrote the idea or comment."""
    return (
        user is not None
        and bool(user.is_authenticated)
        and idea_or_comment.author_id is not None
        and idea_or_comment.author_id == user.id
    )


def get_idea_for_page(idea_id: int, viewer: User | None) -> Idea:
    """The idea for its page: what get_idea allows, and a hidden idea to its own author
    (the page tells them why it is hidden); others get NotFound."""
    idea = db.session.get(Idea, idea_id)
    if idea is None or not (can_see(viewer, idea) or is_author(viewer, idea)):
        raise NotFound(_("There is no idea with this number."))
    return idea


def was_edited(idea: Idea) -> bool:
    """Whether the idea has earlier versions (its author or staff changed it)."""
    return bool(db.session.scalar(_WAS_EDITED, {"idea_id": idea.id}))


def edit_refusal(user: User | None, idea: Idea) -> str | None:
    """Why user may not edit the idea (None: they may). Only its author, until answered."""
    if not is_author(user, idea):
        return str(_("Only the person who suggested an idea can edit it."))
    if idea.source != Source.WEB.value:
        return str(_("Ideas imported from another site cannot be edited here."))
    if idea.hidden_at is not None:
        return str(_("The moderators hid this idea, so it cannot be edited."))
    if is_answered(idea):
        return str(
            _(
                "Our team has answered this idea, so it can no longer be edited: the answer is "
                "about the text as it was. Add a comment to say more."
            )
        )
    return None


def _votes_by_others(idea: Idea) -> bool:
    others = Vote.user_id != idea.author_id if idea.author_id is not None else true()
    return bool(db.session.scalar(select(exists().where(Vote.idea_id == idea.id, others))))


def _comments_by_others(idea: Idea) -> bool:
    others = Comment.author_id != idea.author_id if idea.author_id is not None else true()
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Comment.idea_id == idea.id,
                    Comment.deleted_at.is_(None),
                    or_(others, Comment.author_id.is_(None)),
                )
            )
        )
    )


def delete_refusal(user: User | None, idea: Idea) -> str | None:
    """Why user may not delete the idea (None: they may).

    Its author may, while nobody else has a stake in it: no votes or comments from others,
    no staff answer, not merged (either way), not imported from a social post.
    """
    if not is_author(user, idea):
        return str(_("Only the person who suggested an idea can delete it."))
    if idea.source != Source.WEB.value:
        return str(_("Ideas imported from another site cannot be deleted here."))
    if idea.hidden_at is not None:
        return str(_("The moderators hid this idea, so it cannot be deleted."))
    merged_here = db.session.scalar(select(exists().where(Idea.merged_into_id == idea.id)))
    if is_answered(idea) or merged_here:
        return str(_("Our team has answered this idea, so it stays on the board."))
    if _votes_by_others(idea):
        return str(_("Others have voted for this idea, so it stays on the board for them."))
    if _comments_by_others(idea):
        return str(_("Others have commented on this idea, so it stays on the board for them."))
    return None


def revise_idea(
    idea: Idea, editor: User, *, title: str, body: str, category: Category | None
) -> bool:
    """Change the idea's title, body and category, keeping every version in idea_revisions.

    The first revision written for an idea is its original (by its author, at its creation);
    each change adds the new version. Staff edits may call this as well. Returns whether
    anything changed.
    """
    new_category_id = category.id if category else None
    if (title, body, new_category_id) == (idea.title, idea.body, idea.category_id):
        return False
    has_history = db.session.scalar(select(exists().where(IdeaRevision.idea_id == idea.id)))
    if not has_history:
        db.session.add(
            IdeaRevision(
                idea_id=idea.id,
                editor_id=idea.author_id,
                title=idea.title,
                body=idea.body,
                category_id=idea.category_id,
                created_at=idea.created_at,
            )
        )
    now = utcnow()
    idea.title = title
    if body != idea.body:
        idea.body = body
        idea.body_html = render_markdown(body)
    idea.category = category
    idea.updated_at = now
    db.session.add(
        IdeaRevision(
            idea_id=idea.id,
            editor_id=editor.id,
            title=title,
            body=body,
            category_id=new_category_id,
            created_at=now,
        )
    )
    db.session.flush()
    return True


def edit_own_idea(
    user: User, idea: Idea, *, title: str, body: str, category_slug: str | None
) -> bool:
    """The author edits their idea while it is unanswered; return whether anything changed."""
    refusal = edit_refusal(user, idea)
    if refusal:
        raise PermissionDenied(refusal)
    ensure_may_contribute(user)  # a blocked author may delete their idea, not rewrite it
    changed = revise_idea(
        idea,
        user,
        title=clean_title(title),
        body=clean_body(body),
        category=find_category(category_slug),
    )
    if changed:
        record_activity(idea)
        publish(IdeaEdited(idea, user))
    return changed


def revisions_of(idea: Idea) -> list[IdeaRevision]:
    """Every version of the idea, newest first (empty if it was never edited)."""
    return list(
        db.session.scalars(
            select(IdeaRevision)
            .where(IdeaRevision.idea_id == idea.id)
            .order_by(IdeaRevision.id.desc())
        ).unique()
    )


def delete_own_idea(user: User, idea: Idea) -> None:
    """The author deletes their idea (hard delete: see docs/own-content.md)."""
    refusal = delete_refusal(user, idea)
    if refusal:
        raise PermissionDenied(refusal)
    # Announced first, while the row still exists (webhook consumers saw idea.created).
    publish(IdeaDeleted(idea_id=idea.id, title=idea.title, by=user))
    # Explicit deletes: the foreign keys cascade too, but not every connection enforces them.
    for model in (Notification, Follow, Vote, Comment, IdeaRevision):
        db.session.execute(delete(model).where(model.idea_id == idea.id))
    db.session.execute(delete(Idea).where(Idea.id == idea.id))
    db.session.expunge(idea)
    db.session.flush()


def comment_edit_refusal(user: User | None, comment: Comment) -> str | None:
    """Why user may not edit or delete the comment (None: they may): only its author."""
    if not is_author(user, comment):
        return str(_("Only its author can change a comment."))
    if comment.deleted_at is not None:
        return str(_("This comment was deleted."))
    if comment.hidden_at is not None:
        return str(_("The moderators hid this comment, so it cannot be changed."))
    return None


def get_comment(idea: Idea, comment_id: int) -> Comment:
    """Return the idea's comment, or raise NotFound."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.idea_id != idea.id:
        raise NotFound(_("There is no such comment."))
    return comment


def clean_comment(raw: str | None) -> str:
    body = clean_text(raw, field="body", label=_("Comment"), multiline=True)
    check_length(
        body, field="body", label=_("Comment"), minimum=1, maximum=COMMENT_MAX, stored_max=None
    )
    return body


def edit_comment(user: User, comment: Comment, body: str) -> bool:
    """The author changes their comment (marked edited); return whether anything changed."""
    refusal = comment_edit_refusal(user, comment)
    if refusal:
        raise PermissionDenied(refusal)
    ensure_may_contribute(user)  # a blocked author may delete their comment, not rewrite it
    body = clean_comment(body)
    if body == comment.body:
        return False
    comment.body = body
    comment.body_html = render_markdown(body)
    comment.edited_at = utcnow()
    record_activity(comment.idea, comment.edited_at)
    db.session.flush()
    publish(CommentChanged(comment.idea, comment, change="edited"))
    return True


def _recount_comments(idea_id: int) -> None:
    """comment_count counts the comments everyone can read (neither deleted nor hidden)."""
    shown = (
        select(func.count())
        .where(
            Comment.idea_id == idea_id, Comment.deleted_at.is_(None), Comment.hidden_at.is_(None)
        )
        .scalar_subquery()
    )
    db.session.execute(update(Idea).where(Idea.id == idea_id).values(comment_count=shown))


def delete_comment(user: User, comment: Comment) -> None:
    """The author deletes their comment: its text goes, a placeholder stays in the thread."""
    refusal = comment_edit_refusal(user, comment)
    if refusal:
        raise PermissionDenied(refusal)
    comment.deleted_at = utcnow()
    comment.body = ""
    comment.body_html = ""
    db.session.flush()
    _recount_comments(comment.idea_id)
    db.session.refresh(comment.idea, ["comment_count"])
    publish(CommentChanged(comment.idea, comment, change="deleted"))


def hide_comment(staff: User, comment: Comment, reason: str) -> None:
    """Staff hide a comment with a reason; its author still sees it, and why."""
    if not can_triage(staff):
        raise PermissionDenied(_("Only staff can do this."))
    reason = clean_text(reason, field="reason", label=_("Reason"))
    check_length(reason, field="reason", label=_("Reason"), minimum=1, maximum=HIDE_REASON_MAX)
    if comment.deleted_at is not None:
        raise Conflict(_("This comment was deleted."))
    if comment.hidden_at is not None:
        raise Conflict(_("This comment is hidden already."))
    comment.hidden_at = utcnow()
    comment.hidden_reason = reason
    comment.hidden_by_id = staff.id
    db.session.flush()
    _recount_comments(comment.idea_id)
    db.session.refresh(comment.idea, ["comment_count"])
    publish(CommentChanged(comment.idea, comment, change="hidden"))


def restore_comment(staff: User, comment: Comment) -> None:
    """Staff show a hidden comment again."""
    if not can_triage(staff):
        raise PermissionDenied(_("Only staff can do this."))
    if comment.hidden_at is None:
        raise Conflict(_("This comment is not hidden."))
    comment.hidden_at = None
    comment.hidden_reason = None
    comment.hidden_by_id = None
    db.session.flush()
    _recount_comments(comment.idea_id)
    db.session.refresh(comment.idea, ["comment_count"])
    publish(CommentChanged(comment.idea, comment, change="restored"))


def _record_staff_edits(session: Session, _context: Any, _instances: Any) -> None:
    """Staff edits of a title or category (triage.edit_idea) land in idea_revisions too.

    triage.edit_idea logs each changed field as an IdeaEdit by the staff member; when such a
    row is about to be written and no revision was added for that idea in this flush
    (revise_idea adds its own), the versions before and after are recorded here, with the
    staff member as editor.
    """
    revised = {obj.idea_id for obj in session.new if isinstance(obj, IdeaRevision)}
    editors = {
        obj.idea_id: obj.by_id
        for obj in session.new
        if isinstance(obj, IdeaEdit) and obj.field in ("title", "category")
    }
    for idea in [obj for obj in session.dirty if isinstance(obj, Idea)]:
        if idea.id in revised or idea.id not in editors:
            continue
        state = sa_inspect(idea)
        title, category = state.attrs.title.history, state.attrs.category.history
        if not (title.has_changes() or category.has_changes()):
            continue
        old_title = title.deleted[0] if title.deleted else idea.title
        old_category = (
            (category.deleted[0] if category.deleted else None)
            if (category.has_changes())
            else idea.category
        )
        with session.no_autoflush:
            has_history = session.scalar(select(exists().where(IdeaRevision.idea_id == idea.id)))
        if not has_history:
            session.add(
                IdeaRevision(
                    idea_id=idea.id,
                    editor_id=idea.author_id,
                    title=old_title,
                    body=idea.body,
                    category_id=old_category.id if old_category is not None else None,
                    created_at=idea.created_at,
                )
            )
        session.add(
            IdeaRevision(
                idea_id=idea.id,
                editor_id=editors[idea.id],
                title=idea.title,
                body=idea.body,
                category_id=idea.category.id if idea.category is not None else None,
                created_at=utcnow(),
            )
        )


sa_event.listen(Session, "before_flush", _record_staff_edits)
