"""The listening inbox: the staff's queue of mentions that are not ideas, and what staff do
with each (reply, convert to an idea, route to a team, dismiss, reopen).

Every action is one conditional UPDATE of the mention's `inbox_state`, from the state the
staff member saw (`expected`) to the new one. Two staff acting on one mention at once, or one
form sent twice, cannot both win: the database lets one UPDATE match the row, the other matches
nothing and gets `AlreadyHandled` (naming who handled it). Only the winner goes on to write
its outbox row or its idea, inside the same transaction, so a reply is queued exactly once.

The functions add and flush; the caller (the view, a test) commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select, update

from ..accounts.models import User
from ..database import rows_matched, utcnow
from ..errors import Conflict, NotFound, ValidationFailed
from ..events import IdeaSubmitted, publish
from ..extensions import db
from ..ideas.models import Idea
from ..outbox.models import OutboxMessage
from ..social.compose import PostLimit
from ..social.connectors import Mention
from ..social.importer import (
    approve_held_idea,
    enqueue_ack,
    identity_for,
    new_idea,
    title_from_text,
)
from ..social.mastodon_text import reply_prefix
from ..social.models import InboxState, MentionLog, MentionOutcome, SocialAccount
from ..social.networks import limit_for, network
from ..text import clean_text
from ..triage.models import Team

REPLY_MAX_CHARS = 2_000  # the form's bound; every network's post limit is far below it
LABELS = ("question", "complaint", "suggestion", "other")
STATES = tuple(s.value for s in InboxState)

# The states each action starts from. A reply or a conversion may follow a routing (the team
# asked for it); only a mention someone handled can be reopened, and a converted one cannot:
# its idea exists, and the idea's page is where it goes on.
REPLY_FROM = frozenset({InboxState.OPEN, InboxState.ROUTED})
CONVERT_FROM = frozenset({InboxState.OPEN, InboxState.ROUTED, InboxState.REPLIED})
ROUTE_FROM = frozenset({InboxState.OPEN, InboxState.ROUTED})
DISMISS_FROM = frozenset({InboxState.OPEN, InboxState.ROUTED})
REOPEN_FROM = frozenset({InboxState.REPLIED, InboxState.ROUTED, InboxState.DISMISSED})

STATE_NAMES = {
    InboxState.OPEN.value: _l("Open"),
    InboxState.REPLIED.value: _l("Replied"),
    InboxState.CONVERTED.value: _l("Converted to an idea"),
    InboxState.ROUTED.value: _l("Routed to a team"),
    InboxState.DISMISSED.value: _l("Dismissed"),
}
LABEL_NAMES = {
    "question": _l("Question"),
    "complaint": _l("Complaint"),
    "suggestion": _l("Suggestion"),
    "other": _l("Other"),
}
UNIT_NAMES = {
    "weighted characters": _l("weighted characters"),
    "graphemes": _l("characters"),
    "characters": _l("characters"),
}


class AlreadyHandled(Conflict):
    """Someone else (or the same form, sent again) moved the mention first."""

    def __init__(self, entry: MentionLog) -> None:
        self.entry = entry
        by = db.session.get(User, entry.handled_by_id) if entry.handled_by_id else None
        state = state_name(entry.inbox_state)
        if by is not None:
            message = _(
                "This mention was already handled by %(name)s (now: %(state)s).",
                name=by.name,
                state=state,
            )
        else:
            message = _("This mention was already handled (now: %(state)s).", state=state)
        super().__init__(message)


def state_name(state: str | None) -> str:
    """The inbox state as staff read it ("Replied", "답변함")."""
    return str(STATE_NAMES.get(state or "", state or ""))


def _parse_state(expected: str | InboxState) -> InboxState:
    try:
        return InboxState(expected)
    except ValueError:
        raise ValidationFailed(_("Reload the page: the mention's state is unknown.")) from None


def _transition(
    entry: MentionLog,
    expected: str | InboxState,
    allowed: frozenset[InboxState],
    by: User,
    **values: Any,
) -> None:
    """Move entry from `expected` to values["inbox_state"] if it is still in `expected`.

    Raises ValidationFailed when the action cannot start from `expected`, AlreadyHandled when
    the mention is no longer in `expected` (someone else won)."""
    state = _parse_state(expected)
    if state not in allowed:
        raise ValidationFailed(
            _("This cannot be done to a mention that is %(state)s.", state=state_name(state))
        )
    now = values.pop("now", None) or utcnow()
    result = db.session.execute(
        update(MentionLog)
        .where(MentionLog.id == entry.id, MentionLog.inbox_state == state.value)
        .values(handled_at=now, handled_by_id=by.id, **values)
        .execution_options(synchronize_session=False)
    )
    if not rows_matched(result):
        db.session.refresh(entry)
        raise AlreadyHandled(entry)
    db.session.refresh(entry)


def get_entry(entry_id: int) -> MentionLog:
    """Return the inbox mention with this id (NotFound for one that is not in the inbox)."""
    entry = db.session.get(MentionLog, entry_id)
    if entry is None or entry.inbox_state is None:
        raise NotFound(_("There is no such mention in the listening inbox."))
    return entry


# --- reply -------------------------------------------------------------------------------------


def reply_text(text: str, by: User) -> str:
    """The reply as posted: the staff member's words, signed with their initials (like stage
    replies: "… ^KG")."""
    return f"{text} ^{by.display_initials}"


def measured_reply(account: SocialAccount, signed: str, author_handle: str = "") -> str:
    """The reply as the network will measure it: on Mastodon the sender puts "@author " in
    front so the reply reaches them (MastodonConnector.post_reply), and that counts too."""
    if account.network == "mastodon":
        return reply_prefix(author_handle) + signed
    return signed


def check_reply(
    account: SocialAccount, text: str | None, by: User, author_handle: str = ""
) -> tuple[str, PostLimit]:
    """Return the cleaned reply text (unsigned) and the account's limit; refuse an empty reply
    or one that, signed, does not fit one post on the account's network."""
    label = _("Reply")
    cleaned = clean_text(text, field="text", label=label, multiline=True)
    if not cleaned:
        raise ValidationFailed(_("Write a reply first."), field="text")
    if len(cleaned) > REPLY_MAX_CHARS:
        raise ValidationFailed(
            _("A reply can be at most %(max)d characters.", max=REPLY_MAX_CHARS), field="text"
        )
    limit = limit_for(account)
    signed = measured_reply(account, reply_text(cleaned, by), author_handle)
    if not limit.fits(signed):
        raise ValidationFailed(
            _(
                "The reply is too long for %(network)s: %(length)d of %(max)d %(unit)s with "
                "your initials. Shorten it.",
                network=network(account.network).name,
                length=limit.measure(signed),
                max=limit.maximum,
                unit=str(UNIT_NAMES.get(limit.unit, limit.unit)),
            ),
            field="text",
        )
    return cleaned, limit


