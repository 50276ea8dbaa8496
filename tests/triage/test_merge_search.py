"""Merge by searching the target by title: the JSON for the page's search and the no-JS list."""

from __future__ import annotations

import re

from sqlalchemy import select

from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.triage import queries, services
from tests.helpers import login, post


def test_candidates_match_the_title_and_leave_out_self_hidden_and_merged(
    client, make_user, make_idea
):
    staff = make_user("staff")
    idea = make_idea(title="Dark mode for the app")
    target = make_idea(title="Dark mode everywhere")
    hidden = make_idea(title="Dark mode please")
    merged = make_idea(title="Dark mode at night")
    make_idea(title="Family plan discounts")
    services.hide_idea(hidden, staff, "spam")
    services.merge_ideas(merged, target, staff)
    db.session.commit()
    found = queries.merge_candidates(idea, "dark mode")
    assert [i.id for i in found] == [target.id]
    assert [i.id for i in queries.merge_candidates(idea, f"#{target.id}")] == [target.id]
    assert queries.merge_candidates(idea, "") == []
    login(client, staff)
    body = client.get(f"/staff/ideas/{idea.id}/merge-candidates?q=dark").get_json()
    assert body["items"] == [
        {
            "id": target.id,
            "title": "Dark mode everywhere",
            "stage": "New",
            "votes": target.score,
            "url": f"/staff/ideas/{target.id}",
        }
    ]
    assert client.get(f"/staff/ideas/{idea.id}/merge-candidates?q=").get_json() == {"items": []}


def test_korean_titles_are_found(app, make_user, make_idea):
    idea = make_idea(title="데이터 이월 해 주세요")
    target = make_idea(title="남은 데이터 이월 서비스")
    assert [i.id for i in queries.merge_candidates(idea, "데이터 이월")] == [target.id]


def test_without_js_the_page_lists_candidates_and_merges_into_the_chosen_one(
    client, make_user, make_idea
):
    staff = make_user("staff")
    idea = make_idea(title="Dark mode for the app")
    target = make_idea(title="Dark mode everywhere")
    login(client, staff)
    page = client.get(f"/staff/ideas/{idea.id}?merge_q=dark+mode").get_data(as_text=True)
    listed = page[page.index('id="merge-results"') :]
    assert f"#{target.id} Dark mode everywhere" in listed
    assert f"#{idea.id} Dark mode for the app" not in listed
    assert re.search(rf'name="merge-target" value="{target.id}"', listed)
    nothing = client.get(f"/staff/ideas/{idea.id}?merge_q=zzzz").get_data(as_text=True)
    assert "No idea matches." in nothing
    response = post(client, f"/staff/ideas/{idea.id}/merge", {"merge-target": str(target.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).merged_into_id == target.id


def test_the_numeric_field_still_merges(client, make_user, make_idea):
    idea, target = make_idea(), make_idea()
    login(client, make_user("staff"))
    response = post(
        client, f"/staff/ideas/{idea.id}/merge", {"merge-target": str(target.id), "merge-note": ""}
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Idea.merged_into_id).where(Idea.id == idea.id)) == target.id


def test_customers_cannot_search_candidates(client, make_user, make_idea):
    idea = make_idea(title="Secret staff search")
    make_idea(title="Secret other idea")
    login(client, make_user())
    response = client.get(f"/staff/ideas/{idea.id}/merge-candidates?q=secret")
    assert response.status_code == 403
    assert "Secret other idea" not in response.get_data(as_text=True)
