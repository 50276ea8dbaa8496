"""Turn tagged mentions into ideas (or votes). Services: they flush, the job commits.

Every fetched mention is written to the mention log with what happened to it, and the log's
unique (account, post) key makes processing idempotent: a mention seen twice — because of the
overlap window, a crash, or two accounts — is handled once.

The job hands over a page of mentions at a time (`process_page`): what the page needs to know
— which of its posts were logged before, their authors' identities, the imported ideas they
are or reply to — is read in a few queries, and each mention runs in a savepoint of the page's
transaction, so one that raises is rolled back alone and logged as failed.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import ColumnElement, func, or_, select, text, update
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError

from ..accounts.models import Role, User
from ..campaigns.models import Campaign
from ..campaigns.services import campaign_for_hashtags
from ..database import rows_matched, utcnow
from ..events import IdeaApproved, IdeaSubmitted, publish
from ..extensions import db
from ..i18n import supported_language
from ..ideas import services as ideas
from ..ideas.models import Idea, Vote
from ..ideas.ranking import hot_rank
from ..ideas.search import (
    FTS_DIRECT_LIMIT,
    TRIGRAM,
    _like_term,
    match_any,
    terms_of,
    text_overlap,
)
from ..listening.classify import classify
from ..outbox.models import OutboxMessage
from ..text import render_markdown, truncate
from ..triage.models import Stage
from ..urls import idea_url
from . import claims, matching
from .answers import answer_kind, enqueue_answer
from .compose import compose_ack
from .connectors import Mention
from .models import (
    INBOX_REASONS,
    OWN_POST_REASON,
    InboxState,
    MentionLog,
    MentionOutcome,
    Moderation,
    SocialAccount,
    SocialIdentity,
)
from .networks import limit_for, network

if TYPE_CHECKING:
    from .reply_templates import Wording

logger = logging.getLogger(__name__)

_LEADING_MENTIONS = re.compile(r"^(?:\s*@\w+)+")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|\n+")
CLEAR_MATCH = matching.CLEAR_MATCH  # share of key words an idea must contain (social/matching)
MATCH_CANDIDATES = 5
CAMPAIGN_CLOSED = "campaign closed"  # the skip reason of a post for a campaign after its deadline


@dataclass
class ImportResult:
    fetched: int = 0
    imported: int = 0
    held: int = 0
    voted: int = 0
    skipped: int = 0
    answered: int = 0
    failed: int = 0
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


@dataclass
class PageLookups:
    """What a page of mentions needs from the database, read at once (see process_page).

    `seen`: the page's posts already in the mention log; `identities`: its authors' identities
    by network user id; `ideas`: imported ideas by the post they came from, for the page's
    posts and the posts they reply to or quote. Mentions processed add what they create.
    """

    seen: set[str] = field(default_factory=set)
    identities: dict[str, SocialIdentity] = field(default_factory=dict)
    ideas: dict[str, Idea] = field(default_factory=dict)
    stage: Stage | None = None
    words: dict[tuple[str, str], Wording] = field(default_factory=dict)

    @classmethod
    def load(cls, account: SocialAccount, mentions: Iterable[Mention]) -> PageLookups:
        mentions = list(mentions)
        posts = {m.id for m in mentions}
        parents = {p for m in mentions for p in (m.replied_to, m.quoted) if p}
        authors = {m.author_id for m in mentions}
        seen = set(
            db.session.scalars(
                select(MentionLog.post_id).where(
                    MentionLog.account_id == account.id, MentionLog.post_id.in_(posts)
                )
            )
        )
        identities = {
            i.remote_user_id: i
            for i in db.session.scalars(
                select(SocialIdentity).where(
                    SocialIdentity.network == account.network,
                    SocialIdentity.remote_user_id.in_(authors),
                )
            )
        }
        ideas: dict[str, Idea] = {}
        for idea in db.session.scalars(
            select(Idea)
            .where(Idea.source == account.network, Idea.source_post_id.in_(posts | parents))
            .order_by(Idea.id.desc())  # the first imported wins, as scalar() found it
        ).unique():
            ideas[str(idea.source_post_id)] = idea
        return cls(seen=seen, identities=identities, ideas=ideas)

    def idea_from(self, post_id: str) -> Idea | None:
        return self.ideas.get(post_id)


def identity_for(mention: Mention, page: PageLookups | None = None) -> SocialIdentity:
    """Return the social author's identity, creating it and its shadow user the first time."""
    if page is not None:
        identity = page.identities.get(mention.author_id)
    else:
        identity = db.session.scalar(
            select(SocialIdentity).where(
                SocialIdentity.network == mention.network,
                SocialIdentity.remote_user_id == mention.author_id,
            )
        )
    if identity is not None:
        if mention.author_handle and identity.handle != mention.author_handle:
            identity.handle = mention.author_handle[:255]
        return identity
    local = re.sub(r"[^A-Za-z0-9._-]", "-", mention.author_id)[:200]
    user = User(
        email=f"{mention.network}-{local}@social.invalid",
        name=(mention.author_name or mention.author_handle or "social user")[:80],
        password_hash="!",  # noqa: S106 - not a hash at all: a shadow user cannot log in
        role=Role.CUSTOMER.value,
        active=False,
    )
    db.session.add(user)
    db.session.flush()
    identity = SocialIdentity(
        network=mention.network,
        remote_user_id=mention.author_id,
        handle=(mention.author_handle or mention.author_id)[:255],
        name=mention.author_name[:120],
        user_id=user.id,
    )
    db.session.add(identity)
    db.session.flush()
    if page is not None:
        page.identities[mention.author_id] = identity
    return identity


