"""E-mails to staff: the daily list of a team's overdue ideas, and the alert of dead outbox rows.

Staff mail goes to active staff with a verified, deliverable address (`reachable_staff`),
whatever they chose for follower notifications: it is part of the job, not a subscription, so
it carries no unsubscribe link. Both are scheduled jobs (mail/jobs.py) the worker runs each
round; their dedupe keys make a second run, or a second worker, queue nothing.

- **Overdue ideas** (`overdue_ideas`): once per UTC day, each member of a team gets the team's
  visible ideas past the first-response target (IDEABOARD_RESPONSE_TARGET_HOURS; the rule is
  `triage.queries.overdue`, the one the staff inbox marks with). Ideas with no team, and those
  of a team nobody on it can be e-mailed about, go to the admins. Nothing is sent to a team
  with nothing overdue. Key: `email:overdue:{team id or "none"}:{user id}:{date}`.
- **Dead outbox rows** (`dead_alert`): when outbox rows have died since the last alert, each
  admin gets one summary (the count by kind, the last errors, a link to the outbox page). The
  JobMark "dead_alert" remembers where the last alert stopped (the newest dead row's death —
  its last claim — and id: a row that dies after a newer one did is still reported) and when
  it went. At most one alert an hour: rows that die in between are in the next one. The alert
  e-mails themselves are never counted, so an alert that cannot be delivered (the SMTP server
  is down) does not cause another one. Key: `email:dead_alert:{newest id}:{its death}:{admin}`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import format_timedelta, ngettext
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, exists, func, or_, select

from ..accounts.models import Role, User
from ..database import utcnow
from ..extensions import db
from ..ideas.models import Idea
from ..outbox.models import OutboxMessage, OutboxState
from ..social.labels import outbox_kind_label
from ..triage import queries as triage_queries
from ..triage.models import Team, TeamMember
from ..urls import public_url_for
from ..web import label
from .enqueue import enqueue_many, mail_row
from .jobs import job_mark, scheduled
from .letters import Draft, letter

OVERDUE_LIST_MAX = 50  # ideas listed in one e-mail; the rest are counted and linked
DEAD_ALERT_EVERY = timedelta(hours=1)
DEAD_ALERT_PREFIX = "email:dead_alert:"
DEAD_ERRORS_SHOWN = 5
ERROR_MAX = 240


# --- who gets staff mail -------------------------------------------------------------------


def _reachable(*, admins_only: bool) -> ColumnElement[bool]:
    """The rule: active staff (or admins) with a verified address that has not bounced."""
    roles = [Role.ADMIN.value] if admins_only else [Role.STAFF.value, Role.ADMIN.value]
    return and_(
        User.role.in_(roles),
        User.active.is_(True),
        User.email_verified_at.is_not(None),
        User.email_undeliverable_at.is_(None),
    )


def reachable_staff(*, admins_only: bool = False) -> list[User]:
    """Staff (or only admins) staff mail may go to, by id."""
    query = select(User).where(_reachable(admins_only=admins_only)).order_by(User.id)
    return list(db.session.scalars(query))


def _still_reachable(user: User | None, *, admins_only: bool) -> bool:
    """At send time: whether user may still get this staff mail (same rule, asked again)."""
    if user is None:
        return False
    query = select(exists().where(User.id == user.id, _reachable(admins_only=admins_only)))
    return bool(db.session.scalar(query))


# --- overdue ideas, daily per team --------------------------------------------------------


@scheduled("overdue_ideas")
def queue_overdue(now: datetime) -> int:
    """Once per UTC day: each team member gets the team's overdue ideas (admins: no team's)."""
    day = now.astimezone(UTC).date().isoformat()
    mark = job_mark("overdue_ideas")
    if mark.value == day:
        return 0  # today's lists are queued already
    by_team = triage_queries.overdue_by_team(now, triage_queries.response_target())
    admins = reachable_staff(admins_only=True)
    members: dict[int, list[User]] = {}
    reachable_members = (
        select(TeamMember.team_id, User)
        .join(User, User.id == TeamMember.user_id)
        .where(_reachable(admins_only=False))
        .order_by(User.id)
    )
    for member_of, user in db.session.execute(reachable_members):
        members.setdefault(member_of, []).append(user)
    rows = []
    for team_id, idea_ids in by_team.items():
        recipients = members.get(team_id, []) if team_id is not None else []
        fallback = team_id is not None and not recipients
        for user in recipients or admins:
            rows.append(
                mail_row(
                    letter="overdue_ideas",
                    to=user.email,
                    user=user,
                    dedupe_key=f"email:overdue:{team_id or 'none'}:{user.id}:{day}",
                    params={
                        "team_id": team_id,
                        "ideas": idea_ids[:OVERDUE_LIST_MAX],
                        "total": len(idea_ids),
                        "to_admins": fallback,
                    },
                )
            )
    queued = enqueue_many(rows)
    mark.value = day
    mark.updated_at = now
    db.session.flush()
    return queued


@letter("overdue_ideas")
def overdue_letter(params: Mapping[str, Any], user: User | None) -> Draft | str:
    """The ideas of one team (or of none) still past the target when the e-mail goes."""
    team_id = params.get("team_id")
    to_admins = team_id is None or bool(params.get("to_admins"))
    if not _still_reachable(user, admins_only=to_admins):
        return "the recipient no longer gets staff e-mail"
    team = db.session.get(Team, team_id) if isinstance(team_id, int) else None
    if team_id is not None and team is None:
        return "the team was deleted"
    listed = [i for i in params.get("ideas") or [] if isinstance(i, int)]
    now = utcnow()
    target = triage_queries.response_target()
    ideas = list(
        db.session.scalars(
            select(Idea)
            .where(
                Idea.id.in_(listed),
                triage_queries.overdue(now, target),
                Idea.hidden_at.is_(None),
            )
            .order_by(Idea.created_at, Idea.id)
        ).unique()
    )
    if not ideas:
        return "every idea on the list has been answered"
    more = max(0, int(params.get("total") or 0) - len(listed))
    count = len(ideas) + more
    team_name = label(team.name) if team is not None else ""
    if team is not None:
        subject = ngettext(
            "%(team)s: %(num)d idea waits past the first-answer target",
            "%(team)s: %(num)d ideas wait past the first-answer target",
            count,
            team=team_name,
        )
    else:
        subject = ngettext(
            "%(num)d idea without a team waits past the first-answer target",
            "%(num)d ideas without a team wait past the first-answer target",
            count,
        )
    items = [
        {
            "id": idea.id,
            "title": idea.title,
            "url": public_url_for("triage.idea", idea_id=idea.id),
            "waiting": format_timedelta(now - idea.created_at, threshold=1.5),
        }
        for idea in ideas
    ]
    inbox_args = {"stage": "", "team": team.slug} if team is not None else {}
    return Draft(
        subject=subject,
        context={
            "team_name": team_name,
            "to_admins": to_admins,
            "no_team": team is None,
            "hours": f"{target.total_seconds() / 3600:g}",
            "ideas": items,
            "more": more,
            "inbox_url": public_url_for("triage.inbox", **inbox_args),
        },
    )


# --- dead outbox rows, to admins ----------------------------------------------------------


def _died_at() -> ColumnElement[datetime]:
    # A row dies right after its last claim; claimed_at is that moment.
    return func.coalesce(OutboxMessage.claimed_at, OutboxMessage.created_at)


def _read_mark(value: str) -> dict[str, Any]:
    try:
        data = json.loads(value) if value else {}
    except ValueError:
        data = {}
    return data if isinstance(data, dict) else {}


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_URL_PATH = re.compile(r"\b(https?://[^/\s'\"<>]+)[^\s'\"<>]*")
_URL_WORD = re.compile(r"\burl: \S+")


def redact(error: str) -> str:
    """An error as an e-mail may carry it: no URL paths or queries (a webhook URL's secret)."""
    text = _URL_WORD.sub("url: …", _URL_PATH.sub(r"\1/…", error))
    text = " ".join(text.split())
    return text if len(text) <= ERROR_MAX else text[: ERROR_MAX - 1] + "…"


@scheduled("dead_alert")
def queue_dead_alert(now: datetime) -> int:
    """Tell each admin, at most hourly, about outbox rows that died since the last alert."""
    mark = job_mark("dead_alert")
    state = _read_mark(mark.value)
    last_sent = _when(state.get("sent"))
    if last_sent is not None and now - last_sent < DEAD_ALERT_EVERY:
        return 0
    died = _died_at()
    new = and_(
        OutboxMessage.state == OutboxState.DEAD.value,
        ~OutboxMessage.dedupe_key.startswith(DEAD_ALERT_PREFIX, autoescape=True),
    )
    since = _when(state.get("at"))
    if since is not None:
        last_id = int(state.get("id") or 0)
        new = and_(new, or_(died > since, and_(died == since, OutboxMessage.id > last_id)))
    latest = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.last_error, died)
        .where(new)
        .order_by(died.desc(), OutboxMessage.id.desc())
        .limit(DEAD_ERRORS_SHOWN)
    ).all()
    if not latest:
        return 0
    admins = reachable_staff(admins_only=True)
    if not admins:
        return 0  # kept for the first admin who can be e-mailed
    by_kind = {
        kind: count
        for kind, count in db.session.execute(
            select(OutboxMessage.kind, func.count()).where(new).group_by(OutboxMessage.kind)
        )
    }
    newest_id, _kind, _error, newest_at = latest[0]
    newest_at = newest_at if newest_at.tzinfo else newest_at.replace(tzinfo=UTC)
    params = {
        "total": sum(by_kind.values()),
        "by_kind": dict(sorted(by_kind.items())),
        "errors": [
            {"id": row_id, "kind": kind, "error": redact(error or "")}
            for row_id, kind, error, _died in latest
        ],
    }
    stamp = newest_at.strftime("%Y%m%dT%H%M%S%f")
    queued = enqueue_many(
        mail_row(
            letter="dead_alert",
            to=admin.email,
            user=admin,
            dedupe_key=f"{DEAD_ALERT_PREFIX}{newest_id}:{stamp}:{admin.id}",
            params=params,
        )
        for admin in admins
    )
    mark.value = json.dumps(
        {"at": newest_at.isoformat(), "id": newest_id, "sent": now.isoformat()},
        separators=(",", ":"),
    )
    mark.updated_at = now
    db.session.flush()
    return queued


@letter("dead_alert")
def dead_alert_letter(params: Mapping[str, Any], user: User | None) -> Draft | str:
    """The summary of the rows that died: how many of each kind, the last errors, the link."""
    if not _still_reachable(user, admins_only=True):
        return "the recipient is no longer an admin who gets staff e-mail"
    total = int(params.get("total") or 0)
    by_kind = params.get("by_kind") or {}
    kinds = [
        {"label": outbox_kind_label(str(kind)), "count": int(count)}
        for kind, count in by_kind.items()
    ]
    errors = [
        {
            "id": int(item.get("id") or 0),
            "kind": outbox_kind_label(str(item.get("kind", ""))),
            "error": str(item.get("error") or "") or _("no error recorded"),
        }
        for item in params.get("errors") or []
        if isinstance(item, dict)
    ]
    return Draft(
        subject=ngettext(
            "IdeaBoard gave up on %(num)d outbox message",
            "IdeaBoard gave up on %(num)d outbox messages",
            total,
        ),
        context={
            "total": total,
            "kinds": kinds,
            "errors": errors,
            "outbox_url": public_url_for("social.outbox_list", state=OutboxState.DEAD.value),
            "every": format_timedelta(DEAD_ALERT_EVERY, threshold=1.5),
        },
    )
