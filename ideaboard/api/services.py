"""API rules: issuing, finding and revoking bearer tokens; configuring webhooks.

Services add and flush; the caller commits. Token secrets are returned once and stored
only as SHA-256 hashes.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from .. import netguard
from ..accounts import services as accounts
from ..accounts.models import User
from ..database import rows_matched, utcnow
from ..errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ..extensions import db
from ..ideas.permissions import can_administer
from ..outbox.models import OutboxMessage
from ..text import check_length, clean_text
from ..webhooks import enqueue as webhooks
from ..webhooks.models import Webhook
from .errors import InvalidCredentials
from .models import ApiToken

TOKEN_PREFIX = "ib_"  # noqa: S105 - marks IdeaBoard tokens in logs and scanners; not a secret
PREFIX_LENGTH = 12
TOKENS_MAX = 100
TOKEN_NAME_MAX = 80
# last_used_at is a hint for owners, so it is written at most this often per token.
TOUCH_INTERVAL = timedelta(minutes=1)
WEBHOOK_URL_MAX = 500


def hash_token(secret: str) -> str:
    """Return the stored form of a token secret."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def issue_token(user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a token for user; return it and its secret (shown once, never stored)."""
    name = clean_text(name, field="name", label=_("Name"))
    check_length(name, field="name", label=_("Name"), minimum=0, maximum=TOKEN_NAME_MAX)
    active = db.session.scalar(
        select(func.count())
        .select_from(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    )
    if (active or 0) >= TOKENS_MAX:
        raise Conflict(_("You have %(n)d tokens; revoke some first.", n=TOKENS_MAX))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name or "API token",
        token_hash=hash_token(secret),
        prefix=secret[:PREFIX_LENGTH],
        created_at=utcnow(),
    )
    db.session.add(token)
    db.session.flush()
    return token, secret


def issue_token_for_login(email: str, password: str, name: str = "") -> tuple[ApiToken, str]:
    """Check the e-mail and password, then issue a token; InvalidCredentials if they are wrong.

    Throttled per account like the login form (TooManyAttempts, 429); a failure is flushed
    for the caller to commit.
    """
    user = accounts.sign_in(email, password)
    if user is None:
        raise InvalidCredentials(_("The e-mail address or the password is wrong."))
    return issue_token(user, name)


def find_token(secret: str) -> ApiToken | None:
    """Return the live token with this secret whose owner may sign in, else None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(secret), ApiToken.revoked_at.is_(None)
        )
    )
    if token is None or not token.user.active:
        return None
    return token


def touch_token(token_id: int, now: datetime) -> bool:
    """Record that the token was used, unless that was recorded less than a minute ago."""
    result = db.session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - TOUCH_INTERVAL),
        )
        .values(last_used_at=now)
    )
    return bool(rows_matched(result))


def needs_touch(token: ApiToken, now: datetime) -> bool:
    """Tell whether the token's last use is unrecorded or more than a minute old."""
    return token.last_used_at is None or token.last_used_at <= now - TOUCH_INTERVAL


def tokens_of(user: User) -> list[ApiToken]:
    """Return the user's live tokens, newest first."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.id.desc())
        )
    )


def revoke_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's tokens (revoking twice is harmless)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_("There is no such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
    return token


def _require_admin(user: User) -> None:
    if not can_administer(user):
        raise PermissionDenied(_("Only admins can configure webhooks."))


def clean_webhook_url(raw: str) -> str:
    """Return the URL if it is an absolute http(s) URL, else raise ValidationFailed."""
    url = clean_text(raw, field="url", label=_("URL"))
    check_length(url, field="url", label=_("URL"), minimum=1, maximum=WEBHOOK_URL_MAX)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username:
        raise ValidationFailed(_("Give an http:// or https:// address."), field="url")
    try:
        netguard.check(url, allow_private=netguard.allow_private())
    except netguard.BlockedDestination as error:
        raise ValidationFailed(
            _("This address cannot receive webhooks: %(reason)s.", reason=error.reason),
            field="url",
        ) from None
    return url


def create_webhook(by: User, url: str, events: list[str]) -> Webhook:
    """Add a webhook for the given events, with a new signing secret."""
    _require_admin(by)
    url = clean_webhook_url(url)
    chosen = [event for event in webhooks.EVENTS if event in set(events)]
    if not chosen or len(chosen) != len(set(events)):
        raise ValidationFailed(_("Choose at least one of the listed events."), field="events")
    hook = Webhook(
        url=url,
        secret=secrets.token_hex(32),
        events=chosen,
        active=True,
        created_by_id=by.id,
        created_at=utcnow(),
    )
    db.session.add(hook)
    db.session.flush()
    return hook


def rotate_webhook_secret(by: User, hook: Webhook) -> str:
    """Give the webhook a new signing secret and return it (shown once, like the first).

    Deliveries not sent yet are signed with the new secret. The secret is kept in plain
    text, as HMAC signing needs it, but no page or answer shows it again.
    """
    _require_admin(by)
    hook.secret = secrets.token_hex(32)
    db.session.flush()
    return hook.secret


def deactivate_webhook(by: User, hook: Webhook) -> None:
    """Stop sending events to the webhook (queued deliveries are not sent either)."""
    _require_admin(by)
    hook.active = False
    db.session.flush()


def send_test(by: User, hook: Webhook) -> OutboxMessage:
    """Queue a webhook.test event for this webhook only."""
    _require_admin(by)
    if not hook.active:
        raise Conflict(_("This webhook is switched off."))
    return webhooks.enqueue_test(hook, by)


def all_webhooks() -> list[Webhook]:
    """Return every webhook, active ones first, newest first."""
    return list(
        db.session.scalars(select(Webhook).order_by(Webhook.active.desc(), Webhook.id.desc()))
    )
