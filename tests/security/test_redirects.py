"""Row 1: every redirect whose target comes from the request stays on this site."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from ideaboard.accounts.models import Role
from ideaboard.extensions import db
from ideaboard.outbox.models import OutboxMessage, OutboxState
from ideaboard.redirects import safe_target
from tests.helpers import PASSWORD, csrf_token, login, post

HOSTILE = [
    "https://evil.example/",
    "http:evil.example",
    "HTTPS://evil.example",
    "//evil.example",
    "////evil.example/",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/%2f/evil.example",
    "/%2F%2Fevil.example",
    "/%5c/evil.example",
    "/%5C%5Cevil.example",
    "/%252f/evil.example",
    "/%25252F%25252Fevil.example",
    "/%255c%255cevil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\nX-Injected: 1",
    "/%09/evil.example",
    "/%0d%0aSet-Cookie:x=1",
    "/%00",
    " //evil.example",
    "/ /evil.example",
    "/\u3000/evil.example",
    "/\u200b/evil.example",
    "/\u202e/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "@evil.example",
    "/" + "a" * 3000,
]


def _on_site(location: str) -> bool:
    """Whether a browser would resolve this Location to a path on our own host."""
    parts = urlsplit(location)
    return (
        not parts.scheme
        and not parts.netloc
        and location.startswith("/")
        and not location.startswith("//")
        and "\\" not in location
        and "evil.example" not in location
        and location.isprintable()
        and "%2f" not in location.lower()
        and "%5c" not in location.lower()
    )


@pytest.mark.parametrize("target", HOSTILE)
def test_safe_target_refuses_every_hostile_payload(target):
    assert safe_target(target, "/fallback") == "/fallback"


@pytest.mark.parametrize(
    "target",
    [
        "/",
        "/ideas/3",
        "/?sort=new&q=dark+mode",
        "/?q=a%2Fb",
        "/ideas/3#comment-4",
        "/staff/?stage=new",
    ],
)
def test_safe_target_keeps_paths_on_this_site(target):
    assert safe_target(target, "/fallback") == target


def _assert_each_stays_on_site(send) -> None:
    """Send every hostile target; each answer is a redirect on this site (or a 4xx)."""
    wrong = []
    for target in HOSTILE:
        response = send(target)
        location = response.headers.get("Location", "")
        if not (response.status_code == 302 and _on_site(location)) and not (
            400 <= response.status_code < 500 and not location
        ):
            wrong.append((target, response.status_code, location))
    assert not wrong, wrong


def test_login_page_when_signed_in_stays_on_site(client, make_user):
    login(client, make_user())
    _assert_each_stays_on_site(lambda target: client.get("/login", query_string={"next": target}))


def test_login_form_next_stays_on_site(app, make_user):
    user = make_user()

    def send(target):
        client = app.test_client()  # signed out for each
        data = {"email": user.email, "password": PASSWORD, "next": target}
        response = post(client, "/login", data)
        assert response.status_code == 302  # the sign-in itself works: only next is replaced
        return response

    _assert_each_stays_on_site(send)


def test_locale_switch_next_stays_on_site(client):
    _assert_each_stays_on_site(lambda target: post(client, "/locale/en", {"next": target}))


FOREIGN_REFERRERS = [
    "https://evil.example/ideas/1",
    "http://evil.example/",
    "http://localhost.evil.example/",
    "http://evil.example@localhost/",
    "http://localhost:1234/",
    "https://localhost/",
    "ftp://localhost/",
    "http://localhost//evil.example/",
    "http://localhost/%2f%2fevil.example",
    "http://localhost/\\evil.example",
    "http://[::1/",
    "//evil.example/",
    "/ideas/1",
    "javascript:alert(1)",
]


def test_locale_switch_uses_only_a_same_site_referrer(client):
    token = csrf_token(client)
    wrong = []
    for referrer in FOREIGN_REFERRERS:
        response = client.post(
            "/locale/en", data={"csrf_token": token}, headers={"Referer": referrer}
        )
        if response.status_code != 302 or response.headers["Location"] != "/":
            wrong.append((referrer, response.status_code, response.headers.get("Location")))
    assert not wrong


@pytest.mark.parametrize(
    "referrer",
    ["http://localhost/ideas/7?sort=new", "http://127.0.0.1:5000/ideas/7?sort=new"],
    ids=["own-host", "public-url"],
)
def test_locale_switch_goes_back_to_a_page_of_this_site(client, referrer):
    token = csrf_token(client)
    response = client.post("/locale/en", data={"csrf_token": token}, headers={"Referer": referrer})
    assert response.status_code == 302
    assert response.headers["Location"] == "/ideas/7?sort=new"


def test_vote_next_stays_on_site(client, make_user, make_idea):
    idea = make_idea()
    login(client, make_user())
    _assert_each_stays_on_site(
        lambda target: post(client, f"/ideas/{idea.id}/vote", {"value": "1", "next": target})
    )


def _outbox_row() -> OutboxMessage:
    row = OutboxMessage(
        kind="x_reply", dedupe_key="test:redirects", state=OutboxState.DEAD.value, text="hi"
    )
    db.session.add(row)
    db.session.commit()
    return row


@pytest.mark.parametrize("action", ["retry", "cancel"])
def test_staff_outbox_actions_stay_on_site(client, make_user, action):
    row = _outbox_row()
    login(client, make_user(Role.STAFF))
    _assert_each_stays_on_site(
        lambda target: post(client, f"/staff/outbox/{row.id}/{action}", {"next": target})
    )


def test_staff_bulk_stage_stays_on_site(client, make_user, make_idea):
    idea = make_idea()
    login(client, make_user(Role.STAFF))
    data = {"ideas": str(idea.id), "stage": "planned", "note": "Planned."}
    _assert_each_stays_on_site(
        lambda target: post(client, "/staff/bulk-stage", {**data, "next": target})
    )


def test_staff_outbox_action_keeps_a_path_on_this_site(client, make_user):
    row = _outbox_row()
    login(client, make_user(Role.STAFF))
    response = post(client, f"/staff/outbox/{row.id}/retry", {"next": "/staff/outbox?state=dead"})
    assert response.headers["Location"] == "/staff/outbox?state=dead"
