"""Customers manage their own things: idea revisions; edited, deleted and hidden comments.

- `idea_revisions`: every version of an idea's title, body and category (the first row is the
  original, written when the idea is first edited); the idea row holds the current one.
- `comments.edited_at`: when its author last changed it ("edited" mark).
- `comments.deleted_at`: its author deleted it; the row stays as a placeholder in the thread
  (replies and notifications keep their place) and its text is emptied.
- `comments.hidden_at/hidden_reason/hidden_by_id`: staff hid it; only its author and staff see
  the text, staff can restore it.

Revision ID: 421c15dd07ed
Revises: c7397995f567
Create Date: 2026-12-04 18:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '421c15dd07ed'
down_revision = "c7397995f567"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('idea_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('editor_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=560), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['idea_id'], ['ideas.id'], name=op.f('fk_idea_revisions_idea_id_ideas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['editor_id'], ['users.id'], name=op.f('fk_idea_revisions_editor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_idea_revisions_category_id_categories'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idea_revisions'))
    )
    with op.batch_alter_table('idea_revisions', schema=None) as batch_op:
        batch_op.create_index('ix_idea_revisions_idea_id', ['idea_id', 'id'], unique=False)

    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('edited_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('hidden_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('hidden_reason', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('hidden_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_comments_hidden_by_id_users'), 'users', ['hidden_by_id'], ['id'],
            ondelete='SET NULL',
        )


def downgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_comments_hidden_by_id_users'), type_='foreignkey')
        batch_op.drop_column('hidden_by_id')
        batch_op.drop_column('hidden_reason')
        batch_op.drop_column('hidden_at')
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('edited_at')

    with op.batch_alter_table('idea_revisions', schema=None) as batch_op:
        batch_op.drop_index('ix_idea_revisions_idea_id')

    op.drop_table('idea_revisions')
