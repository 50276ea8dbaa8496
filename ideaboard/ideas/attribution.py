"""Who suggested an idea: the one rule every page, the API, the insights and X posts use.

An idea typed on the site is its author's. An idea imported from a social post is the post
author's: shown by the name they use there, else by their @handle, with a link to their
profile on the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Idea


@dataclass(frozen=True)
class Attribution:
    name: str  # as shown: the name, else "@handle"; "" when nobody is known
    handle: str | None = None  # the social handle without "@", for imported ideas only
    network: str | None = None  # the network of an imported idea ("x"); None for the site
    profile_url: str | None = None  # the handle's profile on that network

    @property
    def network_name(self) -> str:
        """The network's name as people know it ("X", "Bluesky", "Mastodon")."""
        return network_name(self.network) if self.network else ""

    @property
    def mention(self) -> str:
        """How a post names them: "@handle" on the network they came from, else the name."""
        return f"@{self.handle}" if self.handle else self.name


# The networks an idea can come from (Idea.source), by their brand names (never translated),
# and where each shows a person's profile. social/networks.py holds the rest about them.
NETWORK_NAMES = {"x": "X", "bluesky": "Bluesky", "mastodon": "Mastodon"}
PROFILE_URLS = {"x": "https://x.com/{handle}", "bluesky": "https://bsky.app/profile/{handle}"}


def network_name(slug: str | None) -> str:
    """Name a network for people: its brand name, never translated."""
    return NETWORK_NAMES.get(slug or "", slug or "")


def profile_url(network: str, handle: str) -> str | None:
    """Return the public profile address of handle on a network, or None.

    A Mastodon handle names its instance (user@instance); one without it is unknown."""
    if not handle:
        return None
    if network == "mastodon":
        user, _, instance = handle.lstrip("@").partition("@")
        return f"https://{instance}/@{user}" if instance and user else None
    template = PROFILE_URLS.get(network)
    return template.format(handle=handle) if template else None


def former_member() -> str:
    """How an idea or comment whose author deleted their account is signed."""
    from flask_babel import gettext as _

    return str(_("a former member"))


def attribution(idea: Idea) -> Attribution:
    """Return who suggested the idea."""
    from .models import Source  # the models import this module's callers, not the reverse

    site_name = idea.author.name if idea.author is not None else ""
    if idea.source == Source.WEB.value:
        # No author: they deleted their account and chose to keep their ideas
        # (accounts/erasure.py).
        return Attribution(name=site_name or former_member())
    handle = (idea.source_author_handle or "").lstrip("@") or None
    name = idea.source_author_name or (f"@{handle}" if handle else site_name)
    return Attribution(
        name=name,
        handle=handle,
        network=idea.source,
        profile_url=profile_url(idea.source, handle) if handle else None,
    )
