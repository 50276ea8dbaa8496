"""Staff notes and saved replies: internal notes on an idea (staff-only) and canned answers.

Revision ID: ab007ef8542f
Revises: 739c3e983374
Create Date: 2026-12-04 18:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ab007ef8542f'
down_revision = "739c3e983374"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('idea_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_idea_notes_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['idea_id'], ['ideas.id'], name=op.f('fk_idea_notes_idea_id_ideas'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idea_notes'))
    )
    with op.batch_alter_table('idea_notes', schema=None) as batch_op:
        batch_op.create_index('ix_idea_notes_idea_created', ['idea_id', 'created_at'], unique=False)

    op.create_table('saved_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_saved_replies_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_replies')),
    sa.UniqueConstraint('lang', 'title', name='uq_saved_replies_lang_title')
    )


def downgrade():
    op.drop_table('saved_replies')
    with op.batch_alter_table('idea_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_idea_notes_idea_created')

    op.drop_table('idea_notes')
