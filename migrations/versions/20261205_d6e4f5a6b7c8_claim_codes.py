"""Claim your posts: one-time codes that link a social identity to a customer's account.

- `claim_codes`: a code a signed-in customer asked for, to post as "@brand claim IB-XXXX-XXXX"
  from the handle they named; only its SHA-256 is stored; it expires, is used once, or is
  revoked by a newer code (ideaboard/social/claims.py, docs/claims.md).
- `social_identities.linked_at`: when a customer claimed the identity (NULL: it still belongs
  to its shadow user).

Revision ID: d6e4f5a6b7c8
Revises: f1a2b3c4d5e6
Create Date: 2026-12-05 03:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d6e4f5a6b7c8"
down_revision = "f1a2b3c4d5e6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "claim_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("network", sa.String(length=16), nullable=False),
        sa.Column("handle", sa.String(length=255), nullable=False),
        sa.Column("handle_folded", sa.String(length=255), nullable=False),
        sa.Column("expected_remote_id", sa.String(length=300), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("identity_id", sa.Integer(), nullable=True),
        sa.Column("post_id", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_claim_codes_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["identity_id"],
            ["social_identities.id"],
            name=op.f("fk_claim_codes_identity_id_social_identities"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_claim_codes_code_hash")),
    )
    op.create_index("ix_claim_codes_user_created", "claim_codes", ["user_id", "created_at"])
    with op.batch_alter_table("social_identities") as batch:
        batch.add_column(sa.Column("linked_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("social_identities") as batch:
        batch.drop_column("linked_at")
    op.drop_index("ix_claim_codes_user_created", table_name="claim_codes")
    op.drop_table("claim_codes")
