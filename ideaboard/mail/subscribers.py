"""What e-mail does when something happens: domain events → e-mail outbox rows.

Registered per app in create_app, like the social networks and webhooks. Handlers run in the
transaction of the change (ideaboard/events.py) and only write rows; the sender renders and
sends them later.
"""

from __future__ import annotations

from flask import Flask

from . import (  # noqa: F401 - letters, jobs
    account,
    checks,
    claims,
    digest,
    jobs,
    notifications,
    spikes,
    staff,
)
from .sender import register_senders
from .settings import mode
from .views import bp


def register(app: Flask) -> None:
    """Register the e-mail sender, the unsubscribe page and the event subscribers; in
    mailbox mode (development), the mailbox page at /dev/mailbox too."""
    register_senders(app)
    app.register_blueprint(bp)
    account.register(app)
    notifications.register(app)
    spikes.register(app)
    if mode(app.config) == "mailbox":
        from .mailbox import bp as mailbox_bp

        app.register_blueprint(mailbox_bp)
