"""The social networks IdeaBoard talks to, and what differs between them, in one table.

The importer, matching, moderation, the fan-out and the outbox serve every network alike;
what they need to know about one (how a post is measured and how long it may be, which
outbox kinds carry its replies and posts, whether it costs money) is
here, and everything else is in the network's connector (connectors.py, bluesky.py,
mastodon.py).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..outbox.models import OutboxKind
from ..text import graphemes
from . import mastodon_text
from .compose import X_LIMIT, PostLimit

if TYPE_CHECKING:
    from .models import SocialAccount

BLUESKY_GRAPHEMES = 300
MASTODON_DEFAULT_CHARACTERS = 500  # an instance may allow more or fewer: read per account


def bluesky_length(text: str) -> int:
    """Bluesky counts a post in graphemes of its NFC text (a Korean syllable, even typed as
    separate jamo, or an emoji with its modifiers is one)."""
    return len(graphemes(unicodedata.normalize("NFC", text)))


def mastodon_length(text: str) -> int:
    """Mastodon counts characters (graphemes), a link as 23 whatever its length, and a
    mention of a remote account only by its local part (@minji@example.social as @minji)."""
    return mastodon_text.post_length(text)


@dataclass(frozen=True)
class Network:
    slug: str
    name: str  # a brand name: not translated (ideas.attribution.NETWORK_NAMES)
    reply_kind: str
    post_kind: str
    limit: PostLimit
    paid: bool  # X charges for every post read and written; the others are free
    # A thread's next part answers the part before it (a chain, as Bluesky's app shows a
    # thread) instead of the first post.
    chain_threads: bool = False


NETWORKS: dict[str, Network] = {
    "x": Network(
        slug="x",
        name="X",
        reply_kind=OutboxKind.X_REPLY.value,
        post_kind=OutboxKind.X_POST.value,
        limit=X_LIMIT,
        paid=True,
    ),
    "bluesky": Network(
        slug="bluesky",
        name="Bluesky",
        reply_kind=OutboxKind.BLUESKY_REPLY.value,
        post_kind=OutboxKind.BLUESKY_POST.value,
        limit=PostLimit(BLUESKY_GRAPHEMES, bluesky_length, "graphemes"),
        paid=False,
        chain_threads=True,
    ),
    "mastodon": Network(
        slug="mastodon",
        name="Mastodon",
        reply_kind=OutboxKind.MASTODON_REPLY.value,
        post_kind=OutboxKind.MASTODON_POST.value,
        limit=PostLimit(MASTODON_DEFAULT_CHARACTERS, mastodon_length, "characters"),
        paid=False,
    ),
}
REPLY_KINDS = tuple(n.reply_kind for n in NETWORKS.values())
POST_KINDS = tuple(n.post_kind for n in NETWORKS.values())
SOCIAL_KINDS = REPLY_KINDS + POST_KINDS


def network(slug: str) -> Network:
    """Return the network called slug (KeyError for one IdeaBoard does not know)."""
    return NETWORKS[slug]


def network_of_kind(kind: str) -> Network | None:
    """Return the network whose replies or posts are outbox rows of this kind."""
    for candidate in NETWORKS.values():
        if kind in (candidate.reply_kind, candidate.post_kind):
            return candidate
    return None


def limit_for(account: SocialAccount | None) -> PostLimit:
    """Return how long one post may be on the account's network (X's rule without one).

    A Mastodon instance sets its own limit; the account keeps the one its instance reported
    (SocialAccount.post_limit)."""
    if account is None:
        return X_LIMIT
    known = NETWORKS.get(account.network)
    if known is None:
        return X_LIMIT
    if account.post_limit:
        return PostLimit(account.post_limit, known.limit.measure, known.limit.unit)
    return known.limit
