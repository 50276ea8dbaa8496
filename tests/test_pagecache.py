"""Anonymous visitors' pages come from a few seconds' cache; nobody gets someone else's page.

The rest of the suite runs with the cache off (BASE_CONFIG); these tests switch it on.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import cachelib.simple
import pytest
from flask import Flask
from flask_wtf.csrf import generate_csrf
from sqlalchemy import update

from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.pagecache import cache, cache_for_visitors
from tests.helpers import login

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Iterator[Flask]:
    """This module's app keeps anonymous pages for a minute (tests move the cache's clock)."""
    app = app_factory(IDEABOARD_PAGE_CACHE_SECONDS=60)
    with app.app_context():
        cache.clear()
        yield app


def _retitle(idea_id: int, title: str) -> None:
    """Change a title behind the app's back, as another web process would."""
    db.session.execute(update(Idea).where(Idea.id == idea_id).values(title=title))
    db.session.commit()


def test_anonymous_visitors_get_the_cached_page_until_it_expires(
    app: Flask, make_idea, make_user, monkeypatch: pytest.MonkeyPatch
) -> None:
    idea_id = make_idea(title="Dark mode for the dashboard").id
    reader = make_user()
    visitor = app.test_client()
    assert "Dark mode for the dashboard" in visitor.get("/").get_data(as_text=True)
    assert "Dark mode for the dashboard" in visitor.get(f"/ideas/{idea_id}").get_data(as_text=True)

    _retitle(idea_id, "Night theme everywhere")
    assert "Dark mode for the dashboard" in visitor.get("/").get_data(as_text=True)
    assert "Dark mode" in app.test_client().get(f"/ideas/{idea_id}").get_data(as_text=True)

    signed_in = app.test_client()
    login(signed_in, reader)
    assert "Night theme everywhere" in signed_in.get("/").get_data(as_text=True)

    later = time.time() + 61  # the cache's clock, a minute on
    monkeypatch.setattr(cachelib.simple, "time", lambda: later)
    assert "Night theme everywhere" in visitor.get("/").get_data(as_text=True)


def test_each_visitor_gets_a_csrf_token_of_their_own_that_works(app: Flask, make_idea) -> None:
    make_idea(title="Export to CSV")
    first, second = app.test_client(), app.test_client()
    page_one = first.get("/").get_data(as_text=True)
    page_two = second.get("/").get_data(as_text=True)  # from the cache
    tokens_one, tokens_two = set(TOKEN.findall(page_one)), set(TOKEN.findall(page_two))
    assert len(tokens_one) == 1
    assert len(tokens_two) == 1
    assert tokens_one != tokens_two
    assert "csrf-placeholder" not in page_one + page_two
    # The token in the cached copy is the second visitor's own: the language switch accepts it.
    response = second.post("/locale/ko", data={"csrf_token": tokens_two.pop(), "next": "/"})
    assert response.status_code == 302
    refused = second.post("/locale/ko", data={"csrf_token": tokens_one.pop(), "next": "/"})
    assert refused.status_code == 400


def test_each_language_has_its_own_copy(app: Flask, make_idea) -> None:
    make_idea(title="Widgets for the home screen")
    english = app.test_client().get("/", headers={"Accept-Language": "en"})
    korean = app.test_client().get("/", headers={"Accept-Language": "ko"})
    english_again = app.test_client().get("/", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert '<html lang="ko">' in korean.get_data(as_text=True)
    assert '<html lang="en">' in english_again.get_data(as_text=True)


def test_each_search_has_its_own_copy(app: Flask, make_idea) -> None:
    make_idea(title="Offline maps")
    make_idea(title="요금제 변경 알림")
    client = app.test_client()
    maps = client.get("/?q=maps").get_data(as_text=True)
    rollover = client.get("/?q=요금제").get_data(as_text=True)
    assert "Offline maps" in maps
    assert "요금제 변경 알림" not in maps
    assert "요금제 변경 알림" in rollover
    assert "Offline maps" not in rollover


def test_a_visitor_with_a_message_waiting_gets_a_fresh_page(app: Flask, make_idea) -> None:
    make_idea(title="Calendar sync")
    visitor = app.test_client()
    visitor.get("/")  # now cached, without any message
    with visitor.session_transaction() as session:
        session["_flashes"] = [("success", "Your language is saved.")]
    assert "Your language is saved." in visitor.get("/").get_data(as_text=True)
    assert "Your language is saved." not in visitor.get("/").get_data(as_text=True)


def test_error_pages_and_json_are_not_kept(app: Flask, make_idea) -> None:
    idea = make_idea(title="Bulk edit")
    client = app.test_client()
    assert client.get("/?cursor=not-a-cursor").status_code == 400
    assert client.get("/ideas/999999").status_code == 404
    assert client.get("/ideas/999999", headers={"Accept": "application/json"}).is_json
    keys = cache.cache._cache.keys()  # SimpleCache: the stored keys
    assert not any("cursor=" in key or "999999" in key for key in keys)
    assert client.get(f"/ideas/{idea.id}").status_code == 200


def test_a_page_with_a_real_token_in_it_is_not_kept(app: Flask) -> None:
    """The safety net: a view that put a visitor's own token in its HTML is never shared."""

    @cache_for_visitors
    def leaky() -> str:
        return f"<p>{generate_csrf()}</p>"

    app.add_url_rule("/leaky", "leaky", leaky)
    first = app.test_client().get("/leaky").get_data(as_text=True)
    second = app.test_client().get("/leaky").get_data(as_text=True)
    assert first != second


def test_the_cache_can_be_switched_off(app_factory: Callable[..., Flask], make_idea) -> None:
    idea_id = make_idea(title="Keyboard shortcuts").id
    client = app_factory(IDEABOARD_PAGE_CACHE_SECONDS=0).test_client()
    assert "Keyboard shortcuts" in client.get("/").get_data(as_text=True)
    _retitle(idea_id, "Shortcut keys")
    assert "Shortcut keys" in client.get("/").get_data(as_text=True)
