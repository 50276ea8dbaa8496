"""E-mail: address verification, bounces, notification choice and digest mark on users;
team members (who get a team's overdue-ideas e-mail); marks of the scheduled mail jobs.

Existing accounts start unverified (nobody ever confirmed their address) with per-update
e-mails chosen: they get notification e-mails once they verify from their profile.

Revision ID: 9e1f4c2a7b30
Revises: 6bca6df5ae3a
Create Date: 2026-12-04 15:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9e1f4c2a7b30'
down_revision = '6bca6df5ae3a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('email_undeliverable_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('email_undeliverable_reason', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('email_notifications', sa.String(length=8), nullable=False, server_default='each'))
        batch_op.add_column(sa.Column('digest_sent_at', sa.DateTime(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_users_email_notifications_known'),
            "email_notifications IN ('each', 'daily', 'none')",
        )

    op.create_table('team_members',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_members_team_id_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_team_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'user_id', name=op.f('pk_team_members'))
    )
    op.create_table('job_marks',
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_marks'))
    )


def downgrade():
    op.drop_table('job_marks')
    op.drop_table('team_members')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_email_notifications_known'), type_='check')
        batch_op.drop_column('digest_sent_at')
        batch_op.drop_column('email_notifications')
        batch_op.drop_column('email_undeliverable_reason')
        batch_op.drop_column('email_undeliverable_at')
        batch_op.drop_column('email_verified_at')
