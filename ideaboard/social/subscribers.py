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
from ..i18n import reply_stage_name, supported_language
from ..ideas.attribution import attribution
from ..ideas.models import Idea
from ..outbox.models import OutboxMessage
from ..triage.models import StageRole, StatusChange
from ..urls import idea_url
from . import echo, reply_templates
from .compose import compose_launch, compose_stage_posts
from .models import SocialAccount
from .networks import limit_for, network
from .senders import register_senders
from .threads import enqueue_continuations


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
    target_idea = merge_target(change.idea)  # a merged duplicate's posts hear of the target
    posts, raised = echo.audience(ideas)
    echo.supersede_older(change, raised)
    state = echo.state_for(len(posts))
    default_locale = str(current_app.config["IDEABOARD_DEFAULT_LOCALE"])
    words_by_lang: dict[tuple[str, str], reply_templates.Wording] = {}
    accounts = _accounts({post.account_id for post in posts})
    for post in posts:
        account = accounts.get(post.account_id)
        # A post logged without its account is answered by the network's first account
        # when the reply is sent (senders.default_account).
        reply_kind = network(post.network).reply_kind
        limit = limit_for(account) if account is not None else network(post.network).limit
        lang = supported_language(post.lang, default_locale)
        if (lang, post.network) not in words_by_lang:
            words_by_lang[(lang, post.network)] = reply_templates.wording(
                "stage", stage.slug, lang, post.network
            )
        words = words_by_lang[(lang, post.network)]
        # A post that raised a merged duplicate always gets the link: it is the news.
        link = words.include_link or post.idea.id != target_idea.id
        texts = compose_stage_posts(
            stage_slug=stage.slug,
            stage_name=reply_stage_name(stage, lang),
            lang=lang,
            title=post.idea.title,
            url=idea_url(target_idea) if link else "",
            signature=by.display_initials,
            template=words.text,
            note=change.note,
            handle=post.handle,
            more_url=idea_url(target_idea),
            limit=limit,
        )
        row = OutboxMessage(
            kind=reply_kind,
            # The account the post came in through answers it (and its cap applies).
            account_id=post.account_id,
            state=state,
            dedupe_key=f"{reply_kind}:status:{change.id}:post:{post.post_id}",
            idea_id=post.idea.id,
            status_change_id=change.id,
            target=post.post_id,
            lang=lang,
            text=texts[0],
            payload={"in_reply_to_tweet_id": post.post_id, "stage": stage.slug},
        )
        db.session.add(row)
        rows.append(row)
        # A note too long for one post continues in a thread that answers this reply.
        rows.extend(enqueue_continuations(row, texts[1:]))
    return rows


def _accounts(ids: Iterable[int | None]) -> dict[int | None, SocialAccount]:
    """Return the accounts by id."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {
        account.id: account
        for account in db.session.scalars(select(SocialAccount).where(SocialAccount.id.in_(wanted)))
    }


def merge_target(idea: Idea) -> Idea:
    """Return the idea this one was merged into (following a chain), or the idea itself."""
    hops = 0
    while idea.merged_into is not None and hops < 5:
        idea, hops = idea.merged_into, hops + 1
    return idea


def enqueue_launch_announcements(idea: Idea, change: StatusChange) -> list[OutboxMessage]:
    """Queue a post on every brand account that announces launches."""
    rows = []
    accounts = db.session.scalars(
        select(SocialAccount).where(SocialAccount.active, SocialAccount.announce_launches)
    )
    for account in accounts:
        lang = str(current_app.config["IDEABOARD_DEFAULT_LOCALE"])
        words = reply_templates.wording("launch_announcement", "", lang, account.network)
        post_kind = network(account.network).post_kind
        row = OutboxMessage(
            kind=post_kind,
            account_id=account.id,
            dedupe_key=f"{post_kind}:launch:{change.id}:account:{account.id}",
            idea_id=idea.id,
            status_change_id=change.id,
            lang=lang,
            text=compose_launch(
                lang=lang,
                title=idea.title,
                url=idea_url(idea) if words.include_link else "",
                author=attribution(idea).mention,
                template=words.text,
                limit=limit_for(account),
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
