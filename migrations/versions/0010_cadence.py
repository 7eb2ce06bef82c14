"""cadence

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import loyalty.kit.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rule_sweeps",
        sa.Column("rule_id", sa.String(length=36), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("created_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["rule_id"], ["loyalty_rules.id"]),
        sa.PrimaryKeyConstraint("rule_id", "period"),
    )


def downgrade() -> None:
    op.drop_table("rule_sweeps")
