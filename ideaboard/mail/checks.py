"""A test e-mail, to check that IDEABOARD_SMTP_URL works (`flask ideaboard mail-test ADDRESS`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from ..accounts.models import User
from .letters import Draft, letter


@letter("test")
def test_letter(params: Mapping[str, Any], user: User | None) -> Draft:
    return Draft(
        subject=_("IdeaBoard test e-mail"),
        context={"requested_at": str(params.get("requested_at", ""))},
    )
