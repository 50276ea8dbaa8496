"""Turn tagged mentions into ideas (or votes). Services: they flush, the job commits.

Every fetched mention is written to the mention log with what happened to it, and the log's
unique (account, post) key makes processing idempotent: a mention seen twice — because of the
overlap window, a crash, or two accounts — is handled once.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from ..accounts.models import Role, User
from ..database import rows_matched
from ..events import IdeaApproved, IdeaSubmitted, publish
from ..extensions import db
from ..i18n import supported_language
from ..ideas import services as ideas
from ..ideas.models import Idea, Source, Vote
from ..ideas.queries import similar_ideas
from ..ideas.ranking import hot_rank
from ..outbox.models import OutboxKind, OutboxMessage
from ..text import render_markdown, truncate
from ..urls import idea_url
from . import matching
from .answers import answer_kind, enqueue_answer
from .compose import compose_ack
from .connectors import Mention
from .models import MentionLog, MentionOutcome, Moderation, SocialAccount, SocialIdentity

_LEADING_MENTIONS = re.compile(r"^(?:\s*@\w+)+")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|\n+")
CLEAR_MATCH = matching.CLEAR_MATCH  # share of key words an idea must contain (social/matching)
MATCH_CANDIDATES = 5


@dataclass
class ImportResult:
    fetched: int = 0
    imported: int = 0
    held: int = 0
    voted: int = 0
    skipped: int = 0
    answered: int = 0
    already_seen: int = 0

    def add(self, outcome: MentionOutcome | None) -> None:
        self.fetched += 1
        if outcome is None:
            self.already_seen += 1
        else:
            setattr(self, outcome.value, getattr(self, outcome.value) + 1)


def _fold(tag: str) -> str:
    return unicodedata.normalize("NFC", tag.lstrip("#")).casefold()


def matching_tags(mention: Mention, tags: list[str]) -> bool:
    """Tell whether one of the account's tags is among the post's hashtags (any case)."""
    wanted = {_fold(t) for t in tags}
    return any(_fold(h) in wanted for h in mention.hashtags)


def title_from_text(text: str, tags: list[str], handle: str) -> str:
    """Make an idea title: no leading @mentions or idea tags, first sentence, ≤ 140 chars."""
    text = unicodedata.normalize("NFC", text)
    text = _LEADING_MENTIONS.sub("", text)
    for tag in tags:
        text = re.sub(rf"#{re.escape(tag.lstrip('#'))}(?!\w)", "", text, flags=re.IGNORECASE)
    text = re.sub(r"https?://\S+", "", text)
    text = " ".join(text.split())
    first = _SENTENCE_END.split(text, maxsplit=1)[0].strip()
    title = first if len(first) >= ideas.TITLE_MIN else text
    title = truncate(title, ideas.TITLE_MAX, max_code_points=ideas.TITLE_STORED_MAX)
    if len(title) < ideas.TITLE_MIN:
        title = f"Idea from @{handle}" if handle else "Idea from X"
    return title


def identity_for(mention: Mention) -> SocialIdentity:
    """Return the social author's identity, creating it and its shadow user the first time."""
    identity = db.session.scalar(
        select(SocialIdentity).where(
            SocialIdentity.network == "x", SocialIdentity.remote_user_id == mention.author_id
        )
    )
    if identity is not None:
        if mention.author_handle and identity.handle != mention.author_handle:
            identity.handle = mention.author_handle
        return identity
    user = User(
        email=f"x-{mention.author_id}@social.invalid",
        name=(mention.author_name or mention.author_handle or "X user")[:80],
        password_hash="!",  # noqa: S106 - not a hash at all: a shadow user cannot log in
        role=Role.CUSTOMER.value,
        active=False,
    )
    db.session.add(user)
    db.session.flush()
    identity = SocialIdentity(
        network="x",
        remote_user_id=mention.author_id,
        handle=mention.author_handle or mention.author_id,
        name=mention.author_name,
        user_id=user.id,
    )
    db.session.add(identity)
    db.session.flush()
    return identity


def enqueue_ack(
    account: SocialAccount, idea: Idea, post_id: str, lang: str | None, kind: str,
    *, again: str = "",
) -> None:  # fmt: skip
    """Queue the acknowledgement reply to post_id, linking idea (`again`: a second one's key)."""
    lang = supported_language(lang, str(current_app.config["IDEABOARD_DEFAULT_LOCALE"]))
    from .reply_templates import wording

    words = wording(f"ack_{kind}", "", lang)
    text = compose_ack(
        kind,
        lang=lang,
        url=idea_url(idea) if words.include_link else "",
        signature=account.signature,
        template=words.text,
    )
    db.session.add(
        OutboxMessage(
            kind=OutboxKind.X_REPLY.value,
            account_id=account.id,
            dedupe_key=f"x_reply:ack:{account.id}:post:{post_id}{again}",
            idea_id=idea.id,
            target=post_id,
            lang=lang,
            text=text,
            payload={"in_reply_to_tweet_id": post_id, "ack": kind},
        )
    )


