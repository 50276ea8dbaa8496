"""What the public sees of the workflow: internal (non-public) stages are staff-only.

An idea in an internal stage shows the public its latest public stage; status changes into
internal stages, with their notes, are left out of public pages, the API for non-staff,
feeds and webhooks; a change out of an internal stage shows the public stage before it as
its origin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ..extensions import db
from .models import Stage, StatusChange

if TYPE_CHECKING:
    from ..ideas.models import Idea


def sees_internal(viewer: Any) -> bool:
    """Tell whether viewer (a user, the anonymous user or None) may see internal stages."""
    return bool(
        viewer is not None
        and getattr(viewer, "is_authenticated", False)
        and getattr(viewer, "is_staff", False)
    )


def first_public_stage() -> Stage | None:
    """Return the first public stage of the workflow."""
    return db.session.scalar(
        select(Stage).where(Stage.is_public).order_by(Stage.position, Stage.id).limit(1)
    )


def public_stage_before(idea: Idea, index: int) -> Stage | None:
    """Return the public stage the idea was in before its status change number index."""
    changes = idea.status_changes
    for change in reversed(changes[:index]):
        if change.to_stage.is_public:
            return change.to_stage
    origin = changes[0].from_stage if changes else idea.stage
    if origin is not None and origin.is_public:
        return origin
    return first_public_stage()


def public_stage(idea: Idea) -> Stage:
    """Return the stage the public sees for the idea: its own if public, else the last public."""
    if idea.stage.is_public:
        return idea.stage
    return public_stage_before(idea, len(idea.status_changes)) or idea.stage


def public_changes(idea: Idea) -> list[tuple[StatusChange, Stage | None]]:
    """Return the idea's status changes into public stages, each with its public origin."""
    shown = []
    for index, change in enumerate(idea.status_changes):
        if not change.to_stage.is_public:
            continue
        origin = change.from_stage
        if origin is not None and not origin.is_public:
            origin = public_stage_before(idea, index)
        shown.append((change, origin))
    return shown


def public_origin(change: StatusChange) -> Stage | None:
    """Return the stage the public sees a change come from (never an internal one)."""
    origin = change.from_stage
    if origin is None or origin.is_public:
        return origin
    changes = change.idea.status_changes
    index = next((i for i, c in enumerate(changes) if c.id == change.id), len(changes))
    return public_stage_before(change.idea, index)
