"""`apply_domain_error`: one way to put a service's refusal on a page form."""

from __future__ import annotations

from flask import Flask, render_template_string
from flask_wtf import FlaskForm
from wtforms import StringField

from ideaboard.errors import Conflict, ValidationFailed
from ideaboard.forms import apply_domain_error


class _Form(FlaskForm):
    title = StringField("Title")
    body = StringField("Body")


def _form(app: Flask, prefix: str = "") -> _Form:
    with app.test_request_context("/", method="POST"):
        return _Form(meta={"csrf": False}, prefix=prefix)


def test_the_named_field_gets_the_message(app: Flask) -> None:
    form = _form(app)
    apply_domain_error(form, ValidationFailed("Too short.", field="body"), "title")
    assert list(form.body.errors) == ["Too short."]
    assert list(form.title.errors) == []
    assert form.form_errors == []


def test_prefixed_forms_are_addressed_by_the_short_name(app: Flask) -> None:
    form = _form(app, prefix="edit")
    apply_domain_error(form, ValidationFailed("Too short.", field="title"))
    assert list(form.title.errors) == ["Too short."]


def test_without_a_field_the_default_field_gets_it(app: Flask) -> None:
    form = _form(app)
    apply_domain_error(form, Conflict("Taken."), "title")
    apply_domain_error(form, Conflict("Also wrong.", field="no_such_field"), "title")
    assert list(form.title.errors) == ["Taken.", "Also wrong."]


def test_without_field_or_default_it_is_a_form_level_error_shown_by_the_macro(app: Flask) -> None:
    form = _form(app)
    apply_domain_error(form, Conflict("The idea was merged meanwhile."))
    assert form.form_errors == ["The idea was merged meanwhile."]
    with app.test_request_context("/"):
        html = render_template_string(
            '{% from "_macros/forms.html" import form_errors %}{{ form_errors(form) }}', form=form
        )
    assert '<p class="error" role="alert">The idea was merged meanwhile.</p>' in html
