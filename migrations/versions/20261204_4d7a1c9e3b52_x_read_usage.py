"""X read usage: posts read per poll of an account, so the monthly spend and cap count reads.

X's pay-per-use API charges for every post read (IDEABOARD_X_COST_READ per mention fetched),
not only for the posts written. One row per poll that fetched anything.

Revision ID: 4d7a1c9e3b52
Revises: 4d7a2e91c5b8
Create Date: 2026-12-04 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4d7a1c9e3b52'
down_revision = '4d7a2e91c5b8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('x_read_usage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(), nullable=False),
    sa.Column('posts', sa.Integer(), nullable=False),
    sa.Column('cost_usd', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['social_accounts.id'], name=op.f('fk_x_read_usage_account_id_social_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_x_read_usage'))
    )
    with op.batch_alter_table('x_read_usage', schema=None) as batch_op:
        batch_op.create_index('ix_x_read_usage_account_fetched', ['account_id', 'fetched_at'], unique=False)


def downgrade():
    with op.batch_alter_table('x_read_usage', schema=None) as batch_op:
        batch_op.drop_index('ix_x_read_usage_account_fetched')
    op.drop_table('x_read_usage')
