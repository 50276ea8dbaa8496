"""The staff activity feed: every kind of entry, newest first, names in the reader's language."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from ideaboard.extensions import db
from ideaboard.ideas import services as ideas
from ideaboard.triage import queries, services
from ideaboard.triage.models import Team
from tests.helpers import login

KO = {"Accept-Language": "ko-KR,ko;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


def test_the_feed_has_every_kind_newest_first(app, clock, make_user, make_idea):
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    staff = make_user("staff")
    idea, other = make_idea(category="app"), make_idea()
    billing = db.session.scalar(select(Team).where(Team.slug == "billing"))
    steps = [
        lambda: services.change_stage(idea, services.find_stage("under-review"), "Looking", staff),
        lambda: ideas.add_comment(staff, idea, "Official words"),
        lambda: services.add_note(idea, staff, "Between us"),
        lambda: services.edit_idea(idea, staff, title="A new title", category_slug="billing"),
        lambda: services.assign_idea(idea, staff, team=billing, assignee=staff),
        lambda: services.hide_idea(idea, staff, "spam"),
        lambda: services.restore_idea(idea, staff),
        lambda: services.merge_ideas(other, idea, staff),
    ]
    for step in steps:
        clock.advance(minutes=1)
        step()
    db.session.commit()
    ideas.add_comment(make_user(), idea, "A customer's comment is not in the staff feed")
    db.session.commit()
    feed, older = queries.activity(idea)
    assert older == 0
    assert [entry.created_at for entry in feed] == sorted(
        (entry.created_at for entry in feed), reverse=True
    )
    assert feed[0].kind == "merged_in"
    assert [e.kind for e in feed][::-1][:3] == ["stage", "answer", "note"]
    edits = [e.item.field for e in feed if e.kind == "edit"]
    assert set(edits) == {"title", "category", "team", "assignee", "hidden"}
    assert not any(
        getattr(e.item, "body", "") == "A customer's comment is not in the staff feed" for e in feed
    )
    # The merged idea's own feed shows where it went.
    assert "merged_into" in [e.item.field for e in queries.activity(other)[0] if e.kind == "edit"]


def test_the_feed_leaves_out_the_oldest_past_its_limit(app, make_user, make_idea):
    staff, idea = make_user("staff"), make_idea()
    for n in range(4):
        services.add_note(idea, staff, f"note {n}")
    db.session.commit()
    feed, older = queries.activity(idea, limit=3)
    assert older == 1
    assert [e.item.body for e in feed] == ["note 3", "note 2", "note 1"]


def test_history_shows_names_in_the_readers_language_never_slugs(client, make_user, make_idea):
    staff = make_user("staff")
    idea = make_idea(category="app")
    billing = db.session.scalar(select(Team).where(Team.slug == "billing"))
    services.edit_idea(idea, staff, title=idea.title, category_slug="billing")
    services.assign_idea(idea, staff, team=billing, assignee=None)
    db.session.commit()
    login(client, staff)
    korean = client.get(f"/staff/ideas/{idea.id}", headers=KO).get_data(as_text=True)
    feed = korean[korean.index('id="activity-heading"') :]
    assert "앱·웹사이트 → 요금·결제" in feed  # category, was stored as slugs app → billing
    assert "— → 요금" in feed  # team, stored by its English name
    assert "app →" not in feed
    english = client.get(f"/staff/ideas/{idea.id}", headers=EN).get_data(as_text=True)
    feed = english[english.index('id="activity-heading"') :]
    assert "App &amp; website → Billing &amp; payments" in feed
    assert "— → Billing" in feed


def test_an_answer_its_author_deleted_leaves_the_feed(app, make_user, make_idea):
    """A deleted comment is an empty placeholder (its text is gone): the feed skips it."""
    staff, idea = make_user("staff"), make_idea()
    kept = ideas.add_comment(staff, idea, "This answer stays")
    gone = ideas.add_comment(staff, idea, "This answer is deleted")
    db.session.commit()
    ideas.delete_comment(staff, gone)
    db.session.commit()
    answers = [e.item for e in queries.activity(idea)[0] if e.kind == "answer"]
    assert [a.id for a in answers] == [kept.id]
