"""Staff forms: they check shape; the services check the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..forms import FlaskForm, SelectChoice
from ..i18n import LANGUAGE_NAMES


class StageForm(FlaskForm):
    stage = SelectField(_l("New stage"), choices=[], validators=[DataRequired()])
    note = TextAreaField(
        _l("Public note"),
        validators=[DataRequired(), Length(max=20_000)],
        description=_l("Shown on the idea's timeline, sent to followers and echoed on X."),
    )


class AssignForm(FlaskForm):
    team = SelectField(_l("Team"), choices=[], validators=[Optional()])
    assignee = SelectField(_l("Assignee"), choices=[], validators=[Optional()])


class EditForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=600)])
    category = SelectField(_l("Category"), choices=[], validators=[Optional()])


class HideForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])


class MergeForm(FlaskForm):
    target = IntegerField(
        _l("Merge into idea number"),
        validators=[DataRequired(), NumberRange(min=1, max=2**31 - 1)],
    )
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=20_000)])


class AnswerForm(FlaskForm):
    body = TextAreaField(
        _l("Official answer"),
        validators=[DataRequired(), Length(max=20_000)],
        description=_l("Public: shown as an official comment and e-mailed to followers."),
    )


class NoteForm(FlaskForm):
    body = TextAreaField(
        _l("Internal note"),
        validators=[DataRequired(), Length(max=20_000)],
        description=_l("Staff only: never shown to customers, sent or published."),
    )


class SavedReplyForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=600)])
    lang = SelectField(
        _l("Language"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
        validators=[DataRequired()],
    )
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=20_000)])


class BulkStageForm(FlaskForm):
    stage = SelectField(_l("Move the selected ideas to"), choices=[], validators=[DataRequired()])
    note = TextAreaField(_l("Public note"), validators=[DataRequired(), Length(max=20_000)])


class StageEditForm(FlaskForm):
    slug = StringField(_l("Short name"), validators=[Optional(), Length(max=40)])
    # Either name may be left empty (not both: the service says so); pages fall back to the other.
    name = StringField(_l("English name"), validators=[Optional(), Length(max=60)])
    name_ko = StringField(_l("Korean name"), validators=[Optional(), Length(max=60)])
    color = StringField(_l("Colour"), validators=[DataRequired(), Length(max=7)], default="#475569")
    position = IntegerField(_l("Order"), validators=[Optional(), NumberRange(min=0, max=10_000)])
    is_open = BooleanField(_l("Open (voting allowed)"), default=True)
    is_public = BooleanField(_l("Public"), default=True)
    roadmap_column = SelectField(
        _l("Roadmap column"),
        choices=[
            SelectChoice("", _l("Not on the roadmap")),
            SelectChoice("planned", _l("Planned")),
            SelectChoice("in_progress", _l("In Progress")),
        ],
        validators=[Optional()],
        description=_l("Where this stage's public ideas appear on the roadmap page."),
    )


class TeamForm(FlaskForm):
    slug = StringField(_l("Short name"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("English name"), validators=[Optional(), Length(max=60)])
    name_ko = StringField(_l("Korean name"), validators=[Optional(), Length(max=60)])


class NamesForm(FlaskForm):
    """Rename a team or a category in both languages."""

    name = StringField(_l("English name"), validators=[Optional(), Length(max=60)])
    name_ko = StringField(_l("Korean name"), validators=[Optional(), Length(max=60)])


class TeamMemberForm(FlaskForm):
    user = SelectField(_l("Staff member"), choices=[], validators=[DataRequired()])


class SaveFilterForm(FlaskForm):
    """Save the inbox's current filter and sort under a name (the query comes along hidden)."""

    name = StringField(_l("Name of this filter"), validators=[DataRequired(), Length(max=60)])
    query = HiddenField(validators=[Optional(), Length(max=2_000)])
