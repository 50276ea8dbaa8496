"""The vote in one statement (PostgreSQL, ideas.votesql) does what the vote in steps does.

Each test runs on both databases: on SQLite `vote_on` takes the stepwise path, so there the
tests pin the behaviour both paths share; on PostgreSQL they compare the two.
"""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, update

from ideaboard.accounts.blocking import UserBlocked, block_user
from ideaboard.accounts.models import Role
from ideaboard.database import utcnow, write_intent
from ideaboard.errors import NotFound, ValidationFailed, VotingClosed
from ideaboard.extensions import db
from ideaboard.ideas import services, votesql
from ideaboard.ideas.models import Follow, Idea, Vote
from ideaboard.ideas.ranking import hot_rank
from tests.helpers import csrf_token, post, wait_for_lock_waiter
from tests.ideas.helpers import JSON, T0, sign_in, stage_by_slug

# 0→0, 0→1, 1→1, 1→−1, −1→−1, −1→0, 0→0, 0→−1, −1→1, 1→0, and a first vote again.
TRANSITIONS = [0, 1, 1, -1, -1, 0, 0, -1, 1, 0, 1]


def _stored(idea_id: int) -> tuple[int, int, int, float, int]:
    row = db.session.execute(
        select(Idea.score, Idea.up_count, Idea.down_count, Idea.hot, Idea.follower_count).where(
            Idea.id == idea_id
        )
    ).one()
    return tuple(row)  # type: ignore[return-value]


def _vote_of(user_id: int, idea_id: int) -> int | None:
    return db.session.scalar(
        select(Vote.value).where(Vote.user_id == user_id, Vote.idea_id == idea_id)
    )


def _follows(user_id: int, idea_id: int) -> bool:
    return db.session.get(Follow, (user_id, idea_id)) is not None


def _twins(add_idea, make_user):
    """Two ideas alike (same creation time, same other voters), one per path."""
    created = T0 + timedelta(seconds=12345, microseconds=678901)
    ideas = [add_idea(created_at=created), add_idea(created_at=created)]
    others = [make_user() for _ in range(3)]
    for idea in ideas:
        for other, value in zip(others, (1, 1, -1), strict=True):
            services.cast_vote(other, idea, value)
    db.session.commit()
    return ideas


def test_every_transition_matches_the_vote_in_steps(app, add_idea, make_user):
    by_statement, in_steps = _twins(add_idea, make_user)
    voter = make_user()
    for value in TRANSITIONS:
        tally = services.vote_on(voter, by_statement.id, value)
        reference = services._cast_vote_in_steps(voter, in_steps, value)
        db.session.commit()
        assert tally == reference, value
        assert (tally.score, tally.up, tally.down) == _stored(by_statement.id)[:3]
        assert _stored(by_statement.id) == _stored(in_steps.id), value
        assert _stored(by_statement.id)[3] == hot_rank(tally.score, by_statement.created_at)
        assert _vote_of(voter.id, by_statement.id) == _vote_of(voter.id, in_steps.id)
        assert _follows(voter.id, by_statement.id) == _follows(voter.id, in_steps.id)
    assert _follows(voter.id, by_statement.id)
    assert _stored(by_statement.id)[4] == 4  # the three other voters and this one, once each


def test_cast_vote_with_a_loaded_idea_matches_too_and_keeps_it_in_step(app, add_idea, make_user):
    by_statement, in_steps = _twins(add_idea, make_user)
    voter = make_user()
    for value in TRANSITIONS:
        tally = services.cast_vote(voter, by_statement, value)
        assert tally == services._cast_vote_in_steps(voter, in_steps, value)
        # The loaded object shows what was written, without a refresh.
        assert (by_statement.score, by_statement.up_count, by_statement.down_count) == (
            tally.score,
            tally.up,
            tally.down,
        )
        loaded = (by_statement.hot, by_statement.follower_count)
        db.session.commit()
        assert loaded == _stored(by_statement.id)[3:]


def test_a_loaded_vote_row_follows_the_change(app, make_idea, make_user):
    idea, voter = make_idea(), make_user()
    services.vote_on(voter, idea.id, 1)
    row = db.session.scalar(select(Vote).where(Vote.user_id == voter.id))
    services.vote_on(voter, idea.id, -1)
    assert row.value == -1
    services.vote_on(voter, idea.id, 0)
    db.session.commit()
    assert db.session.scalar(select(Vote).where(Vote.user_id == voter.id)) is None


