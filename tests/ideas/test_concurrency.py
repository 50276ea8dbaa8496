"""Votes from many threads through a real HTTP server leave stored counts equal to the rows."""

from __future__ import annotations

import re
import threading

import pytest
import requests
from sqlalchemy import func, select

from ideaboard.extensions import db
from ideaboard.ideas.models import Idea, Vote
from tests.helpers import PASSWORD

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _logged_in_session(base: str, email: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    token = _TOKEN.search(session.get(f"{base}/login", timeout=30).text).group(1)
    response = session.post(
        f"{base}/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302
    token = _TOKEN.search(session.get(f"{base}/notifications", timeout=30).text).group(1)
    return session, token


@pytest.mark.slow
def test_twenty_threads_voting_on_one_idea_keep_counts_equal_to_rows(
    app, live_server, make_user, make_idea
):
    idea = make_idea()
    idea_id = idea.id
    emails = [make_user().email for _ in range(20)]
    sessions = [_logged_in_session(live_server, email) for email in emails]
    barrier = threading.Barrier(len(sessions))
    statuses: list[int] = []
    lock = threading.Lock()

    def vote(index: int, session: requests.Session, token: str) -> None:
        barrier.wait()
        # Each user votes up, changes their mind or withdraws: several writes per thread.
        values = [1, -1, 1] if index % 3 else [1, 0, -1, -1]
        for value in values:
            response = session.post(
                f"{live_server}/ideas/{idea_id}/vote",
                data={"value": str(value), "csrf_token": token},
                headers={"Accept": "application/json"},
                timeout=60,
            )
            with lock:
                statuses.append(response.status_code)

    threads = [
        threading.Thread(target=vote, args=(i, session, token))
        for i, (session, token) in enumerate(sessions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert statuses
    assert set(statuses) == {200}
    db.session.rollback()  # end the read snapshot taken before the threads wrote
    stored = db.session.get(Idea, idea_id)
    up = db.session.scalar(select(func.count()).where(Vote.idea_id == idea_id, Vote.value == 1))
    down = db.session.scalar(select(func.count()).where(Vote.idea_id == idea_id, Vote.value == -1))
    assert (stored.up_count, stored.down_count, stored.score) == (up, down, up - down)
    expected_up = sum(1 for i in range(20) if i % 3)
    assert (up, down) == (expected_up, 20 - expected_up)


@pytest.mark.slow
def test_one_user_racing_themselves_keeps_one_vote(app, live_server, make_user, make_idea):
    idea = make_idea()
    idea_id = idea.id
    session, token = _logged_in_session(live_server, make_user().email)
    barrier = threading.Barrier(10)
    statuses: list[int] = []

    def vote() -> None:
        barrier.wait()
        response = session.post(
            f"{live_server}/ideas/{idea_id}/vote",
            data={"value": "1", "csrf_token": token},
            headers={"Accept": "application/json"},
            timeout=60,
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=vote) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200] * 10
    db.session.rollback()  # end the read snapshot taken before the threads wrote
    assert db.session.scalar(select(func.count()).where(Vote.idea_id == idea_id)) == 1
    assert db.session.get(Idea, idea_id).score == 1
