"""Spike alerts: one row per class of mentions and UTC hour that fired (listening/alerts.py).

The unique (label, hour) is what makes an alert fire exactly once with several workers.

Revision ID: b8c2d3e4f5a6
Revises: d6e4f5a6b7c8
Create Date: 2026-12-05 04:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b8c2d3e4f5a6"
down_revision = "d6e4f5a6b7c8"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "spike_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=16), nullable=False),
        sa.Column("hour", sa.DateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=False),
        sa.Column("factor", sa.Float(), nullable=False),
        sa.Column("history_days", sa.Integer(), nullable=False),
        sa.Column("baseline_days", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["users.id"],
            name=op.f("fk_spike_alerts_acknowledged_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spike_alerts")),
        sa.UniqueConstraint("label", "hour", name="uq_spike_alerts_label_hour"),
    )
    op.create_index(
        "ix_spike_alerts_acknowledged_hour",
        "spike_alerts",
        ["acknowledged_at", "hour"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_spike_alerts_acknowledged_hour", table_name="spike_alerts")
    op.drop_table("spike_alerts")