def test_an_imported_vote_of_a_shadow_user_follows_nothing(app, make_idea, make_user):
    idea, shadow = make_idea(), make_user()
    shadow.active = False
    db.session.commit()
    tally = services.cast_vote(shadow, idea, 1, imported=True)
    db.session.commit()
    assert (tally.score, tally.up) == (1, 1)
    assert not _follows(shadow.id, idea.id)
    assert _stored(idea.id)[4] == 1  # its author only


def test_a_first_vote_of_someone_who_follows_already_counts_them_once(app, make_idea, make_user):
    idea, voter = make_idea(), make_user()
    services.follow_idea(voter, idea)
    db.session.commit()
    services.vote_on(voter, idea.id, 1)
    db.session.commit()
    assert _stored(idea.id)[4] == 2  # author and voter
    assert db.session.scalar(select(func.count()).where(Follow.idea_id == idea.id)) == 2


@pytest.mark.parametrize("score", [-1001, -250, -11, -10, -2, -1, 0, 1, 2, 9, 10, 99, 1000, 31337])
def test_the_stored_rank_is_exactly_hot_rank(app, add_idea, make_user, score):
    rng = random.Random(score)  # noqa: S311 - test data
    voter = make_user()
    for _ in range(20):
        created = T0 + timedelta(days=rng.randint(-900, 900), microseconds=rng.randint(0, 10**11))
        idea = add_idea(created_at=created)
        db.session.execute(update(Idea).where(Idea.id == idea.id).values(score=score - 1))
        tally = services.vote_on(voter, idea.id, 1)
        db.session.commit()
        assert tally.score == score
        assert _stored(idea.id)[3] == hot_rank(score, idea.created_at), created


def test_refusals_keep_their_order_and_write_nothing(app, make_idea, make_user):
    staff, customer = make_user(Role.STAFF), make_user()
    idea, hidden, closed = make_idea(), make_idea(), make_idea()
    hidden.hidden_at = hidden.created_at
    closed.stage = stage_by_slug("launched")  # a closed stage
    blocked = make_user()
    block_user(blocked, staff, "spam")
    db.session.commit()
    missing = closed.id + 100
    with pytest.raises(NotFound):
        services.vote_on(customer, missing, 1)
    with pytest.raises(NotFound):
        services.vote_on(blocked, missing, 1)  # no such idea comes before "you are blocked"
    with pytest.raises(NotFound):
        services.vote_on(customer, missing, 7)
    with pytest.raises(NotFound):
        services.vote_on(customer, hidden.id, 1)
    with pytest.raises(VotingClosed):
        services.vote_on(staff, hidden.id, 1)  # staff see it, but hidden ideas take no votes
    with pytest.raises(VotingClosed):
        services.vote_on(customer, closed.id, 1)
    with pytest.raises(UserBlocked):
        services.vote_on(blocked, idea.id, 1)
    with pytest.raises(ValidationFailed):
        services.vote_on(customer, idea.id, 2)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Vote)) == 0
    for each in (idea, hidden, closed):
        assert _stored(each.id)[:3] == (0, 0, 0)


def test_a_user_blocked_after_signing_in_cannot_vote_with_that_session(
    client, make_idea, make_user
):
    idea, voter, staff = make_idea(), make_user(), make_user(Role.STAFF)
    sign_in(client, voter)
    assert post(client, f"/ideas/{idea.id}/vote", {"value": "1"}, headers=JSON).status_code == 200
    block_user(voter, staff, "spam")
    db.session.commit()
    response = post(client, f"/ideas/{idea.id}/vote", {"value": "-1"}, headers=JSON)
    assert response.status_code == 403
    db.session.rollback()
    assert _vote_of(voter.id, idea.id) == 1
    assert post(client, "/ideas/999999/vote", {"value": "x"}, headers=JSON).status_code == 404


@pytest.mark.postgresql_only
def test_a_vote_is_one_statement_in_one_transaction(app, client, make_idea, make_user):
    """The request runs the sign-in's query and the vote, and nothing after the commit."""
    idea, voter = make_idea(), make_user()
    sign_in(client, voter)
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement.split()[0].upper())

    event.listen(db.engine, "before_cursor_execute", record)
    event.listen(db.engine, "begin", lambda _conn: seen.append("BEGIN"))
    token, path = csrf_token(client), f"/ideas/{idea.id}/vote"
    try:
        for value in ("1", "-1", "0", "1"):
            db.session.rollback()  # the test shares the requests' session: start clean
            seen.clear()
            response = client.post(path, data={"value": value, "csrf_token": token}, headers=JSON)
            assert response.status_code == 200
            assert seen == ["BEGIN", "SELECT", "WITH"], value
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