def enqueue_ack(
    account: SocialAccount, idea: Idea, post_id: str, lang: str | None, kind: str,
    *, again: str = "", page: PageLookups | None = None,
) -> None:  # fmt: skip
    """Queue the acknowledgement reply to post_id, linking idea (`again`: a second one's key).

    `page`: the page being imported, which keeps the wording it looked up."""
    lang = supported_language(lang, str(current_app.config["IDEABOARD_DEFAULT_LOCALE"]))
    from .reply_templates import wording

    if page is None:
        words = wording(f"ack_{kind}", "", lang, account.network)
    else:
        key = (f"ack_{kind}", lang)
        if key not in page.words:
            page.words[key] = wording(f"ack_{kind}", "", lang, account.network)
        words = page.words[key]
    text = compose_ack(
        kind,
        lang=lang,
        url=idea_url(idea) if words.include_link else "",
        signature=account.signature,
        template=words.text,
        limit=limit_for(account),
    )
    reply_kind = network(account.network).reply_kind
    db.session.add(
        OutboxMessage(
            kind=reply_kind,
            account_id=account.id,
            dedupe_key=f"{reply_kind}:ack:{account.id}:post:{post_id}{again}",
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
    opens_inbox = outcome is MentionOutcome.HELD or (
        outcome is MentionOutcome.SKIPPED and reason in INBOX_REASONS
    )
    db.session.add(
        MentionLog(
            account_id=account.id,
            post_id=mention.id,
            author_handle=mention.author_handle[:255],
            post_url=mention.url[:500],
            text=mention.text,
            posted_at=mention.created_at,
            outcome=outcome.value,
            reason=reason[:200],
            idea_id=idea.id if idea else None,
            author_remote_id=mention.author_id[:300] or None,
            lang=(mention.lang or "")[:8] or None,
            match_detail=match,
            label=classify(mention.text).label,
            inbox_state=InboxState.OPEN.value if opens_inbox else None,
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


def process_page(
    account: SocialAccount, mentions: list[Mention], now: datetime
) -> list[MentionOutcome | None]:
    """Process a page of mentions in the caller's transaction, one savepoint each.

    Returns each mention's outcome (None: handled before). A mention that raises is rolled
    back to its savepoint, logged as failed with the error, and the page goes on; a database
    that is gone or locked is not the mention's fault, and is raised (the caller rolls the
    page back and does it again later).
    """
    page = PageLookups.load(account, mentions)
    outcomes: list[MentionOutcome | None] = []
    for mention in mentions:
        if mention.id in page.seen:
            outcomes.append(None)
            continue
        try:
            with db.session.begin_nested():
                outcome = process_mention(account, mention, now, page=page)
        except Exception as error:
            if _database_trouble(error):
                raise
            logger.exception("mention %s of @%s failed", mention.id, account.username)
            outcome = _log_failure(account, mention, error)
            page = PageLookups.load(account, mentions)  # it may hold what was rolled back
        page.seen.add(mention.id)
        outcomes.append(outcome)
    return outcomes


def _database_trouble(error: BaseException) -> bool:
    """A lost connection or a locked database: the page is redone, no mention is to blame."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, OperationalError | InterfaceError | DisconnectionError)


def _log_failure(
    account: SocialAccount, mention: Mention, error: Exception
) -> MentionOutcome | None:
    """Log the mention as failed (in a savepoint too: the mention's own text may be what
    the database refused); None when even that fails, and the mention is left for a later
    poll."""
    original = getattr(error, "orig", None) or error
    first = (str(original).strip().splitlines() or [""])[0]
    reason = f"failed: {type(original).__name__}: {first}"
    try:
        with db.session.begin_nested():
            return _log(account, mention, MentionOutcome.FAILED, reason)
    except Exception as again:
        if _database_trouble(again):
            raise
        logger.exception("mention %s of @%s could not be logged", mention.id, account.username)
        return None


def process_mention(
    account: SocialAccount,
    mention: Mention,
    now: datetime,
    *,
    page: PageLookups | None = None,
) -> MentionOutcome | None:
    """Import, vote or skip one mention and log it; None if it was handled before.

    `page`: what process_page read for the mention's page (else it is looked up here).
    """
    if page is None:
        seen = db.session.scalar(
            select(MentionLog.id).where(
                MentionLog.account_id == account.id, MentionLog.post_id == mention.id
            )
        )
        if seen is not None:
            return None
    # A claim code ("@brand claim IB-XXXX-XXXX", social/claims.py): never an idea, never in
    # the listening inbox; the log says whether it linked the author's identity and why not.
    if mention.author_id != account.remote_user_id and not mention.is_retweet:
        claimed = claims.claim_from_mention(account, mention, now, page)
        if claimed is not None:
            return _log(account, mention, MentionOutcome.SKIPPED, claimed)
    skipped = _skip_reason(account, mention, page)
    if skipped is not None:
        reason, idea = skipped
        return _log(account, mention, MentionOutcome.SKIPPED, reason, idea)
    identity = identity_for(mention, page)
    outcome = _vote_on_parent(account, mention, identity, page)
    if outcome is not None:
        return outcome
    title = title_from_text(mention.text, account.tag_list, mention.author_handle)
    outcome = _vote_on_match(account, mention, identity, title, page)
    if outcome is not None:
        return outcome
    return _import_idea(account, mention, identity, title, now, page)


def _imported_from(post_id: str, page: PageLookups | None, source: str) -> Idea | None:
    """The idea imported from post_id (a post on the network `source`), if any."""
    if page is not None:
        return page.ideas.get(post_id)
    return db.session.scalar(
        select(Idea).where(Idea.source == source, Idea.source_post_id == post_id)
    )


def _skip_reason(
    account: SocialAccount, mention: Mention, page: PageLookups | None = None
) -> tuple[str, Idea | None] | None:
    """Why the mention is not for the importer (and the idea it already is), or None."""
    if mention.author_id == account.remote_user_id:
        return OWN_POST_REASON, None
    if mention.is_retweet:
        return "a retweet", None
    # A campaign's hashtag is an idea tag while it is open (campaigns/, docs/campaigns.md).
    campaign = _campaign_of(mention)
    if campaign is None and not matching_tags(mention, account.tag_list):
        return "no idea tag", None
    existing = _imported_from(mention.id, page, mention.network)
    if existing is not None:
        return "already imported", existing
    if campaign is not None and campaign.closes_at <= _posted_at(mention):
        return CAMPAIGN_CLOSED, None
    return None


def _posted_at(mention: Mention) -> datetime:
    """When the post was made (never later than now): a campaign's deadline is checked
    against it, so a post made in time still counts when it is fetched late."""
    now = utcnow()
    return min(mention.created_at, now) if mention.created_at else now


def _campaign_of(mention: Mention) -> Campaign | None:
    """The campaign one of the post's hashtags names when it was posted (open or closed)."""
    return campaign_for_hashtags(list(mention.hashtags), _posted_at(mention))


def _vote_on_parent(
    account: SocialAccount,
    mention: Mention,
    identity: SocialIdentity,
    page: PageLookups | None = None,
) -> MentionOutcome | None:
    """A reply to (or quote of) an imported idea's post is a vote on that idea."""
    for parent_id in (mention.replied_to, mention.quoted):
        if not parent_id:
            continue
        parent = _imported_from(parent_id, page, mention.network)
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
    for candidate in _candidates(mention.terms):
        match = matching.compare(mention, candidate.id, candidate.title, candidate.body)
        if not match.clear:
            continue
        idea, hops = db.session.get_one(Idea, candidate.id), 0
        while idea.merged_into is not None and hops < 5:  # follow a merge to its target
            idea, hops = idea.merged_into, hops + 1
        found.append((match, idea))
    found.sort(key=lambda pair: (-pair[0].score, -pair[0].coverage))
    return found


@dataclass(frozen=True)
class _Candidate:
    id: int
    title: str
    body: str
    hot: float


def _candidates(terms: tuple[str, ...]) -> list[_Candidate]:
    """The visible ideas worth comparing with a mention's key words, the closest first.

    The board's similar-ideas rule (ideas/queries.py:similar_ideas: the 50 hottest ideas
    holding any of the words, ranked by how many they hold, title words double), read as
    plain columns: no Idea objects with their stage, category and author are built for the
    many candidates that do not match.
    """
    search_terms = [t for t in terms_of(" ".join(terms)) if len(t) >= 2]
    condition = _holding_any(search_terms)
    if condition is None:
        return []
    rows = db.session.execute(
        select(Idea.id, Idea.title, Idea.body, Idea.hot)
        .where(Idea.hidden_at.is_(None), condition)
        .order_by(Idea.hot.desc())
        .limit(50)
    ).all()
    scored = [(text_overlap(search_terms, row.title, row.body), row) for row in rows]
    scored = [pair for pair in scored if pair[0] >= 0.34 or len(search_terms) == 1]
    scored.sort(key=lambda pair: (-pair[0], -pair[1].hot))
    return [
        _Candidate(row.id, row.title, row.body, row.hot)
        for _score, row in scored[:MATCH_CANDIDATES]
    ]


def _holding_any(terms: list[str]) -> ColumnElement[bool] | None:
    """ideas.search.match_any's condition (an idea holding any of the terms), in the shape
    SQLite runs fastest for the importer's 50 hottest.

    match_any reads up to 1,001 FTS matches into Python to choose between an id list and a
    walk of the hot index; here SQLite counts them itself and gets the same FTS query as a
    subquery either way: by id when there are few matches, else (`id + 0`) walking Trending's
    index until 50 hold a term. The same rows, without the round trip of the ids.
    """
    if not terms or db.engine.dialect.name != "sqlite":
        return match_any(terms)
    long_terms = [t for t in terms if len(t) >= TRIGRAM]
    conditions = [_like_term(t) for t in terms if len(t) < TRIGRAM]
    if long_terms:
        expression = " OR ".join('"' + t.replace('"', '""') + '"' for t in long_terms)
        matches = (
            select(text("rowid"))
            .select_from(text("idea_fts"))
            .where(text("idea_fts MATCH :fts").bindparams(fts=expression))
        )
        few = select(func.count()).select_from(matches.limit(FTS_DIRECT_LIMIT + 1).subquery())
        if int(db.session.scalar(few) or 0) <= FTS_DIRECT_LIMIT:
            conditions.insert(0, Idea.id.in_(matches))
        else:
            conditions.insert(0, (Idea.id + 0).in_(matches))
    return or_(*conditions)


def _vote_on_match(
    account: SocialAccount,
    mention: Mention,
    identity: SocialIdentity,
    title: str,
    page: PageLookups | None = None,
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
                enqueue_ack(account, candidate, mention.id, mention.lang, "matched", page=page)
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
    page: PageLookups | None = None,
) -> MentionOutcome:
    """Create the idea (held, if the account moderates), announce and acknowledge it."""
    held = account.moderation == Moderation.HOLD.value
    if page is not None and page.stage is None:
        page.stage = ideas.default_stage()
    stage = page.stage if page is not None else None
    idea = new_idea(account, mention, identity, title, now, held=held, stage=stage)
    if page is not None:
        page.ideas.setdefault(mention.id, idea)
    if held:
        return _log(account, mention, MentionOutcome.HELD, "held for approval", idea)
    publish(IdeaSubmitted(idea))  # held ideas are announced when approved
    if account.acknowledge:
        enqueue_ack(account, idea, mention.id, mention.lang, "imported", page=page)
    return _log(account, mention, MentionOutcome.IMPORTED, "new idea", idea)


def new_idea(
    account: SocialAccount,
    mention: Mention,
    identity: SocialIdentity,
    title: str,
    now: datetime,
    *,
    held: bool,
    stage: Stage | None = None,
) -> Idea:
    """Add and flush the idea made from the mention (not announced, not acknowledged).

    `stage`: the stage new ideas start in, when the caller has it at hand."""
    created = mention.created_at or now
    body = unicodedata.normalize("NFC", mention.text)
    campaign = _campaign_of(mention)
    if campaign is not None and campaign.closes_at <= _posted_at(mention):
        campaign = None
    if campaign is not None:  # its hashtag is a tag too: not part of the title
        title = title_from_text(
            mention.text, [*account.tag_list, campaign.hashtag], mention.author_handle
        )
    idea = Idea(
        title=title,
        body=body,
        body_html=render_markdown(body),
        stage=stage or ideas.default_stage(),
        author_id=identity.user_id,
        source=mention.network,
        source_url=mention.url,
        source_author_name=(mention.author_name or mention.author_handle)[:120],
        source_author_handle=mention.author_handle[:255],
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
        campaign=campaign,
        category=campaign.category if campaign is not None else None,
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
    # Its post leaves the listening inbox: approving it is the staff's answer.
    db.session.execute(
        update(MentionLog)
        .where(
            MentionLog.idea_id == idea.id,
            MentionLog.outcome == MentionOutcome.HELD.value,
            MentionLog.inbox_state == InboxState.OPEN.value,
        )
        .values(inbox_state=InboxState.CONVERTED.value, handled_at=utcnow(), handled_by_id=by.id)
    )
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
