"""A time zone per user: `users.timezone`, an IANA name (e.g. "Asia/Seoul"); NULL follows the
site's default (IDEABOARD_TIMEZONE, else Asia/Seoul for Korean and UTC for other languages).

Revision ID: c7c1a5f60a05
Revises: ab007ef8542f
Create Date: 2026-12-04 18:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7c1a5f60a05'
down_revision = "ab007ef8542f"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('timezone')
