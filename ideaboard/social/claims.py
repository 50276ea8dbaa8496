"""Claim your posts: a customer links their X, Bluesky or Mastodon handle to their account.

No OAuth: the customer asks for a one-time code on their profile, posts
"@brand claim IB-XXXX-XXXX" from the handle they named, and the importer, seeing a valid
code from that author, links the social identity to the account (`claim_from_mention`).
Everything the identity's shadow user had — its ideas, votes, follows, comments,
notifications — moves to the customer, with at most one vote per idea (the customer's own
site vote wins), the ideas' counts are recounted from the vote rows, and the shadow user,
then empty, is deleted. docs/claims.md explains the flow and the security reasoning.

Services: they flush, never commit; the profile's views and the import job commit.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select, update

from ..accounts.blocking import ensure_may_contribute
from ..accounts.erasure import recount
from ..accounts.models import Role, User
from ..database import rows_matched, table_of, utcnow
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..ideas.models import Comment, Follow, Idea, IdeaRevision, Notification, Vote
from .connectors import Mention
from .models import ClaimCode, SocialAccount, SocialIdentity

if TYPE_CHECKING:
    from .importer import PageLookups

logger = logging.getLogger(__name__)

CODE_TTL = timedelta(hours=24)
MAX_OPEN_CODES = 3  # per customer: one per handle they are linking, a few at most
# No 0/O, 1/I/L or U: nothing a reader can mistake for another character (Crockford's idea).
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS, GROUP_SIZE = 2, 4  # IB-XXXX-XXXX: 30^8 ≈ 6.6e11 codes (39 bits)
PREFIX = "IB"
# In a post: "IB-7K3Q-9ZP2", any case, any dash (NFKC folds full-width forms first).
CODE_IN_TEXT = re.compile(
    rf"(?<![A-Za-z0-9]){PREFIX}[-‐‑‒–—―−]([A-Za-z0-9]{{{GROUP_SIZE}}})"
    rf"[-‐‑‒–—―−]([A-Za-z0-9]{{{GROUP_SIZE}}})(?![A-Za-z0-9])",
    re.IGNORECASE,
)
CLAIM_WORD = re.compile(r"(?<![A-Za-z])claim(?![A-Za-z])", re.IGNORECASE)
SHADOW_DOMAIN = "@social.invalid"

# What a handle looks like on each network (without the leading @), and its longest form.
_X_HANDLE = re.compile(r"[A-Za-z0-9_]{1,15}")
_DOMAIN_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_BLUESKY_HANDLE = re.compile(rf"(?:{_DOMAIN_LABEL}\.)+[a-z][a-z0-9-]{{0,62}}")
_MASTODON_HANDLE = re.compile(rf"[A-Za-z0-9_]{{1,30}}@(?:{_DOMAIN_LABEL}\.)+[a-z][a-z0-9-]{{0,62}}")
NETWORK_CHOICES = ("x", "bluesky", "mastodon")


@dataclass(frozen=True)
class IssuedCode:
    """A new code: the row (hash only) and the code itself, to show once."""

    row: ClaimCode
    code: str
    text_to_post: str


def hash_code(code: str) -> str:
    """The SHA-256 of a code in its canonical form (what is stored and looked up)."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def new_code() -> str:
    """A fresh random code such as IB-7K3Q-9ZP2."""
    groups = ["".join(secrets.choice(ALPHABET) for _ in range(GROUP_SIZE)) for _ in range(GROUPS)]
    return "-".join([PREFIX, *groups])


def codes_in(text: str) -> list[str]:
    """The codes a post's text carries, in canonical form (upper case, ASCII dashes)."""
    folded = unicodedata.normalize("NFKC", text)
    return [f"{PREFIX}-{a.upper()}-{b.upper()}" for a, b in CODE_IN_TEXT.findall(folded)]


def fold_handle(handle: str) -> str:
    """A handle as compared: NFKC, case-folded, without a leading @."""
    return unicodedata.normalize("NFKC", handle).strip().lstrip("@").casefold()


