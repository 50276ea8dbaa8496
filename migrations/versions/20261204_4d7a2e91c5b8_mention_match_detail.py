"""Mention log: why a mention matched an existing idea, and undoing a wrong match.

`match_detail` keeps the score and the words that matched (shown to staff); with the author
and language the previous revision records, staff can turn a wrongly matched mention into its
own idea; `undone_at` and `undone_by_id` record that they did. Existing rows keep NULL (no
detail).

Revision ID: 4d7a2e91c5b8
Revises: 4d7a2c91e5b8
Create Date: 2026-12-04 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4d7a2e91c5b8'
down_revision = '4d7a2c91e5b8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('mention_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('match_detail', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('undone_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('undone_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_mention_log_undone_by_id_users'), 'users', ['undone_by_id'], ['id'],
            ondelete='SET NULL',
        )


def downgrade():
    with op.batch_alter_table('mention_log', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_mention_log_undone_by_id_users'), type_='foreignkey')
        batch_op.drop_column('undone_by_id')
        batch_op.drop_column('undone_at')
        batch_op.drop_column('match_detail')
