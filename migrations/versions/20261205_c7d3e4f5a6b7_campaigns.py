"""Campaigns: idea drives with a hashtag and a deadline (docs/campaigns.md).

- `campaigns`: title, Markdown description, hashtag (as written, and folded for comparison),
  category, opens_at/closes_at (the state is derived from them at each request), whether it
  is announced on the brand accounts, and when the worker queued those announcements.
- `ideas.campaign_id`: the campaign an idea was submitted to (NULL for most ideas), indexed
  with the score for the campaign page's list.

The SQLite rebuild of `ideas` (batch mode, for the foreign key) drops the FTS5 triggers of
the search, so they are created again, on upgrade and on downgrade (as b044bee2ae6b does).

Revision ID: c7d3e4f5a6b7
Revises: b8c2d3e4f5a6
Create Date: 2026-12-05 03:45:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c7d3e4f5a6b7"
down_revision = "b8c2d3e4f5a6"
branch_labels = None
depends_on = None

FTS_TRIGGERS = [
    "CREATE TRIGGER IF NOT EXISTS ideas_fts_insert AFTER INSERT ON ideas BEGIN "
    "INSERT INTO idea_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER IF NOT EXISTS ideas_fts_delete AFTER DELETE ON ideas BEGIN "
    "INSERT INTO idea_fts(idea_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER IF NOT EXISTS ideas_fts_update AFTER UPDATE OF title, body ON ideas BEGIN "
    "INSERT INTO idea_fts(idea_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO idea_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
]


def restore_fts_triggers():
    if op.get_bind().dialect.name == "sqlite":
        for statement in FTS_TRIGGERS:
            op.execute(statement)


def upgrade():
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=480), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("description_html", sa.Text(), nullable=False),
        sa.Column("hashtag", sa.String(length=200), nullable=False),
        sa.Column("hashtag_key", sa.String(length=200), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("opens_at", sa.DateTime(), nullable=False),
        sa.Column("closes_at", sa.DateTime(), nullable=False),
        sa.Column("announce", sa.Boolean(), nullable=False),
        sa.Column("open_announced_at", sa.DateTime(), nullable=True),
        sa.Column("close_announced_at", sa.DateTime(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_campaigns_category_id_categories"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_campaigns_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("slug", name=op.f("uq_campaigns_slug")),
    )
    with op.batch_alter_table("campaigns") as batch:
        batch.create_index("ix_campaigns_hashtag_key", ["hashtag_key"], unique=False)
        batch.create_index("ix_campaigns_closes_at", ["closes_at"], unique=False)
    with op.batch_alter_table("ideas") as batch:
        batch.add_column(sa.Column("campaign_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_ideas_campaign_id_campaigns",
            "campaigns",
            ["campaign_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index(
            "ix_ideas_campaign_score_id", ["campaign_id", "score", "id"], unique=False
        )
    restore_fts_triggers()


def downgrade():
    with op.batch_alter_table("ideas") as batch:
        batch.drop_index("ix_ideas_campaign_score_id")
        batch.drop_constraint("fk_ideas_campaign_id_campaigns", type_="foreignkey")
        batch.drop_column("campaign_id")
    restore_fts_triggers()
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_index("ix_campaigns_closes_at")
        batch.drop_index("ix_campaigns_hashtag_key")
    op.drop_table("campaigns")
