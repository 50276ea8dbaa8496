"""The daily digest: one e-mail a day, for people who chose it, of what their ideas went through.

A digest covers whole UTC days: the first worker round of a day queues, for each person who
chose "daily" (and can receive notification e-mails) and has news, one e-mail of their in-app
notifications (stage changes and official answers on the ideas they follow) from their
`digest_sent_at` up to the start of the day, and moves `digest_sent_at` there. So nobody gets
two digests in a UTC day, nothing is told twice or left out, and a day without news sends
nothing. The row's dedupe key (`email:digest:<user id>:<YYYY-MM-DD>`) keeps a second worker
from queueing it again.

When every digest of the day is queued the job keeps a mark (job_marks "digest" = the day),
so the other rounds of the day cost one primary-key read. Digests are queued in batches of
DIGEST_BATCH people per round.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import ColumnElement, exists, func, or_, select, update
from sqlalchemy.orm import joinedload

from ..accounts.models import EmailChoice, User
from ..database import utcnow
from ..extensions import db
from ..i18n import display_name
from ..ideas.models import Idea, Notification, NotificationKind
from ..text import truncate
from ..triage.models import Stage, StatusChange
from ..urls import idea_url, public_url_for
from . import enqueue
from .jobs import scheduled
from .letters import Draft, letter
from .models import JobMark
from .notifications import refusal, settings_url, signature, wants_email
from .plaintext import markdown_to_text

DIGEST_LETTER = "digest"
MARK = "digest"
DIGEST_BATCH = 200  # people per round
ITEMS_MAX = 50  # notifications shown in one digest; the rest are "and N more"
EXCERPT_MAX = 300  # graphemes of a note or an answer shown per item


def day_start(now: datetime) -> datetime:
    """The start (00:00 UTC) of now's UTC day."""
    return datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)


def _in_window(since: Any, until: datetime) -> list[ColumnElement[bool]]:
    """Notifications from since (a moment, None for ever, or a column) up to until."""
    conditions = [Notification.created_at < until]
    if isinstance(since, datetime):
        conditions.append(Notification.created_at >= since)
    elif since is not None:
        conditions.append(or_(since.is_(None), Notification.created_at >= since))
    return conditions


def _shown() -> list[ColumnElement[bool]]:
    """Notifications still worth telling: a visible idea, a public stage."""
    return [Idea.hidden_at.is_(None), or_(Notification.status_change_id.is_(None), Stage.is_public)]


def _set_mark(value: str) -> None:
    """Keep the mark (an upsert: two workers may finish the same day at once)."""
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    now = utcnow()
    statement = dialect_insert(JobMark).values(name=MARK, value=value, updated_at=now)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"], set_={"value": value, "updated_at": now}
        )
    )


@scheduled("digest")
def queue_digests(now: datetime) -> int:
    """Queue today's digests of the people who chose them and have news; return how many."""
    until = day_start(now)
    day = until.date().isoformat()
    mark = db.session.get(JobMark, MARK)
    if mark is not None and mark.value == day:
        return 0  # every digest of the day is queued
    news = exists().where(Notification.user_id == User.id, *_in_window(User.digest_sent_at, until))
    due = list(
        db.session.scalars(
            select(User)
            .where(
                *wants_email(EmailChoice.DAILY),
                or_(User.digest_sent_at.is_(None), User.digest_sent_at < until),
                news,
            )
            .order_by(User.id)
            .limit(DIGEST_BATCH)
        )
    )
    queued = enqueue.enqueue_many(
        enqueue.mail_row(
            letter=DIGEST_LETTER,
            to=user.email,
            user=user,
            dedupe_key=f"email:digest:{user.id}:{day}",
            params={
                "since": user.digest_sent_at.isoformat() if user.digest_sent_at else None,
                "until": until.isoformat(),
            },
        )
        for user in due
    )
    if due:
        db.session.execute(
            update(User).where(User.id.in_([user.id for user in due])).values(digest_sent_at=until)
        )
    if len(due) < DIGEST_BATCH:
        _set_mark(day)
    db.session.flush()
    return queued


# --- the letter ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One line of a digest."""

    title: str
    link: str
    what: str  # "New status: Planned", "Official answer"
    text: str  # the start of the note or the answer, plain text on one line
    by: str
    when: datetime


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _item(notification: Notification) -> Item | None:
    idea = notification.idea
    change, comment = notification.status_change, notification.comment
    if notification.kind == NotificationKind.STAGE_CHANGED.value and change is not None:
        what = _("New status: %(stage)s", stage=display_name(change.to_stage))
        link = f"{idea_url(idea)}#status-{change.id}"
        text, by = change.note, change.by
    elif (
        notification.kind == NotificationKind.OFFICIAL_COMMENT.value
        and comment is not None
        and comment.is_public  # a deleted or hidden answer is not sent
    ):
        what = _("Official answer")
        link = f"{idea_url(idea)}#comment-{comment.id}"
        text, by = comment.body, comment.author
    else:
        return None
    return Item(
        title=idea.title,
        link=link,
        what=what,
        text=truncate(" ".join(markdown_to_text(text).split()), EXCERPT_MAX),
        by=signature(by),
        when=notification.created_at,
    )


@letter(DIGEST_LETTER)
def digest_letter(params: Mapping[str, Any], user: User | None) -> Draft | str:
    reason = refusal(user, EmailChoice.DAILY)
    if reason:
        return reason
    assert user is not None
    until = _moment(params.get("until"))
    if until is None:
        return "the digest names no period"
    since = _moment(params.get("since"))
    where = [
        Notification.user_id == user.id,
        *_in_window(since, until),
        *_shown(),
    ]
    joined = (
        select(Notification)
        .join(Idea, Idea.id == Notification.idea_id)
        .outerjoin(StatusChange, StatusChange.id == Notification.status_change_id)
        .outerjoin(Stage, Stage.id == StatusChange.to_stage_id)
        .where(*where)
    )
    total = int(db.session.scalar(select(func.count()).select_from(joined.subquery())) or 0)
    rows = db.session.scalars(
        joined.options(
            joinedload(Notification.idea),
            joinedload(Notification.status_change).joinedload(StatusChange.by),
            joinedload(Notification.comment),
        )
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(ITEMS_MAX)
    ).unique()
    items = [item for item in map(_item, rows) if item is not None]
    if not items:
        return "nothing to report"
    return Draft(
        subject=ngettext(
            "%(num)d update on the ideas you follow",
            "%(num)d updates on the ideas you follow",
            total,
        ),
        context={
            "items": items,
            "total": total,
            "more": max(0, total - len(items)),
            "more_link": public_url_for("ideas.notifications"),
            "settings_url": settings_url(),
        },
        notification=True,
    )
