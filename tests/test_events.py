"""Domain events: services publish, subscribers registered at app creation write in the same
transaction, and a failing subscriber takes the whole action down with it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from ideaboard.accounts.models import User
from ideaboard.events import (
    CommentAdded,
    Event,
    IdeaApproved,
    IdeaHidden,
    IdeaRestored,
    IdeasMerged,
    IdeaSubmitted,
    StageChanged,
    publish,
    subscribe,
    subscribers,
)
from ideaboard.extensions import db
from ideaboard.ideas import services as ideas
from ideaboard.ideas.models import Idea
from ideaboard.mail import notifications as mail
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social import subscribers as social
from ideaboard.triage import services as triage
from ideaboard.triage.models import StatusChange
from ideaboard.webhooks import subscribers as webhooks


@pytest.fixture
def seen(app: Flask) -> list[Event]:
    """Record every domain event the app publishes."""
    events: list[Event] = []
    for event_type in (
        IdeaSubmitted, IdeaApproved, StageChanged, IdeasMerged, CommentAdded, IdeaHidden,
        IdeaRestored,
    ):  # fmt: skip
        subscribe(app, event_type, events.append)
    return events


def test_create_app_subscribes_the_delivery_packages(app: Flask) -> None:
    assert subscribers(StageChanged, app) == [
        social.on_stage_changed,
        webhooks.on_stage_changed,
        mail.on_stage_changed,
    ]
    assert subscribers(IdeaSubmitted, app) == [webhooks.on_idea_submitted]
    assert subscribers(IdeaApproved, app) == [webhooks.on_idea_approved]
    assert subscribers(IdeasMerged, app) == [webhooks.on_ideas_merged, mail.on_ideas_merged]
    assert subscribers(CommentAdded, app) == [webhooks.on_comment_added, mail.on_comment_added]
    assert subscribers(IdeaHidden, app) == []


def test_subscribers_are_per_app(app_factory: Callable[..., Flask]) -> None:
    one, other = app_factory(), app_factory()
    subscribe(one, IdeaHidden, print)
    assert subscribers(IdeaHidden, one) == [print]
    assert subscribers(IdeaHidden, other) == []


def test_services_publish_what_happened(
    app: Flask, seen: list[Event], make_user: Callable[..., User]
) -> None:
    staff, author = make_user("staff", initials="KG"), make_user()
    idea = ideas.submit_idea(author, "Night mode for the bill page")
    comment = ideas.add_comment(staff, idea, "We are looking at it.")
    change = triage.change_stage(idea, triage.find_stage("under-review"), "On it", staff)
    triage.hide_idea(idea, staff, "spam")
    triage.restore_idea(idea, staff)
    other = ideas.submit_idea(author, "Dark mode for the bill page")
    merge = triage.merge_ideas(other, idea, staff)

    assert seen[:5] == [
        IdeaSubmitted(idea),
        CommentAdded(idea, comment, official=True),
        StageChanged(idea, change, staff, ()),
        IdeaHidden(idea, staff, "spam"),
        IdeaRestored(idea, staff),
    ]
    assert seen[5:] == [
        IdeaSubmitted(other),
        StageChanged(other, merge, staff, ()),
        IdeasMerged(other, idea, merge, staff),
    ]


def test_a_customer_comment_is_not_official(
    app: Flask, seen: list[Event], make_user: Callable[..., User], make_idea: Callable[..., Idea]
) -> None:
    idea = make_idea()
    seen.clear()
    comment = ideas.add_comment(make_user(), idea, "Yes please")
    assert seen == [CommentAdded(idea, comment, official=False)]


def test_subscribers_write_in_the_callers_transaction_and_fail_with_it(
    app: Flask, make_user: Callable[..., User], make_idea: Callable[..., Idea]
) -> None:
    idea = make_idea()
    staff = make_user("staff")

    def write_then_fail(event: StageChanged) -> None:
        db.session.add(OutboxMessage(kind="email", dedupe_key=f"mail:{event.change.id}", text="x"))
        db.session.flush()
        raise RuntimeError("the mail server table is gone")

    subscribe(app, StageChanged, write_then_fail)
    with pytest.raises(RuntimeError):
        triage.change_stage(idea, triage.find_stage("under-review"), "On it", staff)
    db.session.rollback()
    for model in (StatusChange, OutboxMessage):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0
    assert db.session.get(Idea, idea.id).stage.slug == "new"


def test_publish_without_subscribers_does_nothing(app: Flask, make_idea: Any) -> None:
    publish(IdeaHidden(make_idea(), None, "nobody listens"))  # type: ignore[arg-type]
