"""What the social networks do when something happens on the board.

A stage change is echoed as a reply to every post that raised the idea — its original post,
the posts counted as votes for it, and those of the ideas merged into it; once per person
(social/echo.py) — and a launch is announced on the brand accounts that want it. The rows are
written in the transaction of the stage change (see ideaboard/events.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, current_app
from sqlalchemy import select

from ..accounts.models import User
from ..events import StageChanged, subscribe
from ..extensions import db
from ..i18n import supported_language
from ..ideas.attribution import attribution
from ..ideas.models import Idea
from ..outbox.models import OutboxKind, OutboxMessage
from ..triage.models import StageRole, StatusChange
from ..urls import idea_url
from . import echo, reply_templates
from .compose import compose_launch, compose_stage_reply
from .models import SocialAccount
from .senders import register_senders


def enqueue_stage_echo(
    change: StatusChange, ideas: Iterable[Idea], by: User
) -> list[OutboxMessage]:
    """Write one outbox reply per post that raised the ideas (one per person, their latest).

    The posts are the ideas' own posts and every post counted as a vote for them (see
    social/echo.py); older stage replies still waiting for those posts are superseded, and
    more replies than IDEABOARD_ECHO_MAX_REPLIES are held for a staff member to confirm.
    """
    stage = change.to_stage
    if not stage.is_public:
        return []  # internal stages are staff-only (triage/visibility.py): nobody hears
    rows: list[OutboxMessage] = []
    target_idea = change.idea
    posts, raised = echo.audience(ideas)
    echo.supersede_older(change, raised)
    state = echo.state_for(len(posts))
    default_locale = str(current_app.config["IDEABOARD_DEFAULT_LOCALE"])
    words_by_lang: dict[str, reply_templates.Wording] = {}
    for post in posts:
        lang = supported_language(post.lang, default_locale)
        if lang not in words_by_lang:
            words_by_lang[lang] = reply_templates.wording("stage", stage.slug, lang)
        words = words_by_lang[lang]
        text = compose_stage_reply(
            stage_slug=stage.slug,
            stage_name=stage.name,
            lang=lang,
            title=post.idea.title,
            url=idea_url(target_idea) if words.include_link else "",
            signature=by.display_initials,
            template=words.text,
        )
        row = OutboxMessage(
            kind=OutboxKind.X_REPLY.value,
            # The account the post came in through answers it (and its cap applies).
            account_id=post.account_id,
            state=state,
            dedupe_key=f"x_reply:status:{change.id}:post:{post.post_id}",
            idea_id=post.idea.id,
            status_change_id=change.id,
            target=post.post_id,
            lang=lang,
            text=text,
            payload={"in_reply_to_tweet_id": post.post_id, "stage": stage.slug},
        )
        db.session.add(row)
        rows.append(row)
    return rows


def enqueue_launch_announcements(idea: Idea, change: StatusChange) -> list[OutboxMessage]:
    """Queue a post on every brand account that announces launches."""
    rows = []
    accounts = db.session.scalars(
        select(SocialAccount).where(SocialAccount.active, SocialAccount.announce_launches)
    )
    for account in accounts:
        lang = str(current_app.config["IDEABOARD_DEFAULT_LOCALE"])
        words = reply_templates.wording("launch_announcement", "", lang)
        row = OutboxMessage(
            kind=OutboxKind.X_POST.value,
            account_id=account.id,
            dedupe_key=f"x_post:launch:{change.id}:account:{account.id}",
            idea_id=idea.id,
            status_change_id=change.id,
            lang=lang,
            text=compose_launch(
                lang=lang,
                title=idea.title,
                url=idea_url(idea) if words.include_link else "",
                author=attribution(idea).mention,
                template=words.text,
            ),
            payload={"launch": True},
        )
        db.session.add(row)
        rows.append(row)
    return rows


def on_stage_changed(event: StageChanged) -> None:
    """Echo the stage change to the original posts; announce a launch."""
    enqueue_stage_echo(event.change, [event.idea, *event.merged], event.by)
    if event.change.to_stage.has_role(StageRole.LAUNCHED):
        enqueue_launch_announcements(event.idea, event.change)


def register(app: Flask) -> None:
    """Subscribe the social networks to the domain events and register their senders."""
    subscribe(app, StageChanged, on_stage_changed)
    register_senders(app)
