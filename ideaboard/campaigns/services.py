"""Campaign rules: create, edit, close now; which campaign a hashtag names; the deadline.

Services add and flush; the caller commits. Every rule that looks at the time asks
`database.utcnow()` at the moment of the request (a campaign's state is never stored).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..accounts.models import User
from ..database import utcnow
from ..errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ..extensions import db
from ..ideas.models import Category, Idea
from ..ideas.permissions import can_triage
from ..text import check_length, clean_text, render_markdown
from ..timezones import zone_label
from .models import Campaign, CampaignState

TITLE_MIN, TITLE_MAX, TITLE_STORED_MAX = 3, 120, 480
DESCRIPTION_MAX = 20_000
HASHTAG_MAX = 50  # characters after the "#"
SLUG_MAX = 60
# A hashtag word as the networks read one: letters, digits (any script) and underscores, not
# only digits (X and Mastodon do not link "#2026").
_HASHTAG = re.compile(r"^\w+$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class CampaignClosed(Conflict):
    """The campaign's deadline has passed: it takes no more ideas or votes."""

    code = "campaign_closed"


def fold_hashtag(tag: str) -> str:
    """The form hashtags are compared in: no "#", NFC, casefolded (as the importer folds tags)."""
    return unicodedata.normalize("NFC", tag.strip().lstrip("#")).casefold()


def clean_hashtag(raw: str | None) -> str:
    """Return the hashtag as stored (NFC, no "#"), or raise ValidationFailed."""
    tag = unicodedata.normalize("NFC", (raw or "").strip())
    tag = tag[1:] if tag.startswith("#") else tag
    if not tag:
        raise ValidationFailed(_("Hashtag is required."), field="hashtag")
    if len(tag) > HASHTAG_MAX:
        raise ValidationFailed(
            _("A hashtag has at most %(n)d characters.", n=HASHTAG_MAX), field="hashtag"
        )
    if not _HASHTAG.match(tag) or tag.isdigit():
        raise ValidationFailed(
            _(
                "A hashtag is one word of letters, digits or underscores (not only digits), "
                "such as #5G아이디어."
            ),
            field="hashtag",
        )
    return tag


def clean_campaign_title(raw: str | None) -> str:
    """Return the title as stored, or raise ValidationFailed."""
    title = clean_text(raw, field="title", label=_("Title"))
    check_length(
        title,
        field="title",
        label=_("Title"),
        minimum=TITLE_MIN,
        maximum=TITLE_MAX,
        stored_max=TITLE_STORED_MAX,
    )
    return title


def clean_description(raw: str | None) -> str:
    """Return the Markdown description as stored, or raise ValidationFailed."""
    text = clean_text(raw, field="description", label=_("Description"), multiline=True)
    check_length(
        text,
        field="description",
        label=_("Description"),
        minimum=0,
        maximum=DESCRIPTION_MAX,
        stored_max=None,
    )
    return text


def _category(slug: str | None) -> Category | None:
    if not slug:
        return None
    category = db.session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        raise ValidationFailed(_("Choose one of the listed categories."), field="category")
    return category


