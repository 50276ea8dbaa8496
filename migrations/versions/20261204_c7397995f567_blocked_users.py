"""Blocked users: staff can block a customer from posting (they still sign in and read).

`blocked_at` (None: not blocked), the reason shown to them, and who blocked them.

Revision ID: c7397995f567
Revises: c7a1e5d2f940
Create Date: 2026-12-04 18:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7397995f567'
down_revision = 'c7a1e5d2f940'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blocked_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('blocked_reason', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('blocked_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_users_blocked_by_id_users'), 'users', ['blocked_by_id'], ['id'],
            ondelete='SET NULL',
        )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_blocked_by_id_users'), type_='foreignkey')
        batch_op.drop_column('blocked_by_id')
        batch_op.drop_column('blocked_reason')
        batch_op.drop_column('blocked_at')
