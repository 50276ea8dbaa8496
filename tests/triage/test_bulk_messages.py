"""The staff inbox's bulk change says how many ideas moved, and never "0 moved" in green."""

from __future__ import annotations

import re

from ideaboard.extensions import db
from ideaboard.triage import services
from tests.helpers import login, post

KO = {"Accept-Language": "ko-KR,ko;q=0.9"}


def _flashes(client, headers=None) -> list[tuple[str, str]]:
    html = client.get("/staff/", headers=headers or {}).get_data(as_text=True)
    return re.findall(r'<p class="flash flash-(\w+)">([^<]*)</p>', html)


def _bulk(client, stage, ideas):
    return post(
        client,
        "/staff/bulk-stage",
        {"stage": stage, "note": "Moving these", "ideas": [str(i.id) for i in ideas]},
    )


def test_one_idea_moved_is_singular_and_green(client, make_user, make_idea):
    idea = make_idea()
    login(client, make_user("staff"))
    assert _bulk(client, "under-review", [idea]).status_code == 302
    assert _flashes(client) == [("success", "1 idea moved.")]


def test_some_moved_counts_them_and_lists_the_refused(client, make_user, make_idea):
    a, b, c = make_idea(), make_idea(), make_idea()
    services.change_stage(c, services.find_stage("planned"), "x", make_user("staff"))
    db.session.commit()
    login(client, make_user("staff"))
    assert _bulk(client, "planned", [a, b, c]).status_code == 302
    assert _flashes(client) == [
        ("success", "2 ideas moved."),
        ("error", f"#{c.id} not moved: cannot move from Planned to Planned"),
    ]


def test_nothing_moved_is_a_warning_that_says_why(client, make_user, make_idea):
    staff = make_user("staff")
    a, b = make_idea(), make_idea()
    for idea in (a, b):
        services.change_stage(idea, services.find_stage("planned"), "x", staff)
    db.session.commit()
    login(client, staff)
    assert _bulk(client, "planned", [a, b]).status_code == 302
    flashes = _flashes(client)
    assert flashes[0] == (
        "warning",
        "Nothing was moved: none of the 2 selected ideas can move to Planned from their stage.",
    )
    assert [category for category, _text in flashes[1:]] == ["error", "error"]
    assert not any(category == "success" for category, _text in flashes)


def test_nothing_moved_in_korean(client, make_user, make_idea):
    staff = make_user("staff")
    idea = make_idea()
    services.change_stage(idea, services.find_stage("planned"), "x", staff)
    db.session.commit()
    login(client, staff)
    response = post(
        client,
        "/staff/bulk-stage",
        {"stage": "planned", "note": "x", "ideas": [str(idea.id)]},
        headers=KO,
    )
    assert response.status_code == 302
    category, text = _flashes(client, KO)[0]
    assert category == "warning"
    assert "0" not in text
    assert "옮긴 아이디어가 없습니다" in text
