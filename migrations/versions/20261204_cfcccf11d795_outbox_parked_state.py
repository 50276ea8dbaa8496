"""Outbox: a state of its own for rows parked by an account's monthly spending cap.

Rows the cap held used to stay `pending` with a last_error starting "monthly cap"; they become
`parked` (the state column is a plain string, so no constraint changes). Downgrading turns
them back into pending rows with the same message.

Revision ID: cfcccf11d795
Revises: b5f3d8d88c63
Create Date: 2026-12-04 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'cfcccf11d795'
down_revision = 'b5f3d8d88c63'
branch_labels = None
depends_on = None

outbox = sa.table(
    'outbox',
    sa.column('state', sa.String(16)),
    sa.column('last_error', sa.Text()),
)


def upgrade():
    op.execute(
        outbox.update()
        .where(outbox.c.state == 'pending', outbox.c.last_error.like('monthly cap%'))
        .values(state='parked')
    )


def downgrade():
    op.execute(outbox.update().where(outbox.c.state == 'parked').values(state='pending'))
