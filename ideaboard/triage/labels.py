"""How the staff history names an edit, in the reader's language.

Edits store what they changed as text: a category by its slug, a team by its English name
(older rows) and so on. They are shown by the record's current name in the reader's language
(`i18n.display_name`), never as a raw slug; a value whose record is gone is shown as stored.
"""

from __future__ import annotations

from typing import cast

from flask_babel import gettext as _
from sqlalchemy import or_, select

from ..extensions import db
from ..i18n import display_name


def edit_field_label(field: str) -> str:
    """Name an edited field of an idea ("title", "team", …) for people."""
    names: dict[str, str] = {
        "title": _("Title"),
        "category": _("Category"),
        "team": _("Team"),
        "assignee": _("Assignee"),
        "hidden": _("Hidden"),
        "merged_into": _("Merged into"),
    }
    return names.get(field, field)


def _named(field: str, value: str) -> str | None:
    """The current name (reader's language) of the category or team a stored value names."""
    from ..ideas.models import Category
    from .models import Team

    model: type[Category] | type[Team] = Category if field == "category" else Team
    query = (
        select(model)
        .where(or_(model.slug == value, model.name == value, model.name_ko == value))
        .order_by((model.slug == value).desc(), model.id)
        .limit(1)
    )
    found = cast("Category | Team | None", db.session.scalars(query).first())
    return display_name(found) if found is not None else None


def edit_value(field: str, value: str | None) -> str:
    """Show an old or new value of an edit: categories and teams by their name in the
    reader's language, fixed reasons translated, idea numbers as #n."""
    if not value:
        return "—"
    if field in ("category", "team"):
        return _named(field, value) or (str(_(value)) if field == "team" else value)
    if field == "hidden" and value == "held for approval":
        return str(_(value))
    if field == "merged_into" and value.isdigit():
        return f"#{value}"
    return value
