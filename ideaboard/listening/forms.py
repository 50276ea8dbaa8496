"""Staff forms of the listening inbox (each also carries the state the staff member saw)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import FlaskForm, NextField
from .inbox import REPLY_MAX_CHARS


class InboxActionForm(FlaskForm):
    """Convert, dismiss, reopen: the CSRF token, the state seen, where to go back to."""

    state = HiddenField(validators=[DataRequired(), Length(max=16)])
    next = NextField()


class ReplyForm(InboxActionForm):
    # Empty is refused by the service with its own message (the text is kept on the form).
    text = TextAreaField(_l("Reply"), validators=[Length(max=REPLY_MAX_CHARS)])


class RouteForm(InboxActionForm):
    team = SelectField(_l("Team"), choices=[], coerce=int)
