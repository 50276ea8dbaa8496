"""Roadmap and changelog: a stage's roadmap column, and when each user last saw the changelog.

`stages.roadmap_column` is the column of the public roadmap a stage's ideas appear in
(`planned` or `in_progress`; NULL: not on the roadmap; the Launched column is always the stage
with the `launched` role). The seeded stages `planned` and `in-progress` are backfilled.
`users.changelog_seen_at` is when the user last opened the changelog (NULL: never), for the
"new since your last visit" marks and the count of launches they voted for since.

Revision ID: 739c3e983374
Revises: 421c15dd07ed
Create Date: 2026-12-04 18:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '739c3e983374'
down_revision = "421c15dd07ed"
branch_labels = None
depends_on = None

# column: the slug the first migration (eb11887fe329) seeded for it
COLUMN_SLUGS = {"planned": "planned", "in_progress": "in-progress"}


def upgrade():
    with op.batch_alter_table('stages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('roadmap_column', sa.String(length=16), nullable=True))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changelog_seen_at', sa.DateTime(), nullable=True))

    stages = sa.table(
        "stages", sa.column("slug", sa.String), sa.column("roadmap_column", sa.String)
    )
    for column, slug in COLUMN_SLUGS.items():
        op.execute(stages.update().where(stages.c.slug == slug).values(roadmap_column=column))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('changelog_seen_at')
    with op.batch_alter_table('stages', schema=None) as batch_op:
        batch_op.drop_column('roadmap_column')