def reply_key_prefix(kind: str, entry: MentionLog) -> str:
    return f"{kind}:listen:{entry.account_id}:post:{entry.post_id}:"


def _next_reply_number(prefix: str, batch: int = 10) -> int:
    """The first n with no outbox row keyed prefix + n: point lookups on the unique index of
    dedupe_key, a batch at a time (a LIKE 'prefix%' would read the whole outbox).

    Only the winner of the move to `replied` asks, inside its transaction, so two replies to
    one mention never race for the same number."""
    start = 1
    while True:
        keys = [f"{prefix}{n}" for n in range(start, start + batch)]
        taken = set(
            db.session.scalars(
                select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys))
            )
        )
        for n, key in enumerate(keys, start):
            if key not in taken:
                return n
        start += batch


def reply(entry: MentionLog, text: str | None, by: User, expected: str) -> OutboxMessage:
    """Queue staff's reply to the mention on its network, signed with their initials.

    Exactly once: the move to `replied` is a conditional UPDATE, and only its winner writes
    the outbox row. A mention reopened and answered again gets a second reply, with the next
    number in its dedupe key (`x_reply:listen:<account>:post:<post id>:<n>`)."""
    account = db.session.get_one(SocialAccount, entry.account_id)
    cleaned, _limit = check_reply(account, text, by, entry.author_handle)
    now = utcnow()
    _transition(
        entry,
        expected,
        REPLY_FROM,
        by,
        now=now,
        inbox_state=InboxState.REPLIED.value,
        first_response_at=func.coalesce(MentionLog.first_response_at, now),
    )
    kind = network(account.network).reply_kind
    prefix = reply_key_prefix(kind, entry)
    row = OutboxMessage(
        kind=kind,
        account_id=account.id,
        dedupe_key=f"{prefix}{_next_reply_number(prefix)}",
        idea_id=entry.idea_id,
        target=entry.post_id,
        lang=entry.lang,
        text=reply_text(cleaned, by),
        payload={"in_reply_to_tweet_id": entry.post_id, "listening": entry.id},
    )
    db.session.add(row)
    db.session.flush()
    return row


# --- convert to an idea ----------------------------------------------------------------------


def _mention_of(entry: MentionLog, account: SocialAccount) -> Mention:
    """The logged mention in the importer's shape (what the log kept of it)."""
    handle = entry.author_handle or ""
    return Mention(
        id=entry.post_id,
        text=entry.text,
        author_id=entry.author_remote_id or handle or entry.post_id,
        author_handle=handle,
        author_name=handle,
        created_at=entry.posted_at,
        lang=entry.lang,
        network=account.network,
        permalink=entry.post_url or "",
    )


