"""Reply templates: a safe, limited formatter, checked when saved, never raising when sent."""

from __future__ import annotations

import html
import time
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from ideaboard.accounts.models import Role, User
from ideaboard.errors import ValidationFailed
from ideaboard.extensions import db
from ideaboard.social import placeholders
from ideaboard.social.compose import compose_ack, compose_stage_reply
from ideaboard.social.models import ReplyTemplate
from ideaboard.social.reply_templates import validate_template
from tests.helpers import login, post

ALLOWED = {"title", "url", "signature", "stage"}


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("{title:>99999999}", "spec"),
        ("{title:,}", "spec"),
        ("{title!z}", "conversion"),
        ("{title!r}", "conversion"),
        ("{title.__class__}", "access"),
        ("{title[0]}", "access"),
        ("{}", "empty"),
        ("{0}", "unknown"),
        ("{password}", "unknown"),
        ("{Title}", "unknown"),
        ("a { b", "brace"),
        ("a } b", "brace"),
    ],
)
def test_check_names_the_problem(template: str, problem: str) -> None:
    with pytest.raises(placeholders.TemplateError) as caught:
        placeholders.check(template, ALLOWED)
    assert caught.value.problem == problem


def test_render_fills_names_and_keeps_escaped_braces() -> None:
    template = "{{json}} {title} at {url} ^{signature}"
    assert placeholders.check(template, ALLOWED) == {"title", "url", "signature"}
    text = placeholders.render(template, {"title": "{x}", "url": "u", "signature": "AB"})
    assert text == "{json} {x} at u ^AB"  # a value's braces are not read again


@pytest.mark.parametrize(
    "stored", ["{title:>99999999} ^{signature}", "{title!z} {url}", "{title.__class__} {", "}{0}"]
)
def test_stored_templates_never_raise_or_hang(stored: str) -> None:
    """A template saved before the check existed is sent as plain text, at once."""
    started = time.monotonic()
    text = compose_stage_reply(
        stage_slug="planned",
        stage_name="Planned",
        lang="en",
        title="Dark mode",
        url="https://example.com/ideas/1",
        signature="AB",
        template=stored,
    )
    assert time.monotonic() - started < 1
    assert len(text) < 300
    ack = compose_ack("imported", lang="en", url="u", signature="AB", template=stored)
    assert len(ack) < 300


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("{title:>99999999} {url}", "{title:>99999999}"),
        ("{title!z} {url}", "{title!z}"),
        ("{title.__class__}", "{title.__class__}"),
        ("{password} {url}", "{password}"),
    ],
)
def test_saving_refuses_with_a_message_naming_the_piece(app: object, text: str, named: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_template("stage", text)
    assert named in caught.value.message
    assert caught.value.field == "text"


def test_the_admin_page_refuses_a_padding_template_quickly(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    login(client, make_user(Role.ADMIN))
    for text in ("{title:>99999999}", "{title!z}"):
        started = time.monotonic()
        response = post(
            client,
            "/staff/reply-templates/",
            {"kind": "stage", "stage_slug": "planned", "lang": "en", "text": text},
            follow_redirects=True,
        )
        assert time.monotonic() - started < 5
        assert response.status_code == 200
        assert html.escape(text) in response.get_data(as_text=True)  # the message names it
    assert db.session.scalar(select(ReplyTemplate)) is None


def test_the_admin_page_saves_a_template_with_literal_braces(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    login(client, make_user(Role.ADMIN))
    post(
        client,
        "/staff/reply-templates/",
        {"kind": "stage", "stage_slug": "planned", "lang": "en", "text": "{{ok}} {title} {url}"},
    )
    saved = db.session.scalar(select(ReplyTemplate))
    assert saved is not None
    assert saved.text == "{{ok}} {title} {url}"