def _log(
    account: SocialAccount,
    mention: Mention,
    outcome: MentionOutcome,
    reason: str,
    idea: Idea | None = None,
    match: dict[str, Any] | None = None,
) -> MentionOutcome:
    db.session.add(
        MentionLog(
            account_id=account.id,
            post_id=mention.id,
            author_handle=mention.author_handle[:60],
            text=mention.text,
            posted_at=mention.created_at,
            outcome=outcome.value,
            reason=reason[:200],
            idea_id=idea.id if idea else None,
            author_remote_id=mention.author_id[:40] or None,
            lang=(mention.lang or "")[:8] or None,
            match_detail=match,
        )
    )
    db.session.flush()
    return outcome


def _vote(identity: SocialIdentity, idea: Idea) -> bool:
    voter = db.session.get(User, identity.user_id)
    if voter is None or not idea.voting_open:
        return False
    ideas.cast_vote(voter, idea, 1, imported=True)
    return True


def process_mention(
    account: SocialAccount, mention: Mention, now: datetime
) -> MentionOutcome | None:
    """Import, vote or skip one mention and log it; None if it was handled before."""
    seen = db.session.scalar(
        select(MentionLog.id).where(
            MentionLog.account_id == account.id, MentionLog.post_id == mention.id
        )
    )
    if seen is not None:
        return None
    skipped = _skip_reason(account, mention)
    if skipped is not None:
        reason, idea = skipped
        return _log(account, mention, MentionOutcome.SKIPPED, reason, idea)
    identity = identity_for(mention)
    outcome = _vote_on_parent(account, mention, identity)
    if outcome is not None:
        return outcome
    title = title_from_text(mention.text, account.tag_list, mention.author_handle)
    outcome = _vote_on_match(account, mention, identity, title)
    if outcome is not None:
        return outcome
    return _import_idea(account, mention, identity, title, now)


def _skip_reason(account: SocialAccount, mention: Mention) -> tuple[str, Idea | None] | None:
    """Why the mention is not for the importer (and the idea it already is), or None."""
    if mention.author_id == account.remote_user_id:
        return "the account's own post", None
    if mention.is_retweet:
        return "a retweet", None
    if not matching_tags(mention, account.tag_list):
        return "no idea tag", None
    existing = db.session.scalar(
        select(Idea).where(Idea.source == Source.X.value, Idea.source_post_id == mention.id)
    )
    if existing is not None:
        return "already imported", existing
    return None


def _vote_on_parent(
    account: SocialAccount, mention: Mention, identity: SocialIdentity
) -> MentionOutcome | None:
    """A reply to (or quote of) an imported idea's post is a vote on that idea."""
    for parent_id in (mention.replied_to, mention.quoted):
        if not parent_id:
            continue
        parent = db.session.scalar(
            select(Idea).where(Idea.source == Source.X.value, Idea.source_post_id == parent_id)
        )
        if parent is not None:
            if _vote(identity, parent):
                return _log(
                    account, mention, MentionOutcome.VOTED, f"reply to idea #{parent.id}", parent
                )
            return _log(
                account, mention, MentionOutcome.SKIPPED, f"voting closed on #{parent.id}", parent
            )
    return None


def best_matches(title: str) -> list[tuple[matching.Match, Idea]]:
    """Return the visible ideas the title clearly repeats, best first, with why they match.

    A match on an idea merged into another counts for the idea it was merged into.
    """
    mention = matching.key_terms(title)
    if len(mention.terms) < matching.MIN_TERMS:
        return []
    found: list[tuple[matching.Match, Idea]] = []
    for candidate in similar_ideas(" ".join(mention.terms), limit=MATCH_CANDIDATES):
        match = matching.compare(mention, candidate.id, candidate.title, candidate.body)
        if not match.clear:
            continue
        idea, hops = candidate, 0
        while idea.merged_into is not None and hops < 5:  # follow a merge to its target
            idea, hops = idea.merged_into, hops + 1
        found.append((match, idea))
    found.sort(key=lambda pair: (-pair[0].score, -pair[0].coverage))
    return found


