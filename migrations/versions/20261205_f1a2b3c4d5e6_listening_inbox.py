"""Listening: every mention is classified, and the ones that are not ideas wait in an inbox.

- `mention_log.label`: question, complaint, suggestion or other (ideaboard.listening.classify),
  set when a mention is logged; spike alerts count mentions per hour per label. Rows logged
  before this migration are classified here, from their stored text: the rules are pure
  functions of the text, so the result is what the importer would have stored.
- `mention_log.inbox_state`: NULL for a mention that needs no one (an idea, a vote, the
  account's own post, a retweet); "open" for one that waits in the listening inbox (no idea
  tag, or an idea held for approval); then "replied", "converted", "routed" or "dismissed".
  Only the last 7 days of untagged mentions are opened here: older ones were read (or not)
  long ago, and opening months of them at once would bury today's.
- `team_id`: the team a mention was routed to; `handled_at`/`handled_by_id`: the staff
  member's last action; `first_response_at`: when a reply to it was first queued, for the
  dashboard's first-response time.

Revision ID: f1a2b3c4d5e6
Revises: e5b7c9d1f3a4
Create Date: 2026-12-05 03:30:00

"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f1a2b3c4d5e6"
down_revision = "e5b7c9d1f3a4"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade():
    with op.batch_alter_table("mention_log") as batch:
        batch.add_column(sa.Column("label", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("inbox_state", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("handled_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("handled_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("first_response_at", sa.DateTime(), nullable=True))
        batch.create_foreign_key(
            "fk_mention_log_team_id_teams", "teams", ["team_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_foreign_key(
            "fk_mention_log_handled_by_id_users",
            "users",
            ["handled_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index(
            "ix_mention_log_inbox", ["inbox_state", "account_id", "fetched_at"], unique=False
        )
        batch.create_index("ix_mention_log_fetched_label", ["fetched_at", "label"], unique=False)
    _classify_existing()


def _classify_existing():
    from ideaboard.listening.classify import classify

    bind = op.get_bind()
    log = sa.table(
        "mention_log",
        sa.column("id", sa.Integer),
        sa.column("text", sa.Text),
        sa.column("label", sa.String),
        sa.column("outcome", sa.String),
        sa.column("reason", sa.String),
        sa.column("fetched_at", sa.DateTime),
        sa.column("inbox_state", sa.String),
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(log.c.id, log.c.text).where(log.c.id > last).order_by(log.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        for row in rows:
            bind.execute(
                log.update().where(log.c.id == row.id).values(label=classify(row.text or "").label)
            )
        last = rows[-1].id
    since = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=7)
    bind.execute(
        log.update()
        .where(
            sa.or_(
                sa.and_(log.c.outcome == "skipped", log.c.reason == "no idea tag"),
                log.c.outcome == "held",
            ),
            log.c.fetched_at >= since,
        )
        .values(inbox_state="open")
    )


def downgrade():
    with op.batch_alter_table("mention_log") as batch:
        batch.drop_index("ix_mention_log_fetched_label")
        batch.drop_index("ix_mention_log_inbox")
        batch.drop_constraint("fk_mention_log_handled_by_id_users", type_="foreignkey")
        batch.drop_constraint("fk_mention_log_team_id_teams", type_="foreignkey")
        batch.drop_column("first_response_at")
        batch.drop_column("handled_by_id")
        batch.drop_column("handled_at")
        batch.drop_column("team_id")
        batch.drop_column("inbox_state")
        batch.drop_column("label")
