"""A vote on PostgreSQL as one statement: one round trip instead of six to nine.

`services.cast_vote` keeps the rules (who may vote, which values, when voting is closed) and
the SQLite path; this module holds the one statement that does the database's part on
PostgreSQL: lock the idea's row, read the voter's previous vote, insert, change or delete it,
follow the idea on a first vote, and move up/down/score, the Trending rank and the follower
count — then answer the tally, the previous value and whether the idea takes votes.

The snapshot. A statement sees the other rows as they were when it *started*, even after it
waited for the row lock (READ COMMITTED re-reads only the locked row). So if it waited behind a
transaction that changed this voter's vote — the same person voting twice at once, or a merge
moving votes — its read of the vote would be stale, and counts would drift from the rows. Every
write of a vote also rewrites the idea's row (the counts), so the statement compares the idea
row it locked with the one its snapshot sees (`xmin`, the writing transaction). Equal: nothing
committed in between, the vote read is current, the statement writes. Different: it writes
nothing and says so; the caller runs it again, now holding the lock, with a fresh snapshot (at
most once: nobody else can change the row while we hold it). Only a vote that waited behind a
change of the same idea pays the second round trip.

The Trending rank is `ranking.hot_rank` written in SQL: the same float operations (C `log10`,
an exact epoch difference converted once, one division), then 7 places. PostgreSQL rounds the
float's shortest decimal (half away from zero), Python its exact binary value (half to even):
they could differ only when that decimal has exactly 8 places ending in 5 — a rank off by 1e-7
at worst, never seen in the tests, which compare both exactly over many scores and dates.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, text

from ..database import UTCDateTime, utcnow
from ..extensions import db
from .ranking import EPOCH, SECONDS_PER_DECADE_OF_VOTES

# :value is 1, -1 or 0; :follow says whether a first vote makes the voter follow the idea.
# Writes happen only when `go`: the snapshot is current, the idea takes votes, the vote changes.
VOTE_STATEMENT = text(
    f"""
WITH locked AS MATERIALIZED (
    SELECT id, xmin AS version, score, up_count, down_count, created_at, stage_id, hidden_at,
        campaign_id
    FROM ideas WHERE id = :idea_id
    FOR UPDATE
), seen AS MATERIALIZED (
    SELECT xmin AS version FROM ideas WHERE id = :idea_id
), state AS MATERIALIZED (
    SELECT l.*,
        l.version = (SELECT version FROM seen) AS fresh,
        l.hidden_at IS NULL
            AND coalesce((SELECT is_open FROM stages WHERE id = l.stage_id), false)
            -- a campaign's ideas take votes until its deadline (campaigns/)
            AND coalesce((SELECT closes_at > :now FROM campaigns WHERE id = l.campaign_id), true)
            AS open,
        (SELECT value FROM votes WHERE user_id = :user_id AND idea_id = l.id) AS old
    FROM locked l
), change AS MATERIALIZED (
    SELECT s.id, s.fresh, s.open, s.hidden_at IS NOT NULL AS hidden, s.old, s.created_at,
        coalesce(s.old, 0) AS before,
        s.up_count + (CASE WHEN :value = 1 THEN 1 ELSE 0 END)
            - (CASE WHEN s.old = 1 THEN 1 ELSE 0 END) AS up,
        s.down_count + (CASE WHEN :value = -1 THEN 1 ELSE 0 END)
            - (CASE WHEN s.old = -1 THEN 1 ELSE 0 END) AS down,
        s.score + :value - coalesce(s.old, 0) AS score,
        s.fresh AND s.open AND coalesce(s.old, 0) <> :value AS go
    FROM state s
), inserted AS (
    INSERT INTO votes (user_id, idea_id, value, created_at, updated_at)
    SELECT :user_id, c.id, :value, :now, :now FROM change c WHERE c.go AND c.old IS NULL
    RETURNING idea_id
), changed AS (
    UPDATE votes SET value = :value, updated_at = :now
    FROM change c
    WHERE c.go AND c.old IS NOT NULL AND :value <> 0
        AND votes.user_id = :user_id AND votes.idea_id = c.id
    RETURNING votes.idea_id
), withdrawn AS (
    DELETE FROM votes USING change c
    WHERE c.go AND c.old IS NOT NULL AND :value = 0
        AND votes.user_id = :user_id AND votes.idea_id = c.id
    RETURNING votes.idea_id
), followed AS (
    INSERT INTO follows (user_id, idea_id, created_at)
    SELECT :user_id, c.id, :now FROM change c WHERE c.go AND c.old IS NULL AND :follow
    ON CONFLICT DO NOTHING
    RETURNING idea_id
), counted AS (
    UPDATE ideas SET
        up_count = c.up,
        down_count = c.down,
        score = c.score,
        hot = round((
            (CASE WHEN c.score > 0 THEN 1 WHEN c.score < 0 THEN -1 ELSE 0 END)::float8
                * log(greatest(abs(c.score), 1)::float8)
            + extract(epoch FROM c.created_at - TIMESTAMP '{EPOCH:%Y-%m-%d %H:%M:%S}')::float8
                / {SECONDS_PER_DECADE_OF_VOTES}::float8
        )::text::numeric, 7)::float8,
        follower_count = ideas.follower_count + (SELECT count(*) FROM followed)
    FROM change c
    WHERE c.go AND ideas.id = c.id
    RETURNING ideas.hot, ideas.follower_count
)
SELECT c.fresh, c.open, c.hidden, c.before, c.up, c.down, c.score,
    (SELECT count(*) FROM inserted) + (SELECT count(*) FROM changed)
        + (SELECT count(*) FROM withdrawn) AS written,
    (SELECT count(*) FROM followed) AS followed,
    (SELECT hot FROM counted) AS hot,
    (SELECT follower_count FROM counted) AS follower_count
FROM change c
"""  # noqa: S608 - the only interpolations are two constants of ranking.py
).bindparams(bindparam("now", type_=UTCDateTime))


@dataclass(frozen=True)
class VoteOutcome:
    """What the statement found and did. `previous` is the vote before (0: none)."""

    open: bool  # the idea takes votes (not hidden, its stage and campaign open); else no write
    hidden: bool
    previous: int
    score: int  # the tally after the vote (when open)
    up: int
    down: int
    written: bool  # the vote row changed (and the counts with it)
    followed: bool  # a first vote made the voter follow the idea
    hot: float | None  # the new rank and follower count, when written
    follower_count: int | None


def vote_in_one_statement(
    user_id: int, idea_id: int, value: int, *, follow: bool
) -> VoteOutcome | None:
    """Set the vote on PostgreSQL in one statement (two when it waited behind a change of the
    idea, see above); None when there is no idea with this id. The caller commits."""
    params = {
        "user_id": user_id,
        "idea_id": idea_id,
        "value": value,
        "follow": follow,
        "now": utcnow(),
    }
    # A text() statement does not autoflush as the ORM's statements do: write what the
    # session holds first (a follow or an idea added in this transaction).
    db.session.flush()
    for _attempt in range(2):
        row = db.session.execute(VOTE_STATEMENT, params).one_or_none()
        if row is None:
            return None
        if row.fresh:
            return VoteOutcome(
                open=row.open,
                hidden=row.hidden,
                previous=row.before,
                score=row.score,
                up=row.up,
                down=row.down,
                written=bool(row.written),
                followed=bool(row.followed),
                hot=row.hot,
                follower_count=row.follower_count,
            )
    # Holding the lock, the second run's snapshot is taken after every change of the row.
    raise RuntimeError(f"the vote statement saw idea {idea_id} change under its own lock")
