"""Who is calling the API: a bearer token, else the site's session cookie (with CSRF).

Bearer requests are exempt from CSRF (a browser never adds the header by itself); requests
that ride on the session cookie must send the CSRF token in `X-CSRFToken` for unsafe
methods, as the site's own JavaScript does.
"""

from __future__ import annotations

import hashlib
import logging

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from ..accounts.models import User
from ..database import utcnow, write_intent
from ..errors import PermissionDenied
from ..extensions import csrf, db
from ..ideas.permissions import can_triage
from . import services
from .errors import InvalidToken, Unauthenticated
from .schemas import Access

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def bearer_secret() -> str | None:
    """Return the secret of an `Authorization: Bearer …` header, "" if malformed, else None."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return ""
    return secret.strip()


def rate_limit_key() -> str:
    """Key API rate limits by token (its hash), else by the caller's address."""
    secret = bearer_secret()
    if secret:
        return "token:" + hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
    return "ip:" + (get_remote_address() or "unknown")


def _from_token(secret: str) -> User:
    token = services.find_token(secret)
    if token is None:
        raise InvalidToken(_("The API token is unknown or revoked."))
    user = token.user
    now = utcnow()
    if services.needs_touch(token, now):
        token_id = token.id
        db.session.commit()  # end the read; the touch is its own short write
        try:
            with write_intent():
                services.touch_token(token_id, now)
                db.session.commit()
        except SQLAlchemyError:  # a busy database must not fail the request
            db.session.rollback()
            logger.warning("could not record the use of API token %s", token_id, exc_info=True)
    return user


def caller(access: Access) -> User | None:
    """Return the calling user (None: anonymous) or raise 401/403 for the operation's access."""
    if access is Access.PUBLIC:
        return None
    if "api_user" in g:
        user: User | None = g.api_user
    else:
        secret = bearer_secret()
        if secret == "":
            raise InvalidToken(_("Send the token as `Authorization: Bearer <token>`."))
        if secret is not None:
            user = _from_token(secret)
        elif current_user.is_authenticated:
            user = current_user._get_current_object()
            if request.method not in SAFE_METHODS and current_app.config.get(
                "WTF_CSRF_ENABLED", True
            ):
                csrf.protect()  # cookie requests need X-CSRFToken; CSRFError → 400
        else:
            user = None
        g.api_user = user
    if access is Access.OPTIONAL:
        return user
    if user is None:
        raise Unauthenticated(_("Log in or send an API token."))
    if access is Access.STAFF and not can_triage(user):
        raise PermissionDenied(_("Only staff can do this."))
    return user
