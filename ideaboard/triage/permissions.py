"""Guards for the staff workspace: view decorators over the predicates in ideas.permissions."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort
from flask_login import current_user

from ..extensions import login_manager
from ..ideas.permissions import can_administer, can_triage

F = TypeVar("F", bound=Callable[..., Any])


def _guard(allowed: Callable[[Any], bool]) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not allowed(current_user):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


staff_required = _guard(can_triage)
staff_required.__doc__ = "Send anonymous visitors to log in; refuse customers with 403."

admin_required = _guard(can_administer)
admin_required.__doc__ = "Send anonymous visitors to log in; refuse everyone but admins with 403."
