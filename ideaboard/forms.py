"""Form helpers shared by the page views."""

from __future__ import annotations

from typing import Any

from .errors import DomainError


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
