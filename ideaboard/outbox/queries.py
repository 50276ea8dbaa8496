"""Reads of the outbox for the pages."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..ideas.models import Idea
from .models import OutboxMessage, OutboxState


def sent_replies(idea: Idea) -> dict[int | None, str]:
    """Return {status change id (None: the acknowledgement): URL of the reply sent on X}.

    Only the replies to the idea's own post: a stage change also answers every post that
    voted for it, and a matched vote's acknowledgement is filed under the idea it matched.
    """
    if not idea.source_post_id:
        return {}
    rows = db.session.execute(
        select(OutboxMessage.status_change_id, OutboxMessage.remote_url).where(
            OutboxMessage.idea_id == idea.id,
            OutboxMessage.target == idea.source_post_id,
            OutboxMessage.state == OutboxState.SENT.value,
            OutboxMessage.remote_url.is_not(None),
        )
    )
    return {change_id: url for change_id, url in rows if url is not None}