def clean_handle(network: str, raw: str) -> str:
    """Check a handle typed for network and return it without the @ (ValidationFailed).

    Bluesky handles are domain names: one written in Korean (민수.한국) is stored in its
    ASCII form (xn--…), which is what the network reports as the author's handle.
    """
    handle = unicodedata.normalize("NFKC", raw or "").strip().lstrip("@").strip()
    if network not in NETWORK_CHOICES:
        raise ValidationFailed(_("Choose one of the listed networks."), field="network")
    if not handle:
        raise ValidationFailed(_("Enter your handle."), field="handle")
    if len(handle) > 255:
        raise ValidationFailed(_("That handle is too long."), field="handle")
    if network == "x":
        if not _X_HANDLE.fullmatch(handle):
            raise ValidationFailed(
                _("An X handle has 1 to 15 letters, digits or underscores, e.g. @hanbit_fan."),
                field="handle",
            )
        return handle
    if network == "bluesky":
        try:
            ascii_handle = handle.encode("idna").decode("ascii").lower()
        except UnicodeError:
            ascii_handle = ""
        if len(ascii_handle) > 253 or not _BLUESKY_HANDLE.fullmatch(ascii_handle):
            raise ValidationFailed(
                _("A Bluesky handle is a domain name, e.g. minsu.bsky.social."), field="handle"
            )
        return ascii_handle
    user, _at, domain = handle.partition("@")
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower() if domain else ""
    except UnicodeError:
        ascii_domain = ""
    full = f"{user}@{ascii_domain}"
    if not ascii_domain or len(full) > 255 or not _MASTODON_HANDLE.fullmatch(full):
        raise ValidationFailed(
            _("A Mastodon handle names its server too, e.g. minsu@mastodon.social."),
            field="handle",
        )
    return full


def display_handle(handle: str) -> str:
    """A handle for people: a domain written in xn--… shown in its own script (Korean)."""
    user, at, domain = handle.rpartition("@") if "@" in handle else ("", "", handle)
    if "xn--" not in domain:
        return handle
    try:
        shown = domain.encode("ascii").decode("idna")
    except UnicodeError:
        return handle
    return f"{user}{at}{shown}"


def brand_handle(network: str) -> str | None:
    """The brand account customers mention on network (the first active one), with @.

    On Mastodon it is the full @name@instance: a customer on another server who posts
    "@hanbit" would mention someone on their own server, not the brand.
    """
    account = db.session.scalars(
        select(SocialAccount)
        .where(SocialAccount.network == network, SocialAccount.active.is_(True))
        .order_by(SocialAccount.id)
        .limit(1)
    ).first()
    if account is None or not account.username:
        return None
    username = account.username.lstrip("@")
    if network == "mastodon" and "@" not in username:
        host = _mastodon_host(account)
        if host:
            username = f"{username}@{host}"
    return f"@{username}"


def _mastodon_host(account: SocialAccount) -> str | None:
    """The domain of the instance a Mastodon brand account lives on (None if unknown, and
    for the built-in sandbox, where every account is local and "@name" reaches the brand)."""
    from .jobs import mastodon_instance, sandbox_url

    try:
        url = mastodon_instance(account)
    except RuntimeError:  # a misconfigured instance URL: the connector reports it
        url = account.service_url
    if current_app.config.get("IDEABOARD_MASTODON_SANDBOX") and url == sandbox_url("mastodon"):
        return None
    host = urlsplit(url or "").hostname
    return host.lower() if host else None


def connected_networks() -> list[str]:
    """The networks a brand account is active on, in the order of NETWORK_CHOICES."""
    found = set(
        db.session.scalars(
            select(SocialAccount.network).where(SocialAccount.active.is_(True)).distinct()
        )
    )
    return [slug for slug in NETWORK_CHOICES if slug in found]


def text_to_post(network: str, code: str) -> str:
    """The exact post that claims the handle: "@brand claim IB-XXXX-XXXX"."""
    brand = brand_handle(network) or "@"
    return f"{brand} claim {code}"


