"""Absolute URLs come from IDEABOARD_PUBLIC_URL only; a forged Host never reaches a page.

Issue 13 row 11: the page cache keyed pages on the path alone, and absolute links were built
from the request's Host, so one request with `Host: evil.example` put that host's links in the
pages everyone was served for a few seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from ideaboard.extensions import db
from ideaboard.pagecache import cache
from ideaboard.triage.services import change_stage, find_stage
from ideaboard.urls import idea_path, idea_url, public_base, public_url, public_url_for

PUBLIC = "https://ideas.example.com"
EVIL = "evil.example"


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Iterator[Flask]:
    """Pages are cached (as in production) and the public address differs from the test host."""
    app = app_factory(IDEABOARD_PUBLIC_URL=PUBLIC + "/", IDEABOARD_PAGE_CACHE_SECONDS=60)
    with app.app_context():
        cache.clear()
        yield app


def test_public_url_joins_the_configured_address_and_a_path(app: Flask) -> None:
    assert public_base() == PUBLIC
    assert public_url("/ideas/3") == f"{PUBLIC}/ideas/3"
    assert public_url("stats") == f"{PUBLIC}/stats"
    assert idea_path(7) == "/ideas/7"
    assert idea_url(7) == f"{PUBLIC}/ideas/7"


def test_idea_url_takes_an_idea(app: Flask, make_idea) -> None:
    idea = make_idea()
    assert idea_url(idea) == f"{PUBLIC}/ideas/{idea.id}"


def test_public_url_for_ignores_the_request_host_and_root(app: Flask) -> None:
    with app.test_request_context("/", base_url=f"http://{EVIL}/board"):
        assert public_url_for("ideas.show", idea_id=5, _anchor="status-2") == (
            f"{PUBLIC}/ideas/5#status-2"
        )
        assert public_url_for("insights.status_feed", _external=True) == (
            f"{PUBLIC}/feeds/status.atom"
        )


def _staff_answered_idea(make_user, make_idea) -> int:
    staff = make_user("staff", name="Jiwoo Park", initials="JP")
    idea = make_idea(title="Dark mode for the dashboard")
    change_stage(idea, find_stage("under-review"), "We are looking at it.", staff)
    db.session.commit()
    return idea.id


def _paths(idea_id: int) -> list[str]:
    return [
        "/",
        f"/ideas/{idea_id}",
        "/ideas-in-action",
        "/stats",
        "/feeds/status.atom",
        f"/ideas/{idea_id}/status.atom",
        f"/api/v1/ideas/{idea_id}",
        "/api/v1/ideas",
    ]


def test_a_forged_host_never_reaches_pages_feeds_or_the_api(app: Flask, make_user, make_idea):
    idea_id = _staff_answered_idea(make_user, make_idea)
    client = app.test_client()
    for path in _paths(idea_id):
        forged = client.get(path, headers={"Host": EVIL})
        assert forged.status_code == 200, path
        assert EVIL not in forged.get_data(as_text=True), path
        normal = client.get(path)
        assert normal.status_code == 200, path
        body = normal.get_data(as_text=True)
        assert EVIL not in body, path
    feed = client.get("/feeds/status.atom").get_data(as_text=True)
    assert f'href="{PUBLIC}/feeds/status.atom"' in feed
    assert "tag:ideas.example.com," in feed
    api = client.get(f"/api/v1/ideas/{idea_id}").get_json()
    assert api["url"] == f"{PUBLIC}/ideas/{idea_id}"
    page = client.get(f"/ideas/{idea_id}").get_data(as_text=True)
    assert f'href="{PUBLIC}/ideas/{idea_id}/status.atom"' in page


def test_the_page_cache_keeps_one_copy_per_host(app: Flask, make_idea) -> None:
    """Even a page whose text did depend on the host could not be handed to another host."""
    make_idea(title="Dark mode for the dashboard")
    client = app.test_client()
    client.get("/", headers={"Host": EVIL})
    keys = sorted(cache.cache._cache)  # SimpleCache: the stored keys
    # The anonymous copy, and the shared copy it was filled from (memberpages.py): both keyed
    # on the host first, then the language, time zone (role) and path.
    assert len(keys) == 2
    assert keys[0] == f"{EVIL}:en:UTC:/?"
    assert keys[1].startswith(f"shared:{EVIL}:en:UTC:anonymous:/?:")
    client.get("/")
    anonymous_copies = [key for key in cache.cache._cache if not key.startswith("shared:")]
    assert sorted(anonymous_copies) == sorted([f"{EVIL}:en:UTC:/?", "localhost:en:UTC:/?"])
    shared_copies = [key for key in cache.cache._cache if key.startswith("shared:")]
    assert sorted(key.split(":")[1] for key in shared_copies) == sorted([EVIL, "localhost"])


def test_trusted_hosts_refuse_other_hosts(app_factory: Callable[..., Flask]) -> None:
    app = app_factory(TRUSTED_HOSTS=["ideas.example.com"], IDEABOARD_PUBLIC_URL=PUBLIC)
    client = app.test_client()
    assert client.get("/", headers={"Host": EVIL}).status_code == 400
    assert client.get("/", headers={"Host": "ideas.example.com"}).status_code == 200
