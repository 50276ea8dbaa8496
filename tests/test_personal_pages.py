"""Signed-in pages are personal: nobody sees another person's name, votes or CSRF token, and a
voter sees their vote on the very next page — with the page cache on, as in production.

The rest of the suite runs with the page cache off (BASE_CONFIG); these tests use the
production default (ideaboard.config.DEFAULTS), once with the cache in the process and once in
Redis (REDIS_URL), where Redis answers; every page cache's lifetime (IDEABOARD_*PAGE*_SECONDS)
is its production default. Two signed-in people and an anonymous visitor ask for
the same pages at the same moment (a threading.Barrier, a real threaded HTTP server), many
rounds over; every page must be the asker's own.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
import redis
import requests
from flask import Flask
from itsdangerous import URLSafeTimedSerializer

from ideaboard.config import DEFAULTS
from ideaboard.extensions import db
from ideaboard.pagecache import cache
from tests.helpers import PASSWORD

ROUNDS = 20
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# The SQLite and PostgreSQL suites run at the same time (make test): one Redis database each,
# so that neither clears or serves the other's pages. test_redis.py uses 15.
_REDIS_BASE = os.environ.get("IDEABOARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/15").rsplit(
    "/", 1
)[0]
_REDIS_DB = {"sqlite": 12, "postgresql": 13}


@pytest.fixture(params=["process", "redis"])
def app(request: pytest.FixtureRequest, app_factory: Callable[..., Flask]) -> Iterator[Flask]:
    """The app with the page cache as deployed: the default lifetime, in the process or Redis."""
    # Every page cache's lifetime as deployed (the suite's BASE_CONFIG may switch them off).
    config: dict[str, Any] = {
        name: value
        for name, value in DEFAULTS.items()
        if name.startswith("IDEABOARD_") and "PAGE" in name and name.endswith("_SECONDS")
    }
    if request.param == "redis":
        url = f"{_REDIS_BASE}/{_REDIS_DB[request.config.getoption('--db')]}"
        try:
            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        except redis.RedisError as error:
            if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
                pytest.fail(f"CI must test Redis, but {url} does not answer: {error}")
            pytest.skip(f"Redis at {url} does not answer ({error})")
        config["REDIS_URL"] = url
    app = app_factory(**config)
    assert app.config["IDEABOARD_PAGE_CACHE_SECONDS"] > 0, config
    with app.app_context():
        cache.clear()
        yield app
        cache.clear()


# --- reading a page -----------------------------------------------------------------------------


class _VoteForms(HTMLParser):
    """Every vote form on a page: idea id → (up pressed, down pressed, score shown)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[int, list[Any]] = {}
        self._idea: int | None = None
        self._in_score = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            found = re.fullmatch(r"/ideas/(\d+)/vote", a.get("action") or "")
            self._idea = int(found.group(1)) if found else None
            if self._idea is not None:
                assert self._idea not in self.forms, f"two vote forms for idea {self._idea}"
                self.forms[self._idea] = [False, False, None]
        elif self._idea is not None and tag == "button" and a.get("aria-pressed") == "true":
            direction = a.get("data-direction")
            assert direction in ("1", "-1"), f"a pressed vote button without a direction: {a}"
            self.forms[self._idea][0 if direction == "1" else 1] = True
        elif self._idea is not None and tag == "span" and "data-score-value" in a:
            self._in_score = True

    def handle_data(self, data: str) -> None:
        if self._in_score and self._idea is not None:
            self.forms[self._idea][2] = int(data.strip().replace(",", ""))
            self._in_score = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._idea = None


def vote_forms(html: str) -> dict[int, tuple[bool, bool, int | None]]:
    parser = _VoteForms()
    parser.feed(html)
    return {idea: (up, down, score) for idea, (up, down, score) in parser.forms.items()}


def pressed(html: str) -> dict[int, int]:
    """idea id → the vote the page shows as the reader's (1, -1 or 0)."""
    return {
        idea: 1 if up else -1 if down else 0 for idea, (up, down, _s) in vote_forms(html).items()
    }


# --- people -------------------------------------------------------------------------------------


@dataclass
class Person:
    name: str
    email: str
    votes: dict[int, int]  # idea id → 1 / -1 (others: no vote)
    session: requests.Session = field(default_factory=requests.Session)
    tokens: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def _token_of(session: requests.Session, base: str) -> str:
    found = _TOKEN.search(session.get(f"{base}/notifications", timeout=30).text)
    assert found, "no CSRF token on the notifications page"
    return found.group(1)


