"""Forms for API tokens (profile page) and webhooks (staff page): shape only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, StringField, URLField, widgets
from wtforms.validators import DataRequired, Length

from ..forms import FlaskForm, SelectChoice
from ..webhooks.enqueue import EVENTS


class TokenForm(FlaskForm):
    name = StringField(
        _l("Token name"),
        validators=[DataRequired(), Length(max=320)],
        description=_l("Where you will use it, e.g. “help desk”."),
    )


class WebhookForm(FlaskForm):
    url = URLField(_l("URL"), validators=[DataRequired(), Length(max=2000)])
    events = SelectMultipleField(
        _l("Events"),
        choices=[SelectChoice(event, event) for event in EVENTS],
        validators=[DataRequired()],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )
