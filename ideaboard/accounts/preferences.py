"""What a person chooses to receive by e-mail about the ideas they follow. Flush, never commit."""

from __future__ import annotations

from flask_babel import gettext as _

from ..database import utcnow
from ..errors import ValidationFailed
from ..extensions import db
from .models import EmailChoice, User


def set_email_notifications(user: User, choice: str) -> None:
    """Store the choice: "each" (an e-mail per update), "daily" (a digest) or "none".

    Switching to the daily digest starts it now: what happened before (and was e-mailed
    one by one, or not at all) is not sent again in the first digest.
    """
    try:
        value = EmailChoice(choice)
    except ValueError:
        raise ValidationFailed(
            _("Choose one of the listed options."), field="email_notifications"
        ) from None
    if value is EmailChoice.DAILY and user.email_notifications != value.value:
        user.digest_sent_at = utcnow()
    user.email_notifications = value.value
    db.session.flush()
