"""Stage roles: the stages the code relies on are named by a role, not by their slug.

`initial` (new ideas start there), `launched`, `declined` and `duplicate` are backfilled from
the slugs the first migration seeded; a board whose admins removed one of those stages keeps
that role unassigned.

Revision ID: b5f3d8d88c63
Revises: 3def646b88d4
Create Date: 2026-12-04 12:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5f3d8d88c63'
down_revision = '3def646b88d4'
branch_labels = None
depends_on = None

# role: the slug that played it before roles existed (migration eb11887fe329)
ROLE_SLUGS = {
    "initial": "new",
    "launched": "launched",
    "declined": "declined",
    "duplicate": "duplicate",
}


def upgrade():
    with op.batch_alter_table('stages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=16), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_stages_role'), ['role'])

    stages = sa.table("stages", sa.column("slug", sa.String), sa.column("role", sa.String))
    for role, slug in ROLE_SLUGS.items():
        op.execute(stages.update().where(stages.c.slug == slug).values(role=role))


def downgrade():
    with op.batch_alter_table('stages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_stages_role'), type_='unique')
        batch_op.drop_column('role')
