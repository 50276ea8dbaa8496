"""Idea forms: they check shape; the services check the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import FlaskForm


class IdeaForm(FlaskForm):
    title = StringField(
        _l("Title"),
        # Only a shape guard: the 5–140 rule is checked by the service after NFC
        # normalisation (a decomposed Korean title has three times the code points).
        validators=[DataRequired(), Length(max=600)],
        description=_l("One sentence: what should we make or change?"),
    )
    body = TextAreaField(
        _l("Description"),
        # A shape guard: the service's 20,000 counts after newline and NFC normalisation.
        validators=[Optional(), Length(max=80_000)],
        description=_l("Why it matters and how you would use it. Markdown works."),
    )
    category = SelectField(_l("Category"), choices=[], validators=[Optional()])


class CommentForm(FlaskForm):
    # A shape guard: the service's 5,000 counts after newline and NFC normalisation.
    body = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=20_000)])


class ActionForm(FlaskForm):
    """Only the CSRF token, for buttons that change state (follow, mark read)."""


class CommentEditForm(FlaskForm):
    body = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=20_000)])


class HideCommentForm(FlaskForm):
    reason = StringField(
        _l("Reason"),
        # A shape guard: the service's 200 counts after NFC normalisation.
        validators=[DataRequired(), Length(max=400)],
        description=_l("Shown to the comment's author, not to others."),
    )