@pytest.mark.postgresql_only
def test_a_vote_that_waited_behind_the_same_users_vote_reads_it_again(app, make_idea, make_user):
    """The statement's snapshot predates the lock it waited for: it must not miss the vote
    committed meanwhile (one user voting twice at once), and must run again to see it."""
    idea, voter = make_idea(), make_user()
    idea_id, voter_id = idea.id, voter.id
    db.session.commit()
    runs: list[str] = []
    outcome: dict[str, object] = {}
    started = threading.Event()

    def count(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().startswith("WITH locked"):
            runs.append(threading.current_thread().name)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        # The first vote holds the idea's row, uncommitted, while the second one starts.
        first = db.engine.connect()
        tx = first.begin()
        first.execute(votesql.VOTE_STATEMENT, _params(voter_id, idea_id, 1))

        def second() -> None:
            with app.app_context():
                started.set()
                outcome["value"] = votesql.vote_in_one_statement(voter_id, idea_id, 1, follow=True)
                db.session.commit()

        thread = threading.Thread(target=second, name="second")
        thread.start()
        started.wait(10)
        wait_for_lock_waiter(first)
        tx.commit()
        first.close()
        thread.join(30)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    result = outcome["value"]
    assert isinstance(result, votesql.VoteOutcome)
    assert result.previous == 1  # it saw the committed vote
    assert not result.written
    assert runs.count("second") == 2  # the stale first run wrote nothing and ran again
    db.session.rollback()
    assert _stored(idea_id)[:3] == (1, 1, 0)
    assert db.session.scalar(select(func.count()).where(Vote.idea_id == idea_id)) == 1
    assert _stored(idea_id)[4] == 2  # author and voter, counted once


def _params(user_id: int, idea_id: int, value: int) -> dict[str, object]:
    return {"user_id": user_id, "idea_id": idea_id, "value": value, "follow": True, "now": utcnow()}


@pytest.mark.slow
def test_many_voters_and_self_races_on_one_idea_keep_counts_equal_to_rows(
    app, make_idea, make_user
):
    """12 threads (the pool holds 15 connections), 4 users with 3 threads each (racing
    themselves), 12 votes per thread."""
    idea = make_idea()
    idea_id = idea.id
    users = [make_user().id for _ in range(4)]
    db.session.commit()
    errors: list[BaseException] = []
    barrier = threading.Barrier(12)

    def voter(k: int) -> None:
        from ideaboard.accounts.models import User

        rng = random.Random(k)  # noqa: S311 - test data
        try:
            # Outside a request, a writer says so (BEGIN IMMEDIATE on SQLite), as the CLI does.
            with app.app_context(), write_intent():
                user = db.session.get(User, users[k % 4])
                db.session.commit()  # no transaction held while the others start
                barrier.wait(30)
                for _ in range(12):
                    services.vote_on(user, idea_id, rng.choice((1, 1, -1, 0)))
                    db.session.commit()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=voter, args=(k,)) for k in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, [e for e in errors if not isinstance(e, threading.BrokenBarrierError)][:3]
    db.session.rollback()
    up = db.session.scalar(select(func.count()).where(Vote.idea_id == idea_id, Vote.value == 1))
    down = db.session.scalar(select(func.count()).where(Vote.idea_id == idea_id, Vote.value == -1))
    score, up_count, down_count, hot, followers = _stored(idea_id)
    assert (up_count, down_count, score) == (up, down, up - down)
    assert hot == hot_rank(score, db.session.get(Idea, idea_id).created_at)
    following = db.session.scalar(select(func.count()).where(Follow.idea_id == idea_id))
    assert followers == following


def test_what_the_session_holds_is_written_before_the_vote(app, make_idea, make_user):
    """A follow added but not flushed is seen by the vote (no second follow, no error)."""
    idea, voter = make_idea(), make_user()
    db.session.execute(
        update(Idea).where(Idea.id == idea.id).values(follower_count=Idea.follower_count + 1)
    )
    db.session.refresh(voter)  # loaded: voting reads no attribute (no autoflush by the ORM)
    idea_id = idea.id
    db.session.add(Follow(user_id=voter.id, idea_id=idea_id))  # pending, not flushed
    services.vote_on(voter, idea_id, 1)
    db.session.commit()
    assert _stored(idea.id)[:3] == (1, 1, 0)
    assert _stored(idea.id)[4] == 2
    assert db.session.scalar(select(func.count()).where(Follow.idea_id == idea.id)) == 2
