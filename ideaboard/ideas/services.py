"""Idea rules: submit, vote, comment, follow. Services add and flush; the caller commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Integer, String, delete, insert, literal, select, update

from ..accounts.models import User
from ..database import UTCDateTime, rows_matched, utcnow
from ..errors import NotFound, ValidationFailed, VotingClosed
from ..events import CommentAdded, IdeaSubmitted, publish
from ..extensions import db
from ..text import check_length, clean_text, render_markdown
from ..triage.models import Stage, StageRole, stage_with_role
from .models import Category, Comment, Follow, Idea, Notification, NotificationKind, Source, Vote
from .permissions import can_comment, can_see, can_vote
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
    """Make the user follow the idea; return True if they did not follow it before."""
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
) -> Idea:
    """Create an idea by a site user in the first stage; the author follows it."""
    title = clean_title(title)
    body = clean_body(body)
    category = find_category(category_slug)
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
    value = db.session.scalar(
        select(Vote.value).where(Vote.user_id == user.id, Vote.idea_id == idea.id)
    )
    return int(value or 0)


def cast_vote(user: User, idea: Idea, value: int, *, imported: bool = False) -> VoteTally:
    """Set the user's vote on the idea to 1, -1 or 0 (withdraw); return the new tally.

    `imported` marks a vote taken from a social post on behalf of its author's shadow user.
    The idea row is locked first, so the stored counts move with the vote rows under any
    concurrency.
    """
    if type(value) is not int or value not in VOTE_VALUES:
        raise ValidationFailed(_("A vote is 1 (up), -1 (down) or 0 (withdraw)."), field="value")
    # An imported vote comes from a social author's shadow user, who never signs in.
    allowed = idea.voting_open if imported else can_vote(user, idea)
    if not allowed:
        raise VotingClosed(_("Voting on this idea is closed."))
    # Lock the idea's row and read its counts under the lock (FOR UPDATE on PostgreSQL; on
    # SQLite, writers are already serialised by BEGIN IMMEDIATE), then read the user's vote
    # in a statement of its own: on PostgreSQL a statement that waited for the lock still
    # sees other tables as they were when it started, so a vote committed meanwhile by the
    # same user racing themselves would be missed. The writes are plain statements, not the
    # unit of work (a vote is the busiest write on the board); ORM-enabled UPDATE/DELETE
    # keep any loaded Idea and Vote objects in step.
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
    return list(
        db.session.scalars(
            select(Comment)
            .where(Comment.idea_id == idea.id)
            .order_by(Comment.created_at, Comment.id)
        ).unique()
    )
