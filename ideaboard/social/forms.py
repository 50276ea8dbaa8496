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


# The networks a brand account or a customer's handle can be on, as form choices.
NETWORK_CHOICES = (
    SelectChoice("x", "X"),
    SelectChoice("bluesky", "Bluesky"),
    SelectChoice("mastodon", "Mastodon"),
)


class AddAccountForm(FlaskForm):
    """Connect another brand account (its credentials come from the environment)."""

    network = SelectField(
        _l("Network"),
        choices=list(NETWORK_CHOICES),
        default="x",
    )
    username = StringField(
        _l("Username or handle"),
        validators=[DataRequired(), Length(max=253)],
        description=_l(
            "Without @. X: hanbit_help; Bluesky: the handle, hanbit.bsky.social; Mastodon: "
            "the username on its instance."
        ),
    )
    service = StringField(
        _l("Server"),
        validators=[Optional(), Length(max=300)],
        description=_l(
            "Bluesky and Mastodon only: the account's server, e.g. https://mastodon.social "
            "(empty: the configured one)."
        ),
    )
    user_id = StringField(
        _l("X user id"),
        validators=[Optional(), Length(max=20)],
        description=_l(
            "The account's numeric id; leave empty when IDEABOARD_X_<USERNAME>_USER_ID is set."
        ),
    )


class ClaimForm(FlaskForm):
    """A customer asks for a code to link a social handle (social.claims)."""

    network = SelectField(
        _l("Network"),
        choices=list(NETWORK_CHOICES),
    )
    handle = StringField(
        _l("Your handle"),
        validators=[DataRequired(), Length(max=255)],
        description=_l("e.g. @hanbit_fan on X, minsu.bsky.social, minsu@mastodon.social"),
    )
