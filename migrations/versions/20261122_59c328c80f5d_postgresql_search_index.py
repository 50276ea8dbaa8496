"""PostgreSQL search: pg_trgm GIN indexes on idea titles and bodies.

Search is case-insensitive substring matching per term (ILIKE '%term%'), the same meaning as
SQLite's trigram FTS5 index; pg_trgm's GIN indexes serve it for terms of three or more
characters in any script, Korean included, without a language-specific dictionary (which
full-text search would need, and PostgreSQL ships none for Korean). Needs the pg_trgm
extension: the migration creates it, which takes a role allowed to (see docs/deploy.md).
Nothing to do on SQLite, which has its FTS5 index since the first migration.

Revision ID: 59c328c80f5d
Revises: 5cdcad7f6bf0
Create Date: 2026-11-22 06:38:43.669672

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '59c328c80f5d'
down_revision = '5cdcad7f6bf0'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE INDEX ix_ideas_title_trgm ON ideas USING gin (title gin_trgm_ops)")
    op.execute("CREATE INDEX ix_ideas_body_trgm ON ideas USING gin (body gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_ideas_body_trgm")
    op.execute("DROP INDEX IF EXISTS ix_ideas_title_trgm")
