"""The e-mails IdeaBoard writes, by name, and how one is rendered for its recipient.

An e-mail outbox row stores what it is about (its letter's name and a few ids in the
payload), not its text: the text is rendered when it is sent (outbox/delivery → the mail
sender's prepare), in the recipient's language, from the data as it is then. So a reset link's
secret is never stored, and an idea retitled before the e-mail goes shows its new title.

A letter is a function registered with `@letter("name")` that takes the row's payload and the
recipient account (None for an address without one) and returns a Draft — or a string, the
reason there is nothing to send any more (the row is then cancelled with that reason).
Its bodies are the templates mail/<name>.txt and mail/<name>.html, given the Draft's context.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale

from ..accounts.models import User
from ..timezones import force_timezone, zone_of
from ..urls import public_base


@dataclass
class Draft:
    """What a letter says: the subject and the context its templates are rendered with."""

    subject: str
    context: dict[str, Any] = field(default_factory=dict)
    # Notifications carry one-click unsubscribe (List-Unsubscribe); account mail does not.
    notification: bool = False


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    notification: bool
    unsubscribe_url: str | None


Letter = Callable[[Mapping[str, Any], User | None], "Draft | str"]
LETTERS: dict[str, Letter] = {}


def letter(name: str) -> Callable[[Letter], Letter]:
    """Register a letter function under name (its templates: mail/<name>.txt and .html)."""

    def register(function: Letter) -> Letter:
        LETTERS[name] = function
        return function

    return register


def render(
    name: str, payload: Mapping[str, Any], user: User | None, lang: str | None
) -> Rendered | str:
    """Render letter name for user in lang; a string is the reason nothing is sent."""
    function = LETTERS.get(name)
    if function is None:
        return f"no letter called {name!r}"
    locale = lang or str(current_app.config["IDEABOARD_DEFAULT_LOCALE"])
    # url_for needs a request; links are built on IDEABOARD_PUBLIC_URL (urls.public_url_for).
    # Times are written in the recipient's zone (their choice, else the site's default for
    # the letter's language), each with its zone named (web._datetime, timezones.py).
    zone = zone_of(user, locale)
    with (
        current_app.test_request_context(base_url=public_base() + "/"),
        force_locale(locale),
        force_timezone(zone),
    ):
        draft = function(payload, user)
        if isinstance(draft, str):
            return draft
        unsubscribe = None
        if draft.notification and user is not None:
            from ..urls import public_url_for
            from .tokens import unsubscribe_token

            unsubscribe = public_url_for("mail.unsubscribe", token=unsubscribe_token(user))
        context = {
            **draft.context,
            "recipient": user,
            "subject": draft.subject,
            "unsubscribe_url": unsubscribe,
            "site_url": public_base(),
            "lang": locale,
        }
        text = render_template(f"mail/{name}.txt", **context)
        html = render_template(f"mail/{name}.html", **context)
    return Rendered(draft.subject, text, html, draft.notification, unsubscribe)
