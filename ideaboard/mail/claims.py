"""The notice that a social handle was linked to an account (social/claims.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from ..accounts.models import User
from ..social.networks import NETWORKS
from ..urls import public_url_for
from .letters import Draft, letter


@letter("identity-linked")
def identity_linked_letter(params: Mapping[str, Any], user: User | None) -> Draft | str:
    """Tell the owner a handle now belongs to their account (in case it was not them)."""
    if user is None or not user.active:
        return "the account is gone"
    from ..social.claims import display_handle

    slug = str(params.get("network") or "")
    known = NETWORKS.get(slug)
    return Draft(
        subject=_(
            "Your %(network)s account is linked to IdeaBoard", network=known.name if known else slug
        ),
        context={
            "network": known.name if known else slug,
            "handle": display_handle(str(params.get("handle") or "")),
            "profile_url": public_url_for("accounts.profile", _anchor="social-accounts"),
        },
    )