def open_codes(user: User, now: datetime | None = None) -> list[ClaimCode]:
    """The user's codes that can still be used, newest first."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(ClaimCode)
            .where(
                ClaimCode.user_id == user.id,
                ClaimCode.used_at.is_(None),
                ClaimCode.revoked_at.is_(None),
                ClaimCode.expires_at > now,
            )
            .order_by(ClaimCode.created_at.desc(), ClaimCode.id.desc())
        )
    )


def linked_identities(user: User) -> list[SocialIdentity]:
    """The social identities the user claimed, by network and handle."""
    return list(
        db.session.scalars(
            select(SocialIdentity)
            .where(SocialIdentity.user_id == user.id, SocialIdentity.linked_at.is_not(None))
            .order_by(SocialIdentity.network, SocialIdentity.handle)
        )
    )


def issue_code(
    user: User, network: str, raw_handle: str, now: datetime | None = None
) -> IssuedCode:
    """Give user a code to post from the handle on network; a newer code for the same
    handle revokes the older one. Refused: a shadow or blocked user, too many open codes,
    a handle already linked (to this user or to another)."""
    now = now or utcnow()
    if not user.active or user.email.endswith(SHADOW_DOMAIN):
        raise ValidationFailed(_("Sign in to link a social account."), field="handle")
    ensure_may_contribute(user)  # a blocked customer's posts would vote past the block
    handle = clean_handle(network, raw_handle)
    folded = fold_handle(handle)
    if brand_handle(network) is None:
        raise ValidationFailed(
            _("This site is not connected to that network yet."), field="network"
        )
    known = db.session.scalar(
        select(SocialIdentity).where(
            SocialIdentity.network == network, func.lower(SocialIdentity.handle) == folded
        )
    )
    if known is not None and known.is_linked:
        if known.user_id == user.id:
            raise Conflict(_("That handle is already linked to your account."), field="handle")
        raise Conflict(
            _("That handle is already linked to another account on this site."), field="handle"
        )
    # A new code for the same handle replaces the old one ("new code").
    db.session.execute(
        update(ClaimCode)
        .where(
            ClaimCode.user_id == user.id,
            ClaimCode.network == network,
            ClaimCode.handle_folded == folded,
            ClaimCode.used_at.is_(None),
            ClaimCode.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    if len(open_codes(user, now)) >= MAX_OPEN_CODES:
        raise Conflict(
            _(
                "You have %(n)d codes waiting to be posted: post one, or ask for a new code "
                "for one of those handles.",
                n=MAX_OPEN_CODES,
            ),
            field="handle",
        )
    code = new_code()
    row = ClaimCode(
        user_id=user.id,
        network=network,
        handle=handle,
        handle_folded=folded,
        expected_remote_id=known.remote_user_id if known is not None else None,
        code_hash=hash_code(code),
        created_at=now,
        expires_at=now + CODE_TTL,
    )
    db.session.add(row)
    db.session.flush()
    return IssuedCode(row, code, text_to_post(network, code))


def revoke_code(user: User, code_id: int, now: datetime | None = None) -> None:
    """Revoke one of user's open codes (NotFound for anyone else's)."""
    row = db.session.get(ClaimCode, code_id)
    if row is None or row.user_id != user.id:
        raise NotFound(_("No such code."))
    if row.used_at is None and row.revoked_at is None:
        row.revoked_at = now or utcnow()
        db.session.flush()


def renew_code(user: User, code_id: int, now: datetime | None = None) -> IssuedCode:
    """Issue a new code for the handle of one of user's codes (the old one is revoked)."""
    row = db.session.get(ClaimCode, code_id)
    if row is None or row.user_id != user.id:
        raise NotFound(_("No such code."))
    return issue_code(user, row.network, row.handle, now)


# --- the importer's side -----------------------------------------------------------------------


