"""Stage changes: the public answer to an idea. Services flush; the caller commits."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..accounts.models import User
from ..database import utcnow
from ..errors import PermissionDenied, ValidationFailed
from ..extensions import db
from ..ideas.models import Idea, NotificationKind
from ..ideas.permissions import can_triage
from ..ideas.services import notify_followers
from ..text import check_length, clean_text, render_markdown
from .models import Stage, StatusChange

NOTE_MAX = 5_000


def find_stage(slug: str) -> Stage:
    """Return the stage with this slug, or raise ValidationFailed."""
    stage = db.session.scalar(select(Stage).where(Stage.slug == slug))
    if stage is None:
        raise ValidationFailed(_("There is no stage called %(s)s.", s=slug), field="stage")
    return stage


def change_stage(
    idea: Idea, stage: Stage, note: str, by: User, *, at: datetime | None = None
) -> StatusChange:
    """Move the idea to stage with a public note; record it and notify the followers."""
    if not can_triage(by):
        raise PermissionDenied(_("Only staff can change the stage of an idea."))
    note = clean_text(note, field="note", label=_("Note"), multiline=True)
    check_length(note, field="note", label=_("Note"), minimum=1, maximum=NOTE_MAX)
    if stage.id == idea.stage_id:
        raise ValidationFailed(
            _("The idea is already in the stage %(s)s.", s=_(stage.name)), field="stage"
        )
    when = at or utcnow()
    change = StatusChange(
        idea_id=idea.id,
        from_stage_id=idea.stage_id,
        to_stage_id=stage.id,
        note=note,
        note_html=render_markdown(note),
        by_id=by.id,
        created_at=when,
    )
    db.session.add(change)
    idea.stage = stage
    idea.updated_at = when
    db.session.flush()
    notify_followers(idea, NotificationKind.STAGE_CHANGED, by, status_change_id=change.id)
    return change
