"""Echo to everyone who raised an idea: who wrote each logged mention, and in which language.

A stage change now replies to every post counted as a vote, once per person: the mention log
records the author's network user id and the post's language, and is looked up by idea. Rows
logged before this migration get the author of a social identity with the same handle.

The outbox gains two states (the state column is a plain string, so no constraint changes):
`held` (a fan-out above IDEABOARD_ECHO_MAX_REPLIES waiting for staff to confirm it) and
`superseded` (a reply a newer stage change replaced). Downgrading cancels both kinds of row,
so nothing that waited for a confirmation goes out unasked.

Revision ID: 4d7a2c91e5b8
Revises: 9e1f4c2a7b30
Create Date: 2026-12-04 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4d7a2c91e5b8'
down_revision = '9e1f4c2a7b30'
branch_labels = None
depends_on = None

outbox = sa.table(
    'outbox',
    sa.column('state', sa.String(16)),
    sa.column('last_error', sa.Text()),
)
mention_log = sa.table(
    'mention_log',
    sa.column('author_handle', sa.String(60)),
    sa.column('author_remote_id', sa.String(40)),
)
identities = sa.table(
    'social_identities',
    sa.column('id', sa.Integer()),
    sa.column('network', sa.String(16)),
    sa.column('handle', sa.String(60)),
    sa.column('remote_user_id', sa.String(40)),
)


def upgrade():
    with op.batch_alter_table('mention_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('author_remote_id', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('lang', sa.String(length=8), nullable=True))
        batch_op.create_index('ix_mention_log_idea_outcome', ['idea_id', 'outcome'], unique=False)

    same_handle = (
        sa.select(identities.c.remote_user_id)
        .where(identities.c.network == 'x', identities.c.handle == mention_log.c.author_handle)
        .order_by(identities.c.id)
        .limit(1)
        .scalar_subquery()
    )
    op.execute(
        mention_log.update()
        .where(mention_log.c.author_remote_id.is_(None))
        .values(author_remote_id=same_handle)
    )


def downgrade():
    op.execute(
        outbox.update()
        .where(outbox.c.state.in_(('held', 'superseded')))
        .values(state='cancelled')
    )
    with op.batch_alter_table('mention_log', schema=None) as batch_op:
        batch_op.drop_index('ix_mention_log_idea_outcome')
        batch_op.drop_column('lang')
        batch_op.drop_column('author_remote_id')
