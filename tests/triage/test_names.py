"""Stages, categories and teams carry an English and a Korean name (issue 15, item 8).

Pages show the reader's language, replies on X the post's language (never mixed), the API
both names; admins edit both on the workflow page.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from ideaboard.extensions import db
from ideaboard.i18n import localized_name, localized_names, reply_stage_name
from ideaboard.ideas.models import Category, Idea, Source
from ideaboard.outbox.models import OutboxMessage
from ideaboard.triage import services, workflow
from ideaboard.triage.models import Stage, StageTransition, Team
from tests.helpers import login, post

KO = {"Accept-Language": "ko-KR,ko;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def _named(name: str, name_ko: str) -> SimpleNamespace:
    return SimpleNamespace(name=name, name_ko=name_ko)


@pytest.mark.parametrize(
    ("name", "name_ko", "en", "ko"),
    [
        ("Partially Launched", "부분 출시", "Partially Launched", "부분 출시"),
        ("Partially Launched", "", "Partially Launched", "Partially Launched"),
        ("", "부분 출시", "부분 출시", "부분 출시"),
        ("  ", "부분 출시", "부분 출시", "부분 출시"),
    ],
)
def test_localized_name_falls_back_to_the_other_language(name, name_ko, en, ko):
    obj = _named(name, name_ko)
    assert (localized_name(obj, "en"), localized_name(obj, "ko")) == (en, ko)
    assert localized_name(obj, "fr") == en  # an unsupported language reads English
    assert localized_name(None, "ko") == ""


def test_a_reply_never_borrows_the_other_languages_name():
    english_only, korean_only = _named("Partially Launched", ""), _named("", "부분 출시")
    assert reply_stage_name(english_only, "ko") == "상태 변경"
    assert reply_stage_name(korean_only, "en") == "Status update"
    assert reply_stage_name(_named("Partially Launched", "부분 출시"), "ko") == "부분 출시"


def test_the_seeded_names_are_bilingual(app):
    stages = {s.slug: localized_names(s) for s in db.session.scalars(select(Stage))}
    assert stages["new"] == {"en": "New", "ko": "신규"}
    assert stages["under-review"] == {"en": "Under Review", "ko": "검토 중"}
    billing = db.session.scalar(select(Category).where(Category.slug == "billing"))
    assert (billing.name, billing.name_ko) == ("Billing & payments", "요금·결제")
    network = db.session.scalar(select(Team).where(Team.slug == "network"))
    assert (network.name, network.name_ko) == ("Network", "네트워크")


def _partial_stage(admin, *, name="Partially Launched", name_ko="부분 출시") -> Stage:
    stage = workflow.save_stage(
        admin, stage=None, slug="partially-launched", name=name, name_ko=name_ko,
        color="#0f766e", is_open=False, is_public=True, position=45,
    )  # fmt: skip
    pairs = set(
        db.session.execute(select(StageTransition.from_stage_id, StageTransition.to_stage_id))
    )
    workflow.set_transitions(admin, pairs | {(services.find_stage("new").id, stage.id)})
    db.session.commit()
    return stage


def test_korean_pages_show_korean_names_and_english_pages_english(
    app, client, make_user, make_idea
):
    admin, staff = make_user("admin"), make_user("staff")
    stage = _partial_stage(admin)
    category = db.session.scalar(select(Category).where(Category.slug == "billing"))
    idea = make_idea(title="q7781 가족 결합 할인", category="billing")
    services.change_stage(idea, stage, "일부 지역부터 시작합니다.", staff)
    db.session.commit()

    korean = client.get(f"/ideas/{idea.id}", headers=KO).get_data(as_text=True)
    assert "부분 출시" in korean
    assert "요금·결제" in korean
    assert "Partially Launched" not in korean
    assert category.name not in korean.replace("&amp;", "&")
    english = client.get(f"/ideas/{idea.id}", headers=EN).get_data(as_text=True)
    assert "Partially Launched" in english
    assert "Billing &amp; payments" in english
    assert "부분 출시" not in english
    assert "요금·결제" not in english
    board = client.get("/", headers=KO).get_data(as_text=True)
    assert "신규" in board
    assert "검토 중" in board


def test_pages_fall_back_to_the_name_that_exists(app, client, make_user, make_idea):
    admin, staff = make_user("admin"), make_user("staff")
    stage = _partial_stage(admin, name="", name_ko="부분 출시")
    idea = make_idea(title="q7782 a web idea")
    services.change_stage(idea, stage, "Starting in Seoul.", staff)
    db.session.commit()
    english = client.get(f"/ideas/{idea.id}", headers=EN).get_data(as_text=True)
    assert "부분 출시" in english  # no English name: the Korean one, never an empty badge


def _x_idea(make_idea, title: str, lang: str) -> Idea:
    idea = make_idea(title=title)
    idea.source, idea.source_post_id, idea.source_lang = Source.X.value, f"99{idea.id}", lang
    db.session.commit()
    return idea


@pytest.mark.parametrize(
    ("name_ko", "lang", "starts"),
    [
        ("부분 출시", "ko", '[부분 출시] "q7783'),
        ("부분 출시", "en", '[Partially Launched] Your idea "q7783'),
        ("", "ko", '[상태 변경] "q7783'),  # no Korean name: no English word in a Korean reply
    ],
)
def test_the_reply_for_an_admin_made_stage_is_in_the_posts_language(
    app, make_user, make_idea, name_ko, lang, starts
):
    admin, staff = make_user("admin"), make_user("staff", initials="KG")
    stage = _partial_stage(admin, name_ko=name_ko)
    idea = _x_idea(make_idea, "q7783 데이터 이월", lang)
    change = services.change_stage(idea, stage, "일부 지역부터 시작합니다.", staff)
    db.session.commit()
    (row,) = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status_change_id == change.id)
    )
    assert row.text.startswith(starts), row.text
    if lang == "ko":
        words = LATIN_WORD.findall(row.text.split("http")[0])
        assert words == [], row.text  # no mixed-language reply


def test_staff_messages_name_stages_in_the_readers_language(app, client, make_user, make_idea):
    staff = make_user("staff")
    idea = make_idea(title="q7784 idea")
    login(client, staff)
    client.set_cookie("locale", "ko")
    response = post(
        client,
        f"/staff/ideas/{idea.id}/stage",
        {"stage-stage": "new", "stage-note": "note"},
        headers=KO,
    )
    assert response.status_code in (400, 409, 422)
    assert "신규" in response.get_data(as_text=True)


# --- the API ---------------------------------------------------------------------------------


def test_the_api_names_stages_in_the_requests_language_and_gives_both(
    app, client, make_user, make_idea
):
    admin = make_user("admin")
    _partial_stage(admin, name="Partially Launched", name_ko="")
    korean = {s["slug"]: s for s in client.get("/api/v1/stages", headers=KO).get_json()}
    assert korean["under-review"]["name"] == "검토 중"
    assert korean["under-review"]["names"] == {"en": "Under Review", "ko": "검토 중"}
    assert korean["partially-launched"]["name"] == "Partially Launched"  # the fallback
    assert korean["partially-launched"]["names"] == {"en": "Partially Launched", "ko": ""}
    english = {s["slug"]: s for s in client.get("/api/v1/stages", headers=EN).get_json()}
    assert english["under-review"]["name"] == "Under Review"

    idea = make_idea(title="q7785 api idea")
    data = client.get(f"/api/v1/ideas/{idea.id}", headers=KO).get_json()
    assert (data["stage_name"], data["stage_names"]) == ("신규", {"en": "New", "ko": "신규"})
    assert client.get(f"/api/v1/ideas/{idea.id}", headers=EN).get_json()["stage_name"] == "New"


def test_webhook_payloads_name_the_stage_in_english(app, make_idea):
    from ideaboard.webhooks.enqueue import event_payload

    idea = make_idea(title="q7786 hook")
    with app.test_request_context("/", headers=KO):
        data = event_payload("idea.created", idea=idea)["data"]["idea"]
    assert (data["stage_name"], data["stage_names"]["ko"]) == ("New", "신규")


# --- the admin forms -------------------------------------------------------------------------


def _stage_form(**fields: str) -> dict[str, str]:
    data = {"slug": "partially-launched", "name": "", "name_ko": "", "color": "#0f766e"}
    data.update(fields)
    data.setdefault("is_public", "y")
    return {f"new-{k}": v for k, v in data.items()}


def test_admin_adds_a_stage_with_both_names(app, client, make_user):
    login(client, make_user("admin"))
    form = _stage_form(name="Partially Launched", name_ko="부분 출시")
    response = post(client, "/staff/workflow/stages", form)
    assert response.status_code == 302
    stage = services.find_stage("partially-launched")
    assert (stage.name, stage.name_ko) == ("Partially Launched", "부분 출시")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "Give a name in English, in Korean or in both."),
        ({"name": " ", "name_ko": "\u200b"}, "Give a name in English, in Korean or in both."),
        ({"name_ko": "가" * 61}, "Field cannot be longer than 60 characters."),
        ({"name": "x" * 61}, "Field cannot be longer than 60 characters."),
        ({"name": "Bad\x00name"}, "not allowed"),
    ],
)
def test_the_stage_form_refuses_bad_names_with_a_message(app, client, make_user, fields, message):
    login(client, make_user("admin"))
    response = post(client, "/staff/workflow/stages", _stage_form(**fields))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(Stage).where(Stage.slug == "partially-launched")) is None


def test_an_edit_error_is_shown_on_the_stage_it_belongs_to(app, client, make_user):
    login(client, make_user("admin"))
    stage = services.find_stage("planned")
    fields = {"name": "", "name_ko": "", "color": "#7c3aed"}
    data = {f"s{stage.id}-{k}": v for k, v in fields.items()}
    response = post(client, f"/staff/workflow/stages/{stage.id}", data)
    assert response.status_code == 422
    assert "Give a name in English, in Korean or in both." in response.get_data(as_text=True)
    db.session.expire_all()
    assert (stage.name, stage.name_ko) == ("Planned", "계획됨")  # nothing half-written


def test_admin_adds_and_renames_teams_and_categories(app, client, make_user):
    login(client, make_user("admin"))
    added = post(
        client, "/staff/workflow/teams",
        {"team-slug": "roaming", "team-name": "", "team-name_ko": "로밍팀"},
    )  # fmt: skip
    assert added.status_code == 302
    team = db.session.scalar(select(Team).where(Team.slug == "roaming"))
    assert (team.name, team.name_ko) == ("", "로밍팀")
    renamed = post(
        client, f"/staff/workflow/teams/{team.id}",
        {f"t{team.id}-name": "Roaming", f"t{team.id}-name_ko": "로밍팀"},
    )  # fmt: skip
    assert renamed.status_code == 302
    category = db.session.scalar(select(Category).where(Category.slug == "product"))
    response = post(
        client, f"/staff/workflow/categories/{category.id}",
        {f"c{category.id}-name": "Products", f"c{category.id}-name_ko": "제품"},
    )  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert (team.name, category.name, category.name_ko) == ("Roaming", "Products", "제품")
    page = client.get("/staff/workflow", headers=KO).get_data(as_text=True)
    assert "로밍팀" in page
    assert "제품" in page


def test_renaming_refuses_no_name_unknown_rows_csrf_and_non_admins(app, client, make_user):
    team = db.session.scalar(select(Team).where(Team.slug == "network"))
    staff = make_user("staff")
    login(client, staff)
    data = {f"t{team.id}-name": "Net", f"t{team.id}-name_ko": ""}
    assert post(client, f"/staff/workflow/teams/{team.id}", data).status_code == 403
    client.post("/logout", data={})
    client.delete_cookie("session")
    admin_client = app.test_client()
    login(admin_client, make_user("admin"))
    empty = post(
        admin_client,
        f"/staff/workflow/teams/{team.id}",
        {f"t{team.id}-name": "", f"t{team.id}-name_ko": ""},
    )
    assert empty.status_code == 422
    assert "Give a name in English, in Korean or in both." in empty.get_data(as_text=True)
    assert post(admin_client, "/staff/workflow/teams/999999", data).status_code == 404
    assert post(admin_client, "/staff/workflow/categories/999999", {}).status_code == 404
    forged = admin_client.post(f"/staff/workflow/teams/{team.id}", data=data)
    assert forged.status_code == 400  # no CSRF token
    db.session.expire_all()
    assert (team.name, team.name_ko) == ("Network", "네트워크")