def claim_from_mention(
    account: SocialAccount, mention: Mention, now: datetime, page: PageLookups | None = None
) -> str | None:
    """If the mention carries a claim code, act on it and say what happened (the mention
    log's reason, "claim code: …"); None for a mention without one.

    The code links only when it is open (not used, revoked or expired), was issued for this
    network, and the post's author is the handle it was issued for (the person, by network
    user id, when the site knew them at issue time). It is used once: a conditional UPDATE,
    so of two workers that see it, one wins.
    """
    found = codes_in(mention.text)
    if not found:
        return None
    rows = list(
        db.session.scalars(
            select(ClaimCode).where(ClaimCode.code_hash.in_([hash_code(c) for c in found]))
        )
    )
    if not rows:
        # A customer's order or ticket number can look like a code: without "claim" in the
        # post it is an ordinary mention (an idea, a question for the inbox…).
        if not CLAIM_WORD.search(unicodedata.normalize("NFKC", mention.text)):
            return None
        return _refused(mention, "unknown code")
    row = rows[0]
    if row.used_at is not None:
        return _refused(mention, "code already used")
    if row.revoked_at is not None:
        return _refused(mention, "code replaced by a newer one")
    if row.expires_at <= now:
        return _refused(mention, "code expired")
    if row.network != mention.network:
        return _refused(mention, f"code is for {row.network}, posted on {mention.network}")
    if row.expected_remote_id is not None:
        author_matches = mention.author_id == row.expected_remote_id
    else:
        author_matches = fold_handle(mention.author_handle) == row.handle_folded
    if not author_matches:
        return _refused(mention, f"posted by @{mention.author_handle}, not @{row.handle}")
    from .importer import identity_for  # the importer imports this module

    identity = identity_for(mention, page)
    if identity.is_linked:
        if identity.user_id == row.user_id:
            _use(row, identity, mention, now)
            return f"claim code: @{identity.handle} was already linked"
        return _refused(mention, f"@{identity.handle} is already linked to another account")
    if not _use(row, identity, mention, now):
        return _refused(mention, "code already used")
    customer = db.session.get(User, row.user_id)
    if customer is None or not customer.active:
        return _refused(mention, "the account that asked for the code is gone")
    if customer.is_blocked:
        return _refused(mention, "the account that asked for the code is blocked")
    link_identity(identity, customer, now)
    _tell_customer(customer, identity)
    return f"claim code: linked @{identity.handle}"


def _refused(mention: Mention, why: str) -> str:
    logger.warning("claim code in %s by @%s not used: %s", mention.id, mention.author_handle, why)
    return f"claim code refused: {why}"


def _use(row: ClaimCode, identity: SocialIdentity, mention: Mention, now: datetime) -> bool:
    """Mark the code used, if it still is open (one UPDATE: one winner among workers)."""
    result = db.session.execute(
        update(ClaimCode)
        .where(
            ClaimCode.id == row.id,
            ClaimCode.used_at.is_(None),
            ClaimCode.revoked_at.is_(None),
            ClaimCode.expires_at > now,
        )
        .values(used_at=now, identity_id=identity.id, post_id=mention.id[:300])
        .execution_options(synchronize_session=False)
    )
    won = rows_matched(result) == 1
    db.session.expire(row)
    return won


