"""Saved replies: staff manage them per language; the idea page inserts one into a box."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from ideaboard.errors import Conflict, PermissionDenied, ValidationFailed
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.triage import queries, services
from ideaboard.triage.models import SavedReply
from tests.helpers import login, post


def count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(SavedReply)) or 0)


def test_staff_add_change_and_delete_saved_replies_through_the_page(client, make_user):
    login(client, make_user("staff"))
    added = post(
        client,
        "/staff/saved-replies",
        {"title": "Thanks, planned", "lang": "en", "body": "Thanks! It is **planned**."},
    )
    assert added.status_code == 302
    (reply,) = db.session.scalars(select(SavedReply))
    page = client.get("/staff/saved-replies").get_data(as_text=True)
    assert "Thanks, planned" in page
    changed = post(
        client,
        f"/staff/saved-replies/{reply.id}",
        {"title": "감사 인사", "lang": "ko", "body": "의견 감사합니다."},
    )
    assert changed.status_code == 302
    db.session.refresh(reply)
    assert (reply.title, reply.lang, reply.body) == ("감사 인사", "ko", "의견 감사합니다.")
    text = client.get(f"/staff/saved-replies/{reply.id}/text").get_json()
    assert text["body"] == "의견 감사합니다."
    assert post(client, f"/staff/saved-replies/{reply.id}/delete").status_code == 302
    assert count() == 0


def test_a_refused_saved_reply_keeps_what_was_typed(client, make_user):
    staff = make_user("staff")
    services.add_saved_reply(staff, title="Planned", body="It is planned.", lang="en")
    db.session.commit()
    login(client, staff)
    same = post(
        client, "/staff/saved-replies", {"title": "planned", "lang": "en", "body": "Typed text"}
    )
    html = same.get_data(as_text=True)
    assert same.status_code == 422
    assert "already has this title" in html
    assert "Typed text</textarea>" in html
    assert count() == 1
    # The same title in the other language is another reply.
    other = post(client, "/staff/saved-replies", {"title": "Planned", "lang": "ko", "body": "계획"})
    assert other.status_code == 302
    assert count() == 2
    for bad in (
        {"title": "", "lang": "en", "body": "x"},
        {"title": "T" * 121, "lang": "en", "body": "x"},
        {"title": "Long", "lang": "en", "body": "x" * 5_001},
        {"title": "Lang", "lang": "fr", "body": "x"},
    ):
        assert post(client, "/staff/saved-replies", bad).status_code == 422, bad
    assert count() == 2


def test_the_service_rules(app, make_user):
    staff, customer = make_user("staff"), make_user()
    with pytest.raises(PermissionDenied):
        services.add_saved_reply(customer, title="T", body="B", lang="en")
    with pytest.raises(ValidationFailed):
        services.add_saved_reply(staff, title="T", body="B", lang="de")
    first = services.add_saved_reply(staff, title="Same", body="B", lang="en")
    second = services.add_saved_reply(staff, title="Other", body="B", lang="en")
    with pytest.raises(Conflict):
        services.update_saved_reply(second, staff, title="SAME", body="B", lang="en")
    services.update_saved_reply(first, staff, title="Same", body="New", lang="en")  # itself
    assert first.body == "New"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/staff/saved-replies"),
        ("POST", "/staff/saved-replies"),
        ("GET", "/staff/saved-replies/{id}"),
        ("POST", "/staff/saved-replies/{id}"),
        ("POST", "/staff/saved-replies/{id}/delete"),
        ("GET", "/staff/saved-replies/{id}/text"),
    ],
)
def test_customers_cannot_see_or_change_saved_replies(client, make_user, method, path):
    reply = services.add_saved_reply(make_user("staff"), title="T", body="Secret", lang="en")
    db.session.commit()
    login(client, make_user())
    path = path.format(id=reply.id)
    form = {"title": "Changed", "lang": "en", "body": "Changed"}
    response = client.get(path) if method == "GET" else post(client, path, form)
    assert response.status_code == 403
    assert "Secret" not in response.get_data(as_text=True)
    db.session.refresh(reply)
    assert reply.title == "T"


def test_the_idea_page_lists_the_ideas_language_first_and_prefills_without_js(
    client, make_user, make_idea
):
    staff = make_user("staff")
    en = services.add_saved_reply(staff, title="A thanks", body="Thanks!", lang="en")
    ko = services.add_saved_reply(staff, title="Z 감사", body="감사합니다, 검토할게요.", lang="ko")
    korean_author = make_user(locale="ko")
    idea = make_idea(korean_author, title="데이터 이월 해 주세요")
    db.session.commit()
    assert [r.id for r in queries.saved_replies("ko")] == [ko.id, en.id]
    assert [r.id for r in queries.saved_replies("en")] == [en.id, ko.id]
    login(client, staff)
    page = client.get(f"/staff/ideas/{idea.id}").get_data(as_text=True)
    options = re.findall(r'<option value="(\d+)">', page[page.index('name="reply"') :])
    assert options[:2] == [str(ko.id), str(en.id)]
    for into, name in (("answer", "answer-body"), ("stage", "stage-note"), ("note", "note-body")):
        page = client.get(f"/staff/ideas/{idea.id}?reply={ko.id}&into={into}").get_data(True)
        assert re.search(rf'name="{name}"[^>]*>\s*감사합니다, 검토할게요.</textarea>', page), into
    # Unknown replies, boxes or numbers are ignored, never a 500.
    for query in ("reply=999999&into=answer", f"reply={ko.id}&into=x", "reply=1e9&into=note"):
        response = client.get(f"/staff/ideas/{idea.id}?{query}")
        assert response.status_code == 200
        assert "감사합니다, 검토할게요.</textarea>" not in response.get_data(True)
    assert db.session.get(Idea, idea.id) is not None
