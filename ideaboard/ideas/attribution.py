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

# Where a network shows a person's profile, by the `Idea.source` of ideas imported from it.
PROFILE_URLS = {"x": "https://x.com/{handle}"}


@dataclass(frozen=True)
class Attribution:
    name: str  # as shown: the name, else "@handle"; "" when nobody is known
    handle: str | None = None  # the social handle without "@", for imported ideas only
    network: str | None = None  # the network of an imported idea ("x"); None for the site
    profile_url: str | None = None  # the handle's profile on that network

    @property
    def mention(self) -> str:
        """How a post names them: "@handle" on the network they came from, else the name."""
        return f"@{self.handle}" if self.handle else self.name


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
    template = PROFILE_URLS.get(idea.source)
    return Attribution(
        name=name,
        handle=handle,
        network=idea.source,
        profile_url=template.format(handle=handle) if template and handle else None,
    )
