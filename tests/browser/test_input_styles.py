"""Every kind of text input looks like the site's text inputs (issue 16).

Testers found the number, URL and merge inputs unstyled: the browser's own small boxes beside
the site's. Each input of another type on the staff pages must be drawn like a text input of
the same page: same border, corners, padding and font size.

Marked sqlite_only: what is compared is the CSS, which does not depend on the database.
"""

from __future__ import annotations

from typing import Any

import pytest

from ideaboard.accounts.models import Role
from tests.browser.helpers import LiveServer

pytestmark = pytest.mark.sqlite_only

LOOK = ("borderTopWidth", "borderTopStyle", "borderTopLeftRadius", "paddingLeft", "fontSize")
STYLES = """(look) => {
  const pick = (el) => Object.fromEntries(look.map((k) => [k, getComputedStyle(el)[k]]));
  const text = document.querySelector('main input[type=text]:not([hidden]), main textarea');
  const others = [...document.querySelectorAll(
    'main input[type=number], main input[type=url], main input[type=search], ' +
    'main input[type=email], main input[type=date]')];
  return {text: text ? pick(text) : null,
          others: others.map((el) => ({name: el.name, type: el.type, look: pick(el)}))};
}"""


def test_number_url_search_and_email_inputs_look_like_text_inputs(
    page: Any, live_server: LiveServer, make_user: Any, make_idea: Any, log_in: Any
) -> None:
    admin = make_user(Role.ADMIN, email="admin@example.com")
    idea = make_idea()
    log_in(admin)
    checked: list[str] = []
    reference = None
    for path in ("/staff/workflow", "/staff/webhooks", f"/staff/ideas/{idea.id}"):
        page.goto(path)
        found = page.evaluate(STYLES, list(LOOK))
        # The webhooks page has no text input: compare with the workflow page's (one style
        # sheet for the whole site).
        reference = found["text"] or reference
        assert reference is not None, f"{path}: no text input to compare with"
        for other in found["others"]:
            expected = dict(reference)
            assert other["look"]["borderTopWidth"] == expected["borderTopWidth"], (path, other)
            assert other["look"]["borderTopStyle"] == expected["borderTopStyle"], (path, other)
            radius = other["look"]["borderTopLeftRadius"]
            assert radius == expected["borderTopLeftRadius"], (path, other)
            assert other["look"]["fontSize"] == expected["fontSize"], (path, other)
            assert other["look"]["paddingLeft"] == expected["paddingLeft"], (path, other)
            checked.append(f"{path} {other['type']} {other['name']}")
    kinds = {entry.split()[1] for entry in checked}
    assert {"number", "url"} <= kinds, checked