def _sign_in(base: str, person: Person) -> None:
    page = person.session.get(f"{base}/login", timeout=30).text
    response = person.session.post(
        f"{base}/login",
        data={"email": person.email, "password": PASSWORD, "csrf_token": _TOKEN.search(page)[1]},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text


def _vote(base: str, person: Person, idea_id: int, value: int, *, json: bool = False) -> None:
    response = person.session.post(
        f"{base}/ideas/{idea_id}/vote",
        data={"value": str(value), "csrf_token": _token_of(person.session, base)},
        headers={"Accept": "application/json"} if json else {},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == (200 if json else 302), response.text


def _raw_csrf(app: Flask, token: str) -> str:
    """The session secret a CSRF token was signed from (flask-wtf's token format)."""
    key = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
    return str(URLSafeTimedSerializer(key, salt="wtf-csrf-token").loads(token))


@pytest.fixture
def board(app: Flask, make_user, make_idea) -> dict[str, Any]:
    """Four ideas by a third person (all match the search "Roaming"), and two signed-up readers."""
    author = make_user(name="Carol Park")
    ideas = [make_idea(author, title=f"Roaming pass number {n}").id for n in range(4)]
    alice = make_user(name="Alice Kim", email="alice@example.com")
    bob = make_user(name="Bob Lee", email="bob@example.com")
    return {"ideas": ideas, "alice": alice.email, "bob": bob.email}


# --- (a) the same pages at the same time --------------------------------------------------------


@pytest.mark.slow
def test_two_people_at_the_same_time_each_get_only_their_own_page(
    app: Flask, live_server: str, board: dict[str, Any]
) -> None:
    base, ideas = live_server, board["ideas"]
    alice = Person("Alice Kim", board["alice"], {ideas[0]: 1, ideas[1]: -1, ideas[3]: 1})
    bob = Person("Bob Lee", board["bob"], {ideas[0]: -1, ideas[2]: 1, ideas[3]: -1})
    for person in (alice, bob):
        _sign_in(base, person)
        for idea_id, value in person.votes.items():
            _vote(base, person, idea_id, value)
    paths = ["/", f"/ideas/{ideas[0]}", f"/ideas/{ideas[3]}", "/?q=Roaming"]
    anonymous_problems: list[str] = []
    barrier = threading.Barrier(3)

    def read_as(person: Person) -> None:
        other = bob if person is alice else alice
        for round_ in range(ROUNDS):
            path = paths[round_ % len(paths)]
            barrier.wait(timeout=60)
            response = person.session.get(f"{base}{path}", allow_redirects=False, timeout=60)
            html = response.text
            where = f"round {round_}, {path} as {person.name}"
            if response.status_code != 200:
                person.problems.append(f"{where}: status {response.status_code}")
                continue
            if f">{person.name}<" not in html:
                person.problems.append(f"{where}: their name is not on the page")
            if other.name in html:
                person.problems.append(f"{where}: {other.name}'s name is on the page")
            shown = pressed(html)
            wanted = {idea: person.votes.get(idea, 0) for idea in shown}
            if not shown or shown != wanted:
                person.problems.append(f"{where}: votes shown {shown}, theirs {wanted}")
            tokens = set(_TOKEN.findall(html))
            if not tokens:
                person.problems.append(f"{where}: no CSRF token")
            person.tokens |= tokens

    def read_anonymously() -> None:
        visitor = requests.Session()
        for round_ in range(ROUNDS):
            path = paths[round_ % len(paths)]
            barrier.wait(timeout=60)
            html = visitor.get(f"{base}{path}", timeout=60).text
            if "Alice Kim" in html or "Bob Lee" in html or any(pressed(html).values()):
                anonymous_problems.append(
                    f"round {round_}, {path}: someone's page served anonymously"
                )

    threads = [
        threading.Thread(target=read_as, args=(alice,)),
        threading.Thread(target=read_as, args=(bob,)),
        threading.Thread(target=read_anonymously),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert alice.problems == []
    assert bob.problems == []
    assert anonymous_problems == []

    # Each one's tokens come from their own session's secret, never the other's ...
    secrets = {p.name: {_raw_csrf(app, t) for t in p.tokens} for p in (alice, bob)}
    assert len(secrets["Alice Kim"]) == 1
    assert len(secrets["Bob Lee"]) == 1
    assert secrets["Alice Kim"] != secrets["Bob Lee"]
    assert not alice.tokens & bob.tokens
    # ... and their own session accepts them, the other's refuses them.
    for person, other in ((alice, bob), (bob, alice)):
        own = sorted(person.tokens)[0]
        accepted = person.session.post(
            f"{base}/notifications/read", data={"csrf_token": own}, allow_redirects=False
        )
        assert accepted.status_code == 302, accepted.text
        refused = person.session.post(
            f"{base}/notifications/read",
            data={"csrf_token": sorted(other.tokens)[0]},
            allow_redirects=False,
        )
        assert refused.status_code == 400


# --- (b) a vote shows on the voter's next page --------------------------------------------------


def test_a_vote_shows_on_the_voters_next_page_at_once(
    app: Flask, live_server: str, board: dict[str, Any]
) -> None:
    base, ideas = live_server, board["ideas"]
    target = ideas[2]
    alice = Person("Alice Kim", board["alice"], {})
    bob = Person("Bob Lee", board["bob"], {})
    for person in (alice, bob):
        _sign_in(base, person)
    paths = ["/", f"/ideas/{target}", "/?q=Roaming"]

    def shown_to(person: Person) -> list[tuple[bool, bool, int | None]]:
        pages = [person.session.get(f"{base}{path}", timeout=30) for path in paths]
        assert all(p.status_code == 200 for p in pages)
        return [vote_forms(p.text)[target] for p in pages]

    # Everyone has seen the pages before the vote (whatever could be kept, is).
    assert shown_to(alice) == [(False, False, 0)] * 3
    assert shown_to(bob) == [(False, False, 0)] * 3
    for path in paths:
        requests.get(f"{base}{path}", timeout=30)

    # Up (the plain form), down (as app.js sends it), withdrawn: each on the next page at once.
    for value, json, expected in ((1, False, (True, False, 1)), (-1, True, (False, True, -1)),
                                  (0, False, (False, False, 0))):  # fmt: skip
        _vote(base, alice, target, value, json=json)
        assert shown_to(alice) == [expected] * 3, f"after voting {value}"
        # Nobody else's buttons show Alice's vote.
        assert [(up, down) for up, down, _score in shown_to(bob)] == [(False, False)] * 3

    # Bob's vote counts in the score on his own next page, his button pressed, Alice's not.
    _vote(base, bob, target, 1)
    assert shown_to(bob) == [(True, False, 1)] * 3
    assert [(up, down) for up, down, _score in shown_to(alice)] == [(False, False)] * 3
    db.session.rollback()
