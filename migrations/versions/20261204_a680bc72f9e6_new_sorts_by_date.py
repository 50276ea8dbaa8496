"""The New tab sorts by creation date: an index on (created_at, id) for its keyset pages.

New used to be the id order; an idea imported from X keeps its post's date, so ids and dates
disagree, and New now walks (created_at, id) — without this index every page would sort
the whole board.

Revision ID: a680bc72f9e6
Revises: c7c1a5f60a05
Create Date: 2026-12-04 18:45:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a680bc72f9e6'
down_revision = "c7c1a5f60a05"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_ideas_created_id', 'ideas', ['created_at', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_ideas_created_id', table_name='ideas')
