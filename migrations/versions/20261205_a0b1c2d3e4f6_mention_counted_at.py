"""Listening: the moment a mention counts, stored and indexed, for the spike check.

The worker judges spikes every round by counting mentions per hour per class. It counted the
post's time (never after its fetch) computed per row over 8 days of `mention_log`, about
0.19 s a round on SQLite at 12,500 mentions a day (bench/listening.py). Storing that moment
as `counted_at` (NULL for the brand account's own posts, which are not counted) and indexing
(counted_at, label) lets the check read only the hours it compares, from the index alone.

Revision ID: a0b1c2d3e4f6
Revises: c7d3e4f5a6b7
Create Date: 2026-12-05 04:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a0b1c2d3e4f6"
down_revision = "c7d3e4f5a6b7"
branch_labels = None
depends_on = None

OWN_POST_REASON = "the account's own post"


def upgrade():
    with op.batch_alter_table("mention_log") as batch:
        batch.add_column(sa.Column("counted_at", sa.DateTime(), nullable=True))
    log = sa.table(
        "mention_log",
        sa.column("posted_at", sa.DateTime),
        sa.column("fetched_at", sa.DateTime),
        sa.column("reason", sa.String),
        sa.column("counted_at", sa.DateTime),
    )
    op.get_bind().execute(
        log.update()
        .where(log.c.reason != OWN_POST_REASON)
        .values(
            counted_at=sa.case(
                (
                    sa.and_(log.c.posted_at.is_not(None), log.c.posted_at < log.c.fetched_at),
                    log.c.posted_at,
                ),
                else_=log.c.fetched_at,
            )
        )
    )
    with op.batch_alter_table("mention_log") as batch:
        batch.create_index("ix_mention_log_counted_label", ["counted_at", "label"], unique=False)


def downgrade():
    with op.batch_alter_table("mention_log") as batch:
        batch.drop_index("ix_mention_log_counted_label")
        batch.drop_column("counted_at")
