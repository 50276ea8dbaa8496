"""The app's form base: flask-wtf's FlaskForm, with an input guard on every field.

Every form in the app derives from this `FlaskForm` (tests/security checks it), so each field
refuses, as an error next to the field, what no field should take:

- control characters: C0, DEL and C1 in one-line fields; in text areas tab, line feed and
  carriage return are allowed (a NUL byte would otherwise reach the database, and PostgreSQL
  cannot store it);
- anything but text (a multipart file part sent under a text field's name);
- numbers that are not finite (`NaN`, `sNaN`, `Infinity`) in number fields, which would make
  range checks raise.

The guard runs before the field's own validators and stops them.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import flask_wtf
from flask_babel import gettext as _
from wtforms import Field, HiddenField, TextAreaField
from wtforms import SelectChoice as SelectChoice  # type: ignore[attr-defined]  # not in types-WTForms 3.2
from wtforms.validators import StopValidation

from .errors import DomainError
from .inputs import MULTILINE_CONTROL, SINGLE_LINE_CONTROL

# SelectChoice (re-exported for the forms and views) is WTForms 3.3's option type; plain
# tuples as choices are deprecated there. types-WTForms, whose newest release describes
# WTForms 3.2, does not know it yet, so mypy sees it as Any.


def _label(field: Field) -> str:
    text = field.label.text if field.label is not None else ""
    return str(text) or field.name


class NextField(HiddenField):
    """Where to go after the form: any text is taken, and redirects.safe_target replaces a
    target that is not a path on this site by a safe one (the guard does not refuse it)."""


def guard_field(form: Any, field: Field) -> None:
    """Refuse control characters, non-text parts and non-finite numbers in field."""
    if isinstance(field, NextField):
        return
    control = MULTILINE_CONTROL if isinstance(field, TextAreaField) else SINGLE_LINE_CONTROL
    for value in field.raw_data or ():
        if not isinstance(value, str):
            field.errors = []  # only the guard's message is shown
            raise StopValidation(_("%(label)s must be text, not a file.", label=_label(field)))
        if control.search(value):
            field.errors = []  # only the guard's message is shown
            raise StopValidation(
                _("%(label)s contains characters that are not allowed.", label=_label(field))
            )
    data = field.data
    if (isinstance(data, Decimal) and not data.is_finite()) or (
        isinstance(data, float) and not math.isfinite(data)
    ):
        field.errors = []  # only the guard's message is shown
        raise StopValidation(_("%(label)s must be a number.", label=_label(field)))


class FlaskForm(flask_wtf.FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped: FlaskForm is Any
    """flask-wtf's form with `guard_field` first in every field's validators."""

    class Meta(flask_wtf.FlaskForm.Meta):  # type: ignore[misc]  # flask-wtf is untyped: Meta is Any
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Field:
            field: Field = super().bind_field(form, unbound_field, options)
            field.validators = [guard_field, *field.validators]
            return field


def apply_domain_error(form: Any, error: DomainError, default: str | None = None) -> None:
    """Show a service's refusal on the form: on the field it names, else on `default`.

    With neither (or a name the form has no field for), the message becomes a form-level
    error (`form.form_errors`), which the `form_errors` macro shows above the fields.
    """
    for name in (error.field, default):
        if name and name in form:
            field = form[name]
            field.errors = [*field.errors, error.message]  # a tuple until the form validated
            return
    form.form_errors.append(error.message)
