"""Staff inbox: the last activity of each idea (for its sort) and saved filters.

`ideas.last_activity_at` is the latest of: submitted, a comment, a stage change, an edit. It
is backfilled from those rows and indexed with the id (the inbox sorts by both).
`saved_filters` holds a staff member's named inbox filters (a name unique per person).
The SQLite rebuild of `ideas` (batch mode, for NOT NULL) drops the FTS5 triggers, so they
are created again, on upgrade and on downgrade.

Revision ID: b044bee2ae6b
Revises: a680bc72f9e6
Create Date: 2026-12-04 18:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b044bee2ae6b'
down_revision = "a680bc72f9e6"
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


# The latest time each idea saw something happen; runs on SQLite and PostgreSQL alike.
BACKFILL = """
UPDATE ideas SET last_activity_at = (
    SELECT MAX(t) FROM (
        SELECT ideas.created_at AS t
        UNION ALL SELECT MAX(c.created_at) FROM comments c WHERE c.idea_id = ideas.id
        UNION ALL SELECT MAX(s.created_at) FROM status_changes s WHERE s.idea_id = ideas.id
        UNION ALL SELECT MAX(e.created_at) FROM idea_edits e WHERE e.idea_id = ideas.id
    ) AS moments
)
"""


def upgrade():
    with op.batch_alter_table('ideas', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_activity_at', sa.DateTime(), nullable=True))
    op.execute(BACKFILL)
    with op.batch_alter_table('ideas', schema=None) as batch_op:
        batch_op.alter_column('last_activity_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.create_index('ix_ideas_last_activity_id', ['last_activity_at', 'id'], unique=False)
    restore_fts_triggers()

    op.create_table('saved_filters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('query', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_saved_filters_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_filters')),
    sa.UniqueConstraint('user_id', 'name', name='uq_saved_filters_user_name')
    )


def downgrade():
    op.drop_table('saved_filters')
    with op.batch_alter_table('ideas', schema=None) as batch_op:
        batch_op.drop_index('ix_ideas_last_activity_id')
        batch_op.drop_column('last_activity_at')
    restore_fts_triggers()
