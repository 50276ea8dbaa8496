"""Signed links in e-mails: one-click unsubscribe (RFC 8058).

A token is the user id signed with the app's SECRET_KEY (itsdangerous, with a salt per use),
so the link works without a login or a CSRF token, names one account, and cannot be forged.
Unsubscribe links never expire: an old e-mail's link must still work.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from ..accounts.models import User
from ..extensions import db

UNSUBSCRIBE_SALT = "ideaboard.mail.unsubscribe"


def _serializer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.config["SECRET_KEY"]), salt=salt)


def unsubscribe_token(user: User | int) -> str:
    """Return the token of user's one-click unsubscribe link."""
    user_id = user if isinstance(user, int) else user.id
    return _serializer(UNSUBSCRIBE_SALT).dumps({"u": user_id})


def user_from_unsubscribe_token(token: str) -> User | None:
    """Return the account the token names, or None for a forged, mangled or stale token."""
    if len(token) > 200:
        return None
    try:
        data = _serializer(UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        return None
    user_id = data.get("u") if isinstance(data, dict) else None
    if not isinstance(user_id, int):
        return None
    return db.session.get(User, user_id)
