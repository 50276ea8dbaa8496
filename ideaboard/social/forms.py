"""Staff forms of the social loop."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DecimalField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..forms import FlaskForm, SelectChoice


class AccountForm(FlaskForm):
    tags = StringField(
        _l("Idea tags"),
        validators=[DataRequired(), Length(max=500)],
        description=_l("Comma-separated hashtags without #, e.g. idea, 아이디어"),
    )
    signature = StringField(_l("Signature on acknowledgements"), validators=[Length(max=16)])
    moderation = SelectField(
        _l("Imported posts"),
        choices=[
            SelectChoice("publish", _l("Publish at once")),
            SelectChoice("hold", _l("Hold for staff approval")),
        ],
    )
    acknowledge = BooleanField(_l("Reply with the idea's link after import"))
    monthly_cap_usd = DecimalField(
        _l("Monthly spending cap (USD)"),
        places=2,
        validators=[Optional(), NumberRange(min=0, max=100_000)],
    )


class AddAccountForm(FlaskForm):
    """Connect another brand account (its credentials come from the environment)."""

    username = StringField(
        _l("X username"),
        validators=[DataRequired(), Length(max=16)],
        description=_l("Without @, e.g. hanbit_help."),
    )
    user_id = StringField(
        _l("X user id"),
        validators=[Optional(), Length(max=20)],
        description=_l(
            "The account's numeric id; leave empty when IDEABOARD_X_<USERNAME>_USER_ID is set."
        ),
    )