def convert(entry: MentionLog, by: User, expected: str) -> Idea:
    """Make the mention an idea, as the importer would have with an idea tag: its author's
    identity, a title from its text, IdeaSubmitted, and the acknowledgement reply (when the
    account sends them). A held mention's idea is approved instead (approve_held_idea).

    Once only: the move to `converted` is a conditional UPDATE, and only its winner creates
    the idea."""
    account = db.session.get_one(SocialAccount, entry.account_id)
    now = utcnow()
    # The acknowledgement is the customer's first answer, when it is sent.
    values: dict[str, Any] = {"inbox_state": InboxState.CONVERTED.value, "now": now}
    if account.acknowledge:
        values["first_response_at"] = func.coalesce(MentionLog.first_response_at, now)
    _transition(entry, expected, CONVERT_FROM, by, **values)
    if entry.idea_id is not None:
        idea = db.session.get_one(Idea, entry.idea_id)
        if entry.outcome == MentionOutcome.HELD.value and idea.held:
            approve_held_idea(idea, by)
        return idea
    existing = db.session.scalar(
        select(Idea).where(Idea.source == account.network, Idea.source_post_id == entry.post_id)
    )
    if existing is not None:  # imported meanwhile (a later poll saw it with a tag)
        entry.idea_id = existing.id
        db.session.flush()
        return existing
    mention = _mention_of(entry, account)
    identity = identity_for(mention)
    title = title_from_text(mention.text, account.tag_list, mention.author_handle)
    idea = new_idea(account, mention, identity, title, now, held=False)
    entry.idea_id = idea.id
    publish(IdeaSubmitted(idea))
    if account.acknowledge:
        enqueue_ack(account, idea, entry.post_id, entry.lang, "imported")
    db.session.flush()
    return idea


# --- route, dismiss, reopen -----------------------------------------------------------------


def get_team(team_id: int | None) -> Team:
    """The team to route to (ValidationFailed for none or one that does not exist)."""
    team = db.session.get(Team, team_id) if team_id else None
    if team is None:
        raise ValidationFailed(_("Choose one of the teams."), field="team")
    return team


def route(entry: MentionLog, team: Team, by: User, expected: str) -> None:
    """Hand the mention to a team: it waits in the team's filter of the inbox."""
    _transition(
        entry, expected, ROUTE_FROM, by, inbox_state=InboxState.ROUTED.value, team_id=team.id
    )


def dismiss(entry: MentionLog, by: User, expected: str) -> None:
    """Close the mention: nothing to answer (chatter, spam, a thank-you)."""
    _transition(entry, expected, DISMISS_FROM, by, inbox_state=InboxState.DISMISSED.value)


def reopen(entry: MentionLog, by: User, expected: str) -> None:
    """Put a handled mention back in the open queue (its team and first response stay)."""
    _transition(entry, expected, REOPEN_FROM, by, inbox_state=InboxState.OPEN.value)


# --- the queue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxFilters:
    """What the inbox shows: one account (None: all), one class, one state, one team."""

    account_id: int | None = None
    label: str | None = None
    state: str = InboxState.OPEN.value
    team_id: int | None = None

    @classmethod
    def from_args(cls, args: Any) -> InboxFilters:
        """Read the query string; anything unknown is left out (never an error)."""

        def number(name: str) -> int | None:
            raw = str(args.get(name, "") or "")
            return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None

        label = args.get("label") or None
        state = args.get("state") or InboxState.OPEN.value
        return cls(
            account_id=number("account"),
            label=label if label in LABELS else None,
            state=state if state in STATES else InboxState.OPEN.value,
            team_id=number("team"),
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query string of these filters with changes (None leaves a filter out)."""
        values = {
            "account": self.account_id,
            "label": self.label,
            "state": self.state if self.state != InboxState.OPEN.value else None,
            "team": self.team_id,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v is not None}


AnySelect = Select[*tuple[Any, ...]]


def _filtered(query: AnySelect, filters: InboxFilters, *, state: bool = True) -> AnySelect:
    query = query.where(MentionLog.inbox_state.is_not(None))
    if state:
        query = query.where(MentionLog.inbox_state == filters.state)
    if filters.account_id is not None:
        query = query.where(MentionLog.account_id == filters.account_id)
    if filters.label is not None:
        query = query.where(MentionLog.label == filters.label)
    if filters.team_id is not None:
        query = query.where(MentionLog.team_id == filters.team_id)
    return query


def inbox_query(filters: InboxFilters) -> AnySelect:
    """The mentions the filters select, newest first."""
    return _filtered(select(MentionLog), filters).order_by(
        MentionLog.fetched_at.desc(), MentionLog.id.desc()
    )


def counts_by_account(filters: InboxFilters) -> dict[int, int]:
    """How many mentions each account has in the filters' state, class and team (the tabs)."""
    every_account = InboxFilters(None, filters.label, filters.state, filters.team_id)
    query = _filtered(select(MentionLog.account_id, func.count()), every_account)
    return {int(a): int(n) for a, n in db.session.execute(query.group_by(MentionLog.account_id))}


def counts_by_state(filters: InboxFilters) -> dict[str, int]:
    """How many mentions are in each state, for the filters' account, class and team."""
    query = _filtered(select(MentionLog.inbox_state, func.count()), filters, state=False)
    return {str(s): int(n) for s, n in db.session.execute(query.group_by(MentionLog.inbox_state))}


def open_count() -> int:
    """How many mentions wait in the listening inbox (every account)."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(MentionLog)
            .where(MentionLog.inbox_state == InboxState.OPEN.value)
        )
        or 0
    )


def when(entry: MentionLog) -> datetime:
    """When the customer posted it (when it was fetched, if the network did not say)."""
    return entry.posted_at or entry.fetched_at
