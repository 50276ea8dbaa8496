"""Campaign announcements: a post on each active brand account when a campaign opens and when
it closes (campaigns with `announce` on), queued by the worker each round.

The worker calls `queue_announcements(now)`; it looks only at campaigns whose post is due and
not yet queued (`open_announced_at` / `close_announced_at` empty), writes one outbox row per
account with the dedupe key `<post kind>:campaign:<id>:<open|close>:account:<account id>`
(so a second worker, or a second round, queues nothing), and marks the campaign. The posts
are in the board's default language (IDEABOARD_DEFAULT_LOCALE), worded by the reply templates
"campaign_opened" / "campaign_closed" (admin-editable per language and network; the defaults
are in wording.py), always carry the hashtag (and the link unless the template leaves it out),
and fit the account's post limit (only the title is shortened).
"""

from __future__ import annotations

import logging
from datetime import datetime

from babel.dates import format_datetime, get_timezone
from flask import current_app
from sqlalchemy import and_, func, or_, select

from ..database import utcnow
from ..extensions import db
from ..i18n import supported_language
from ..ideas.models import Idea
from ..outbox.models import OutboxMessage
from ..social import reply_templates
from ..social.compose import fit
from ..social.models import SocialAccount
from ..social.networks import limit_for, network
from ..timezones import default_zone, zone_label
from ..triage.models import Stage, StageRole
from ..urls import public_url
from .models import Campaign
from .services import campaign_counts

logger = logging.getLogger(__name__)

KINDS = {"open": "campaign_opened", "close": "campaign_closed"}  # reply-template kinds


def campaign_url(campaign: Campaign, *, results: bool = False) -> str:
    """The campaign page's (or its results page's) absolute public URL."""
    return public_url(f"/campaigns/{campaign.slug}" + ("/results" if results else ""))


def _deadline(campaign: Campaign, lang: str) -> str:
    """The deadline in the board's zone for lang ("12월 12일 18:00 KST", "Dec 12, 09:00 UTC")."""
    zone = get_timezone(default_zone(lang))
    fmt = "M월 d일 HH:mm" if lang == "ko" else "MMM d, HH:mm"
    local = format_datetime(campaign.closes_at, fmt, tzinfo=zone, locale=lang)
    return f"{local} {zone_label(campaign.closes_at, zone)}"


def launched_count(campaign: Campaign) -> int:
    """How many of the campaign's visible ideas are in the (public) launched stage."""
    return int(
        db.session.scalar(
            select(func.count(Idea.id))
            .join(Stage, Stage.id == Idea.stage_id)
            .where(
                Idea.campaign_id == campaign.id,
                Idea.hidden_at.is_(None),
                Stage.role == StageRole.LAUNCHED.value,
                Stage.is_public,
            )
        )
        or 0
    )


def compose(campaign: Campaign, which: str, account: SocialAccount, lang: str) -> str:
    """The text of the open or close post for account, within its post limit.

    The wording is the reply template in force for the account's network and lang (an
    admin's, else the built-in one); without "include the link" {url} is empty. Only the
    title is shortened; a custom wording that cannot fit even so (a long hashtag) gives way
    to the built-in one.
    """
    kind = KINDS[which]
    words = reply_templates.wording(kind, "", lang, account.network)
    values = {"hashtag": campaign.hashtag, "signature": account.signature or "IB"}
    if which == "open":
        url = campaign_url(campaign)
        values["deadline"] = _deadline(campaign, lang)
    else:
        url = campaign_url(campaign, results=True)
        values["ideas"] = str(campaign_counts(campaign)["ideas"])
        if "{launched}" in words.text:
            values["launched"] = str(launched_count(campaign))
    values["url"] = url if words.include_link else ""
    template = words.text
    if "{hashtag}" not in template:  # saved wordings must have it; never post without it
        template += " #{hashtag}"
    limit = limit_for(account)
    try:
        text = fit(template, campaign.title, limit, **values)
    except ValueError:
        logger.warning("the %s wording (%s) is too long for campaign %s on account %s; "
                       "using the built-in one", kind, lang, campaign.id, account.id)  # fmt: skip
        values["url"] = url
        default = reply_templates.default_text(kind, "", lang)
        text = fit(default, campaign.title, limit, **values)
    return " ".join(text.split())


def enqueue_announcement(campaign: Campaign, which: str) -> list[OutboxMessage]:
    """Queue the open or close post on every active brand account (once per account)."""
    lang = supported_language(str(current_app.config["IDEABOARD_DEFAULT_LOCALE"]), "en")
    rows: list[OutboxMessage] = []
    accounts = db.session.scalars(
        select(SocialAccount).where(SocialAccount.active).order_by(SocialAccount.id)
    )
    for account in accounts:
        post_kind = network(account.network).post_kind
        key = f"{post_kind}:campaign:{campaign.id}:{which}:account:{account.id}"
        if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)):
            continue
        row = OutboxMessage(
            kind=post_kind,
            account_id=account.id,
            dedupe_key=key,
            lang=lang,
            text=compose(campaign, which, account, lang),
            payload={"campaign": campaign.id, "announce": which},
        )
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    return rows


def queue_announcements(now: datetime | None = None) -> int:
    """Queue the posts of every campaign that opened or closed and has not announced it;
    return how many rows were written. Flushes; the caller commits."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Campaign)
        .where(
            Campaign.announce,
            or_(
                and_(Campaign.open_announced_at.is_(None), Campaign.opens_at <= now),
                and_(Campaign.close_announced_at.is_(None), Campaign.closes_at <= now),
            ),
        )
        .order_by(Campaign.id)
        .with_for_update(skip_locked=True, of=Campaign)  # two workers: one posts
    ).all()
    written = 0
    for campaign in due:
        if campaign.open_announced_at is None and campaign.opens_at <= now:
            # A campaign that closed before its opening was announced says only that it closed.
            if campaign.closes_at > now:
                written += len(enqueue_announcement(campaign, "open"))
            campaign.open_announced_at = now
        if campaign.close_announced_at is None and campaign.closes_at <= now:
            written += len(enqueue_announcement(campaign, "close"))
            campaign.close_announced_at = now
    db.session.flush()
    if written:
        logger.info("campaign announcements queued: %d", written)
    return written
