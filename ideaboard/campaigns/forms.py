"""Campaign forms: they check shape; campaigns.services checks the rules."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..forms import FlaskForm
from ..timezones import select_timezone


class CampaignForm(FlaskForm):
    title = StringField(
        _l("Title"),
        # Shape guards only: the service counts graphemes after NFC normalisation.
        validators=[Optional(), Length(max=600)],
        description=_l("Korean or English, e.g. \u201c5G 아이디어 모음\u201d."),
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=80_000)],
        description=_l("What ideas you are looking for, and what happens to them. Markdown works."),
    )
    hashtag = StringField(
        _l("Hashtag"),
        validators=[Optional(), Length(max=200)],
        description=_l("Posts mentioning a brand account with it become ideas in the campaign."),
    )
    category = SelectField(_l("Category"), choices=[], validators=[Optional()])
    opens_at = DateTimeLocalField(
        _l("Opens"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[Optional()],
        description=_l("Empty: now."),
    )
    closes_at = DateTimeLocalField(
        _l("Deadline"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[InputRequired(_l("Enter the closing date and time."))],
        description=_l("Ideas and votes close then."),
    )
    announce = BooleanField(_l("Announce on the brand accounts when it opens and closes"))
    slug = StringField(
        _l("Web address"),
        validators=[Optional(), Length(max=60)],
        description=_l("/campaigns/<address>: a–z, digits, hyphens. Empty: made from the title."),
    )


class CampaignIdeaForm(FlaskForm):
    """An idea submitted on a campaign's page (its category is the campaign's)."""

    title = StringField(
        _l("Title"),
        validators=[InputRequired(), Length(max=600)],
        description=_l("One sentence: what should we make or change?"),
    )
    body = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=80_000)],
        description=_l("Why it matters and how you would use it. Markdown works."),
    )


class CloseForm(FlaskForm):
    """Only the CSRF token: the close-now button."""


def staff_zone() -> str:
    """The zone staff type dates in: their own (or the site's, or their language's)."""
    return select_timezone()


def to_utc(local: datetime | None, zone: str) -> datetime | None:
    """A wall-clock time typed in zone as UTC (a time skipped by a DST change moves forward)."""
    if local is None:
        return None
    aware = local.replace(tzinfo=zoneinfo.ZoneInfo(zone), fold=0)
    return aware.astimezone(UTC)


def to_local(moment: datetime | None, zone: str) -> datetime | None:
    """A stored UTC time as the wall-clock time in zone (to fill the form)."""
    if moment is None:
        return None
    return moment.astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None, second=0, microsecond=0)
