"""Guards for the staff workspace."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

from ..extensions import login_manager
from ..ideas.permissions import can_triage

F = TypeVar("F", bound=Callable[..., Any])


def staff_required(view: F) -> F:
    """Send anonymous visitors to log in; refuse customers with 403."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not can_triage(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
