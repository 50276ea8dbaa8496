"""flask-login's `login_required`, typed: the view it guards keeps its signature for mypy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import flask_login

F = TypeVar("F", bound=Callable[..., Any])


def login_required(view: F) -> F:
    """Send anonymous visitors to log in; otherwise run the view."""
    # flask-login ships no types, so its decorator returns Any; it wraps the view with
    # functools.wraps and passes every argument through, so the signature is view's.
    return cast(F, flask_login.login_required(view))
