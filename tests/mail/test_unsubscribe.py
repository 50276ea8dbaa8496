"""One-click unsubscribe (RFC 8058): the header of a real follower e-mail, the POST a mail
program sends to it (no login, no CSRF token), the page a person sees, forged tokens."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ideaboard.accounts.models import EmailChoice, User
from ideaboard.extensions import db
from ideaboard.mail.tokens import unsubscribe_token
from ideaboard.triage import services as triage
from tests.helpers import IdeaBuilder, UserBuilder, login
from tests.mail.helpers import SmtpServer, deliver, email_rows

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def staff(make_user: UserBuilder) -> User:
    return make_user("staff", name="Kim Gayoung", initials="KG")


def choice_of(user: User) -> str:
    db.session.expire(user)
    return user.email_notifications


def test_the_header_of_a_follower_email_unsubscribes_in_one_click(
    app: Flask,
    client: FlaskClient,
    smtp_server: SmtpServer,
    make_user: UserBuilder,
    make_idea: IdeaBuilder,
    staff: User,
) -> None:
    author = make_user()
    idea = make_idea(author)
    triage.change_stage(idea, triage.find_stage("under-review"), "Looking", staff)
    db.session.commit()
    deliver()
    (received,) = smtp_server.wait_for(1)
    message = received.message
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = str(message["List-Unsubscribe"])
    assert header.startswith("<")
    assert header.endswith(">")
    url = header[1:-1]
    assert url.startswith("http://127.0.0.1:5000/mail/unsubscribe/")  # IDEABOARD_PUBLIC_URL
    assert url in received.body("plain")
    assert url in received.body("html")

    # What a mail program does (RFC 8058 §3.2): POST exactly that URL, this body, no cookie.
    parts = urlsplit(url)
    response = client.post(
        parts.path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert choice_of(author) == EmailChoice.NONE.value
    assert "no more notification e-mails" in response.get_data(as_text=True)

    # No more follower e-mails for them.
    triage.change_stage(idea, triage.find_stage("planned"), "Planned", staff)
    db.session.commit()
    assert len(email_rows()) == 1
    # Doing it again is fine (a mail program may retry).
    assert client.post(parts.path, data=ONE_CLICK).status_code == 200


def test_a_queued_email_is_not_sent_after_unsubscribing(
    app: Flask,
    client: FlaskClient,
    smtp_server: SmtpServer,
    make_user: UserBuilder,
    make_idea: IdeaBuilder,
    staff: User,
) -> None:
    author = make_user()
    idea = make_idea(author)
    triage.change_stage(idea, triage.find_stage("under-review"), "Looking", staff)
    db.session.commit()
    token = unsubscribe_token(author)  # from an earlier e-mail

    assert client.post(f"/mail/unsubscribe/{token}", data=ONE_CLICK).status_code == 200
    result = deliver()
    assert result.sent == 0
    assert smtp_server.messages() == []
    assert email_rows()[0].state == "cancelled"


def test_get_shows_a_confirmation_and_changes_nothing(
    app: Flask, client: FlaskClient, make_user: UserBuilder
) -> None:
    user = make_user(email="minji@example.com", locale="ko")
    response = client.get(f"/mail/unsubscribe/{unsubscribe_token(user)}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "minji@example.com" in page
    assert 'name="List-Unsubscribe" value="One-Click"' in page
    assert choice_of(user) == EmailChoice.EACH.value
    # A link checker or a mail scanner fetching the link twice changes nothing either.
    client.get(f"/mail/unsubscribe/{unsubscribe_token(user)}")
    assert choice_of(user) == EmailChoice.EACH.value


def test_the_confirmation_page_form_works_without_login_or_csrf_token(
    app: Flask, client: FlaskClient, make_user: UserBuilder
) -> None:
    user = make_user()
    path = f"/mail/unsubscribe/{unsubscribe_token(user)}"
    # The page's own form posts back to the same URL with the one-click field.
    assert client.post(path, data=ONE_CLICK).status_code == 200
    assert choice_of(user) == EmailChoice.NONE.value


def test_a_post_without_the_one_click_body_changes_nothing(
    app: Flask, client: FlaskClient, make_user: UserBuilder
) -> None:
    user = make_user()
    path = f"/mail/unsubscribe/{unsubscribe_token(user)}"
    for data in ({}, {"List-Unsubscribe": "yes"}, {"list-unsubscribe": "One-Click"}):
        response = client.post(path, data=data)
        assert response.status_code == 400, data
    assert choice_of(user) == EmailChoice.EACH.value


def test_a_signed_in_user_can_use_another_accounts_link_only_for_that_account(
    app: Flask, client: FlaskClient, make_user: UserBuilder
) -> None:
    """The token names the account; the session has nothing to do with it."""
    signed_in, owner = make_user(), make_user()
    login(client, signed_in)
    assert (
        client.post(f"/mail/unsubscribe/{unsubscribe_token(owner)}", data=ONE_CLICK).status_code
        == 200
    )
    assert choice_of(owner) == EmailChoice.NONE.value
    assert choice_of(signed_in) == EmailChoice.EACH.value


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"), id="signature"),
        pytest.param(lambda token: "x" + token[1:], id="payload"),
        pytest.param(lambda token: token.split(".")[0], id="unsigned"),
        pytest.param(lambda token: "eyJ1IjoxfQ.forged-signature", id="forged"),
        pytest.param(lambda token: token + "A" * 300, id="overlong"),
        pytest.param(lambda token: "%00", id="nul"),
    ],
)
def test_a_forged_or_mangled_token_is_404_and_changes_nothing(
    app: Flask, client: FlaskClient, make_user: UserBuilder, mangle: object
) -> None:
    user = make_user()
    token = mangle(unsubscribe_token(user))  # type: ignore[operator]
    for method in (client.get, client.post):
        response = method(f"/mail/unsubscribe/{token}", data=ONE_CLICK)
        assert response.status_code == 404, (method, token)
    assert choice_of(user) == EmailChoice.EACH.value


def test_a_token_signed_with_another_key_or_salt_is_refused(
    app: Flask, client: FlaskClient, make_user: UserBuilder
) -> None:
    from itsdangerous import URLSafeSerializer

    user = make_user()
    other_key = URLSafeSerializer("another-secret", salt="ideaboard.mail.unsubscribe")
    other_salt = URLSafeSerializer("test-secret-key", salt="ideaboard.something-else")
    for token in (other_key.dumps({"u": user.id}), other_salt.dumps({"u": user.id})):
        assert client.post(f"/mail/unsubscribe/{token}", data=ONE_CLICK).status_code == 404
    right = URLSafeSerializer("test-secret-key", salt="ideaboard.mail.unsubscribe")
    for payload in ({"u": str(user.id)}, {"u": None}, [user.id], {"u": 10**9}):
        token = right.dumps(payload)
        assert client.post(f"/mail/unsubscribe/{token}", data=ONE_CLICK).status_code == 404
    assert choice_of(user) == EmailChoice.EACH.value