def _vote_on_match(
    account: SocialAccount, mention: Mention, identity: SocialIdentity, title: str
) -> MentionOutcome | None:
    """A mention that clearly repeats an existing idea is a vote on it, acknowledged.

    A repeat of a launched idea is told it is live, one of a declined idea gets the decline
    note; neither creates an idea or a vote. Why it matched is kept on the mention log.
    """
    for match, candidate in best_matches(title):
        detail = match.detail()
        if candidate.id != match.idea_id:
            detail["via"], detail["idea_id"] = match.idea_id, candidate.id
        kind = answer_kind(candidate)
        if kind is not None and candidate.hidden_at is None:
            if account.acknowledge:
                enqueue_answer(account, candidate, kind, mention.id, mention.lang)
            reason = f"{kind} as idea #{candidate.id}"
            return _log(account, mention, MentionOutcome.ANSWERED, reason, candidate, detail)
        before = db.session.scalar(
            select(Vote.value).where(Vote.user_id == identity.user_id, Vote.idea_id == candidate.id)
        )
        if _vote(identity, candidate):
            detail["new_vote"] = before != 1  # an undo takes back only a vote the match cast
            if account.acknowledge:
                enqueue_ack(account, candidate, mention.id, mention.lang, "matched")
            return _log(
                account, mention, MentionOutcome.VOTED, f"matches idea #{candidate.id}",
                candidate, detail,
            )  # fmt: skip
    return None


def _import_idea(
    account: SocialAccount,
    mention: Mention,
    identity: SocialIdentity,
    title: str,
    now: datetime,
) -> MentionOutcome:
    """Create the idea (held, if the account moderates), announce and acknowledge it."""
    held = account.moderation == Moderation.HOLD.value
    idea = new_idea(account, mention, identity, title, now, held=held)
    if held:
        return _log(account, mention, MentionOutcome.HELD, "held for approval", idea)
    publish(IdeaSubmitted(idea))  # held ideas are announced when approved
    if account.acknowledge:
        enqueue_ack(account, idea, mention.id, mention.lang, "imported")
    return _log(account, mention, MentionOutcome.IMPORTED, "new idea", idea)


def new_idea(
    account: SocialAccount,
    mention: Mention,
    identity: SocialIdentity,
    title: str,
    now: datetime,
    *,
    held: bool,
) -> Idea:
    """Add and flush the idea made from the mention (not announced, not acknowledged)."""
    created = mention.created_at or now
    body = unicodedata.normalize("NFC", mention.text)
    idea = Idea(
        title=title,
        body=body,
        body_html=render_markdown(body),
        stage=ideas.default_stage(),
        author_id=identity.user_id,
        source=Source.X.value,
        source_url=mention.url,
        source_author_name=mention.author_name or mention.author_handle,
        source_author_handle=mention.author_handle,
        source_post_id=mention.id,
        source_lang=mention.lang,
        source_account_id=account.id,
        created_at=created,
        updated_at=created,
        last_activity_at=created,
        hot=hot_rank(0, created),
        held=held,
        hidden_at=now if held else None,
        hidden_reason="held for approval" if held else None,
    )
    db.session.add(idea)
    db.session.flush()
    return idea


def approve_held_idea(idea: Idea, by: User) -> None:
    """Publish an idea an account held for moderation, and send its acknowledgement."""
    from ..triage.services import _require_staff

    _require_staff(by)
    if not idea.held:
        return
    idea.held = False
    idea.hidden_at = None
    idea.hidden_reason = None
    publish(IdeaApproved(idea, by))
    account = (
        db.session.get(SocialAccount, idea.source_account_id) if idea.source_account_id else None
    )
    if account is not None and account.acknowledge and idea.source_post_id:
        enqueue_ack(account, idea, idea.source_post_id, idea.source_lang, "imported")
    db.session.flush()


def acquire_lease(account_id: int, owner: str, now: datetime, until: datetime) -> bool:
    """Take the account's import lease unless another worker holds a live one."""
    result = db.session.execute(
        update(SocialAccount)
        .where(
            SocialAccount.id == account_id,
            (SocialAccount.lease_until.is_(None))
            | (SocialAccount.lease_until < now)
            | (SocialAccount.lease_owner == owner),
        )
        .values(lease_owner=owner, lease_until=until)
    )
    return bool(rows_matched(result))


def release_lease(account_id: int, owner: str) -> None:
    """Give the lease back."""
    db.session.execute(
        update(SocialAccount)
        .where(SocialAccount.id == account_id, SocialAccount.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )
