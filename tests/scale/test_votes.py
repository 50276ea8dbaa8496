"""Votes from many clients through 4 gunicorn workers keep every idea's counts equal to its rows.

A smaller run of `bench/run.py votes` (20,000 votes, 2,000 users, 50 ideas, 200 clients):
2,000 votes from 200 users on 10 ideas with 200 concurrent clients, each user logged in once
through the login form, each vote a real POST with the session cookie and CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.security import generate_password_hash

from bench.server import gunicorn
from bench.votestorm import count_mismatches, log_in_all, storm
from ideaboard.accounts.models import User
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from tests.helpers import PASSWORD

pytestmark = pytest.mark.slow

USERS, IDEAS, VOTES, CLIENTS, WORKERS = 200, 10, 2_000, 200, 4
# Logins are not what this measures: a cheap hash keeps 200 logins from costing 200 scrypts.
CHEAP_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def test_concurrent_votes_through_gunicorn_keep_counts_equal_to_rows(
    app: Flask,
    database_url: str,
    make_idea: Callable[..., Idea],
    tmp_path: Path,
) -> None:
    users = [
        User(email=f"voter{n}@example.com", name=f"Voter {n}", password_hash=CHEAP_HASH)
        for n in range(USERS)
    ]
    db.session.add_all(users)
    db.session.commit()
    emails = [user.email for user in users]
    idea_ids = [make_idea().id for _ in range(IDEAS)]
    db.session.remove()  # nothing of ours stays open while the workers write
    log = tmp_path / "gunicorn.log"
    with gunicorn(database_url, workers=WORKERS, log=log) as base:
        voters = log_in_all(base, emails, PASSWORD, clients=50)
        result = storm(base, voters, idea_ids, votes=VOTES, clients=CLIENTS)
    print(f"\n{WORKERS} gunicorn workers, {CLIENTS} clients: {result.summary()}")
    assert result.requests == VOTES
    assert result.server_errors == 0, result.errors
    assert dict(result.statuses) == {200: VOTES}, result.errors
    assert count_mismatches(database_url, idea_ids) == []
    assert "Traceback" not in log.read_text()