def _slug_from(title: str, hashtag: str) -> str:
    """An ASCII slug from the title (or the hashtag), unique among campaigns."""
    for source in (title, hashtag):
        ascii_text = unicodedata.normalize("NFKD", source).encode("ascii", "ignore").decode()
        base = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40].strip("-")
        if len(base) >= 2:
            break
    else:
        base = "campaign"
    slug, n = base, 1
    while db.session.scalar(select(Campaign.id).where(Campaign.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _clean_slug(raw: str | None, campaign: Campaign | None) -> str | None:
    slug = (raw or "").strip().lower()
    if not slug:
        return None
    if len(slug) > SLUG_MAX or not _SLUG.match(slug):
        raise ValidationFailed(
            _("A web address uses lowercase letters a–z, digits and hyphens only."), field="slug"
        )
    taken = db.session.scalar(select(Campaign.id).where(Campaign.slug == slug))
    if taken is not None and (campaign is None or taken != campaign.id):
        raise ValidationFailed(_("Another campaign uses this web address."), field="slug")
    return slug


def _check_dates(
    opens_at: datetime | None, closes_at: datetime | None, now: datetime, *, opening: bool
) -> datetime:
    """Return opens_at (now if not given) after checking the window."""
    if closes_at is None:
        raise ValidationFailed(_("Enter the closing date and time."), field="closes_at")
    start = opens_at or now
    if opening and closes_at <= now:
        raise ValidationFailed(_("The deadline must be in the future."), field="closes_at")
    if closes_at <= start:
        raise ValidationFailed(_("The deadline must be after the opening."), field="closes_at")
    return start


def _check_hashtag_free(key: str, closes_at: datetime, now: datetime, own: int | None) -> None:
    """A hashtag names one campaign at a time: refuse one used by a campaign not closed."""
    if closes_at <= now:
        return  # a closed campaign names nothing any more: it may share its old hashtag
    query = select(Campaign.id).where(Campaign.hashtag_key == key, Campaign.closes_at > now)
    if own is not None:
        query = query.where(Campaign.id != own)
    if db.session.scalar(query.limit(1)) is not None:
        raise ValidationFailed(
            _("Another campaign that is not closed uses this hashtag."), field="hashtag"
        )


def _require_staff(by: User) -> None:
    if not can_triage(by):
        raise PermissionDenied(_("Only staff can do this."))


def create_campaign(
    by: User,
    *,
    title: str | None,
    description: str | None = "",
    hashtag: str | None,
    category_slug: str | None = None,
    opens_at: datetime | None = None,
    closes_at: datetime | None,
    announce: bool = False,
    slug: str | None = None,
) -> Campaign:
    """Create a campaign (open at once unless opens_at is later); staff only."""
    _require_staff(by)
    now = utcnow()
    title = clean_campaign_title(title)
    text = clean_description(description)
    tag = clean_hashtag(hashtag)
    category = _category(category_slug)
    start = _check_dates(opens_at, closes_at, now, opening=True)
    assert closes_at is not None  # checked above
    _check_hashtag_free(fold_hashtag(tag), closes_at, now, None)
    campaign = Campaign(
        slug=_clean_slug(slug, None) or _slug_from(title, tag),
        title=title,
        description=text,
        description_html=render_markdown(text),
        hashtag=tag,
        hashtag_key=fold_hashtag(tag),
        category=category,
        opens_at=start,
        closes_at=closes_at,
        announce=announce,
        created_by_id=by.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(campaign)
    db.session.flush()
    return campaign


def update_campaign(
    campaign: Campaign,
    by: User,
    *,
    title: str | None,
    description: str | None = "",
    hashtag: str | None,
    category_slug: str | None = None,
    opens_at: datetime | None = None,
    closes_at: datetime | None,
    announce: bool = False,
    slug: str | None = None,
) -> Campaign:
    """Change a campaign. A new deadline must be in the future (reopening one is allowed)."""
    _require_staff(by)
    now = utcnow()
    title = clean_campaign_title(title)
    text = clean_description(description)
    tag = clean_hashtag(hashtag)
    category = _category(category_slug)
    new_slug = _clean_slug(slug, campaign)
    # The form shows times to the minute: the same minute is the deadline left as it was.
    if closes_at is not None and closes_at == campaign.closes_at.replace(second=0, microsecond=0):
        closes_at = campaign.closes_at
    already_open = campaign.opens_at <= now
    # A campaign that opened keeps its opening; a deadline that is changed must lie ahead.
    start = campaign.opens_at if already_open else (opens_at or now)
    if closes_at != campaign.closes_at:
        start = _check_dates(start, closes_at, now, opening=True)
    else:
        start = _check_dates(start, closes_at, now, opening=False)
    assert closes_at is not None
    _check_hashtag_free(fold_hashtag(tag), closes_at, now, campaign.id)
    reopened = campaign.closes_at <= now < closes_at
    campaign.title = title
    campaign.description = text
    campaign.description_html = render_markdown(text)
    campaign.hashtag = tag
    campaign.hashtag_key = fold_hashtag(tag)
    campaign.category = category
    campaign.opens_at = start
    campaign.closes_at = closes_at
    campaign.announce = announce
    if new_slug:
        campaign.slug = new_slug
    if reopened:
        campaign.close_announced_at = None  # a new deadline gets its own closing post
    campaign.updated_at = now
    db.session.flush()
    return campaign


def close_now(campaign: Campaign, by: User) -> None:
    """End a campaign at once: its deadline becomes now."""
    _require_staff(by)
    now = utcnow()
    if campaign.closes_at <= now:
        raise Conflict(_("This campaign is closed already."))
    campaign.closes_at = now
    if campaign.opens_at > now:
        campaign.opens_at = now
    campaign.updated_at = now
    db.session.flush()


def get_campaign(slug: str, viewer: User | None = None) -> Campaign:
    """Return the campaign the viewer may see (upcoming ones are staff-only), or NotFound."""
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug[:SLUG_MAX]))
    if campaign is None or (campaign.state is CampaignState.UPCOMING and not can_triage(viewer)):
        raise NotFound(_("There is no campaign at this address."))
    return campaign


def public_campaigns() -> list[Campaign]:
    """Open campaigns (closing soonest first), then closed ones (latest deadline first)."""
    now = utcnow()
    rows = db.session.scalars(select(Campaign).where(Campaign.opens_at <= now)).all()
    open_ = sorted((c for c in rows if c.closes_at > now), key=lambda c: (c.closes_at, c.id))
    closed = sorted(
        (c for c in rows if c.closes_at <= now), key=lambda c: (c.closes_at, c.id), reverse=True
    )
    return open_ + closed


def any_public_campaign() -> bool:
    """Whether the public campaigns page has something to show (the main nav's link)."""
    return (
        db.session.scalar(select(Campaign.id).where(Campaign.opens_at <= utcnow()).limit(1))
        is not None
    )


def all_campaigns() -> list[Campaign]:
    """Every campaign for staff, newest first."""
    return list(db.session.scalars(select(Campaign).order_by(Campaign.id.desc())))


def deadline_text(campaign: Campaign) -> str:
    """The deadline as the reader reads it (their zone, their language)."""
    return f"{format_datetime(campaign.closes_at, 'medium')} {zone_label(campaign.closes_at)}"


def ensure_takes_ideas(campaign: Campaign) -> None:
    """Refuse an idea for a campaign that is not open now."""
    state = campaign.state
    if state is CampaignState.CLOSED:
        raise CampaignClosed(
            _(
                "This campaign closed on %(date)s: it takes no more ideas.",
                date=deadline_text(campaign),
            ),
            field="campaign",
        )
    if state is CampaignState.UPCOMING:
        raise CampaignClosed(_("This campaign has not opened yet."), field="campaign")


def voting_closed_message(idea: Idea) -> str:
    """Why the idea takes no votes: its campaign's deadline, or its stage."""
    if idea.campaign_closed and idea.campaign is not None:
        return str(
            _(
                "This idea's campaign closed on %(date)s: voting has ended.",
                date=deadline_text(idea.campaign),
            )
        )
    return str(_("Voting on this idea is closed."))


def find_for_submission(slug: str | None) -> Campaign | None:
    """The campaign an idea is submitted to by its slug (None: none); refused if not open."""
    if not slug:
        return None
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug[:SLUG_MAX]))
    if campaign is None or campaign.state is CampaignState.UPCOMING:
        raise ValidationFailed(_("There is no open campaign called %(c)s.", c=slug[:SLUG_MAX]),
                               field="campaign")  # fmt: skip
    ensure_takes_ideas(campaign)
    return campaign


def campaign_for_hashtags(hashtags: list[str], when: datetime) -> Campaign | None:
    """The campaign one of the hashtags names at `when`: an open one first, else the one that
    closed last (an upcoming campaign's hashtag names nothing yet)."""
    keys = {fold_hashtag(tag) for tag in hashtags if tag}
    if not keys:
        return None
    found = db.session.scalars(
        select(Campaign).where(Campaign.hashtag_key.in_(sorted(keys)), Campaign.opens_at <= when)
    ).all()
    if not found:
        return None
    open_ = [c for c in found if c.closes_at > when]
    if open_:
        return min(open_, key=lambda c: c.closes_at)
    return max(found, key=lambda c: (c.closes_at, c.id))


def campaign_counts(campaign: Campaign) -> dict[str, int]:
    """Ideas and votes of the campaign (visible ideas only)."""
    row = db.session.execute(
        select(
            func.count(Idea.id),
            func.coalesce(func.sum(Idea.up_count + Idea.down_count), 0),
            func.coalesce(func.sum(Idea.comment_count), 0),
        ).where(Idea.campaign_id == campaign.id, Idea.hidden_at.is_(None))
    ).one()
    return {"ideas": int(row[0]), "votes": int(row[1]), "comments": int(row[2])}
