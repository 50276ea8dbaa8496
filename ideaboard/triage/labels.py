"""How the staff history names an edit, in the reader's language (stored in English)."""

from __future__ import annotations

from flask_babel import gettext as _


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


def edit_value(field: str, value: str | None) -> str:
    """Show an old or new value of an edit: team names and fixed reasons are translated."""
    if not value:
        return "—"
    if field == "team" or (field == "hidden" and value == "held for approval"):
        return str(_(value))
    if field == "merged_into" and value.isdigit():
        return f"#{value}"
    return value
