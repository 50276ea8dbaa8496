"""Staff undo a wrong match: the mention becomes an idea of its own. Flush, never commit.

A mention the importer matched with an existing idea (a vote, or an answer about a launched or
declined idea) is turned into the idea it would have been: the vote the match cast is taken
back (the counts move with it), an acknowledgement that has not gone out yet is cancelled, and
the author gets the "new idea" acknowledgement. The mention log keeps the story.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from ..accounts.models import User
from ..database import rows_matched, utcnow
from ..errors import Conflict
from ..events import IdeaSubmitted, publish
from ..extensions import db
from ..ideas.models import Idea, Vote
from ..ideas.ranking import hot_rank
from ..outbox.models import OutboxMessage, OutboxState
from ..triage.services import _require_staff
from .connectors import Mention
from .importer import enqueue_ack, new_idea, title_from_text
from .models import MentionLog, MentionOutcome, SocialAccount, SocialIdentity
from .networks import network

UNDOABLE = (MentionOutcome.VOTED.value, MentionOutcome.ANSWERED.value)


def can_undo(entry: MentionLog) -> bool:
    """Tell whether the entry is a word match staff may undo."""
    return (
        entry.outcome in UNDOABLE
        and entry.match_detail is not None
        and entry.undone_at is None
        and entry.author_remote_id is not None
    )


def _take_back_vote(user_id: int, idea: Idea) -> None:
    """Remove the user's up vote on idea and move the stored counts with it."""
    counts = db.session.execute(
        select(Idea.score, Idea.up_count).where(Idea.id == idea.id).with_for_update()
    ).one()
    removed = db.session.execute(
        delete(Vote).where(Vote.user_id == user_id, Vote.idea_id == idea.id, Vote.value == 1)
    )
    if rows_matched(removed):
        score = counts.score - 1
        db.session.execute(
            update(Idea)
            .where(Idea.id == idea.id)
            .values(up_count=counts.up_count - 1, score=score, hot=hot_rank(score, idea.created_at))
        )
        db.session.refresh(idea)


def undo_match(entry: MentionLog, by: User) -> Idea:
    """Make the matched mention its own idea; return the new idea."""
    _require_staff(by)
    if not can_undo(entry):
        raise Conflict(_("This mention was not matched with an idea, or the match is undone."))
    account = db.session.get(SocialAccount, entry.account_id)
    identity = None
    if account is not None:
        identity = db.session.scalar(
            select(SocialIdentity).where(
                SocialIdentity.network == account.network,
                SocialIdentity.remote_user_id == entry.author_remote_id,
            )
        )
    if account is None or identity is None:
        raise Conflict(_("The account or the author of this mention is gone."))
    if db.session.scalar(
        select(Idea.id).where(Idea.source == account.network, Idea.source_post_id == entry.post_id)
    ):
        raise Conflict(_("This post is an idea already."))
    detail = dict(entry.match_detail or {})
    matched = db.session.get(Idea, entry.idea_id) if entry.idea_id else None
    if matched is not None and entry.outcome == MentionOutcome.VOTED.value:
        if detail.get("new_vote", True):
            _take_back_vote(identity.user_id, matched)
    # The first acknowledgement, if it has not gone out, never will.
    first = db.session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.dedupe_key
            == f"{network(account.network).reply_kind}:ack:{account.id}:post:{entry.post_id}"
        )
    )
    if first is not None and first.state not in (
        OutboxState.SENT.value,
        OutboxState.SENDING.value,
    ):
        first.state = OutboxState.CANCELLED.value
    mention = Mention(
        id=entry.post_id,
        text=entry.text,
        author_id=entry.author_remote_id or "",
        author_handle=identity.handle,
        author_name=identity.name,
        created_at=entry.posted_at,
        lang=entry.lang,
        network=account.network,
        permalink=entry.post_url or "",
    )
    now = utcnow()
    title = title_from_text(entry.text, account.tag_list, identity.handle)
    # Staff decided it is an idea: it is public at once, whatever the account's moderation.
    idea = new_idea(account, mention, identity, title, now, held=False)
    publish(IdeaSubmitted(idea))
    if account.acknowledge:
        enqueue_ack(account, idea, entry.post_id, entry.lang, "imported", again=":undo")
    detail["undone_from"] = entry.idea_id
    entry.match_detail = detail
    entry.outcome = MentionOutcome.IMPORTED.value
    entry.reason = f"match with #{entry.idea_id} undone" if entry.idea_id else "new idea"
    entry.idea_id = idea.id
    entry.undone_at = now
    entry.undone_by_id = by.id
    db.session.flush()
    return idea