def link_identity(identity: SocialIdentity, customer: User, now: datetime) -> None:
    """Give the identity to customer and move its shadow user's things to them.

    Votes: where both voted on an idea, the customer's own vote stays and the shadow's goes;
    the rest move. Follows likewise. Ideas, comments, revisions and notifications move. The
    touched ideas' counts (up, down, score, Trending rank, followers, comments) are recounted
    from the rows, and the shadow user — now owning nothing — is deleted.
    """
    db.session.flush()
    shadow_id = identity.user_id
    # Lock the shadow user first: a vote it is casting elsewhere (another account's import)
    # waits, then fails on the deleted user, instead of landing uncounted after the move.
    db.session.execute(select(User.id).where(User.id == shadow_id).with_for_update())
    result = db.session.execute(
        update(SocialIdentity)
        .where(SocialIdentity.id == identity.id, SocialIdentity.linked_at.is_(None))
        .values(user_id=customer.id, linked_at=now)
        .execution_options(synchronize_session=False)
    )
    if rows_matched(result) != 1:
        raise Conflict(_("That handle is already linked to another account on this site."))
    db.session.expire(identity)
    if shadow_id == customer.id:
        return
    touched = set(db.session.scalars(select(Vote.idea_id).where(Vote.user_id == shadow_id)))
    touched |= set(db.session.scalars(select(Follow.idea_id).where(Follow.user_id == shadow_id)))
    if touched:
        # Lock the ideas (in id order, as every writer does) so no vote lands between the
        # move and the recount; a no-op on SQLite, where writers take turns anyway.
        db.session.execute(
            select(Idea.id).where(Idea.id.in_(sorted(touched))).order_by(Idea.id).with_for_update()
        )
    mine = select(Vote.idea_id).where(Vote.user_id == customer.id).scalar_subquery()
    db.session.execute(
        delete(Vote)
        .where(Vote.user_id == shadow_id, Vote.idea_id.in_(mine))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Vote)
        .where(Vote.user_id == shadow_id)
        .values(user_id=customer.id)
        .execution_options(synchronize_session=False)
    )
    followed = select(Follow.idea_id).where(Follow.user_id == customer.id).scalar_subquery()
    db.session.execute(
        delete(Follow)
        .where(Follow.user_id == shadow_id, Follow.idea_id.in_(followed))
        .execution_options(synchronize_session=False)
    )
    for model, column in (
        (Follow, Follow.user_id),
        (Idea, Idea.author_id),
        (Comment, Comment.author_id),
        (IdeaRevision, IdeaRevision.editor_id),
        (Notification, Notification.user_id),
    ):
        db.session.execute(
            update(model)
            .where(column == shadow_id)
            .values({column.key: customer.id})
            .execution_options(synchronize_session=False)
        )
    recount(touched)
    # The session may hold the moved rows and the shadow user: read them afresh.
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, User) and obj.id == shadow_id:
            db.session.expunge(obj)
        elif isinstance(obj, Idea | Vote | Follow | Comment | Notification):
            db.session.expire(obj)
    shadow_row = table_of(User)
    db.session.execute(
        delete(shadow_row).where(
            shadow_row.c.id == shadow_id, shadow_row.c.email.endswith(SHADOW_DOMAIN)
        )
    )
    db.session.flush()


def unlink_identity(user: User, identity_id: int, now: datetime | None = None) -> SocialIdentity:
    """Unlink one of user's identities: what moved to them stays theirs; the identity gets
    a fresh shadow user, which the identity's future posts author and vote as."""
    identity = db.session.get(SocialIdentity, identity_id)
    if identity is None or identity.user_id != user.id or not identity.is_linked:
        raise NotFound(_("No such linked account."))
    shadow = new_shadow_user(
        identity.network, identity.remote_user_id, identity.name or identity.handle
    )
    identity.user_id = shadow.id
    identity.linked_at = None
    # Open codes for this handle are of no use to anyone any more.
    db.session.execute(
        update(ClaimCode)
        .where(
            ClaimCode.user_id == user.id,
            ClaimCode.network == identity.network,
            or_(
                ClaimCode.handle_folded == fold_handle(identity.handle),
                ClaimCode.expected_remote_id == identity.remote_user_id,
            ),
            ClaimCode.used_at.is_(None),
            ClaimCode.revoked_at.is_(None),
        )
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return identity


def new_shadow_user(network: str, remote_user_id: str, name: str) -> User:
    """A user that cannot sign in, standing for a person on a social network (as the
    importer's identity_for makes them)."""
    local = re.sub(r"[^A-Za-z0-9._-]", "-", remote_user_id)[:200]
    email, n = f"{network}-{local}{SHADOW_DOMAIN}", 1
    while db.session.scalar(select(User.id).where(User.email == email)) is not None:
        n += 1  # an earlier shadow user of the identity is still there (not merged away)
        email = f"{network}-{local}-{n}{SHADOW_DOMAIN}"
    user = User(
        email=email,
        name=(name or "social user")[:80],
        password_hash="!",  # noqa: S106 - not a hash at all: a shadow user cannot log in
        role=Role.CUSTOMER.value,
        active=False,
    )
    db.session.add(user)
    db.session.flush()
    return user


def _tell_customer(customer: User, identity: SocialIdentity) -> None:
    """E-mail the customer that the handle is now linked (if e-mail is on)."""
    from ..mail.enqueue import enqueue, language_of

    enqueue(
        letter="identity-linked",
        to=customer.email,
        user=customer,
        lang=language_of(customer),
        params={"network": identity.network, "handle": identity.handle},
        dedupe_key=f"email:identity-linked:{identity.id}:{customer.id}",
    )
