"""Moderation forms: they check shape; accounts.blocking checks the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import FlaskForm


class BlockForm(FlaskForm):
    # A shape guard: the service's 300 counts after NFC normalisation.
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(), Length(max=1_200)],
        description=_l("Shown to them whenever they try to post, vote, comment or follow."),
    )
