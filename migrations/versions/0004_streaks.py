"""streaks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 04:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import loyalty.kit.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "streaks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("website_id", sa.String(length=36), nullable=False),
        sa.Column("rule_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("started_period", sa.String(length=64), nullable=False),
        sa.Column("last_period", sa.String(length=64), nullable=False),
        sa.Column("expires_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "milestones", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("created_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["loyalty_rules.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["website_id"],
            ["websites.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rule_id", "user_id", name="uq_streaks_rule_user"),
    )
    with op.batch_alter_table("streaks", schema=None) as batch_op:
        batch_op.create_index("ix_streaks_rule_id_id", ["rule_id", "id"], unique=False)
        batch_op.create_index("ix_streaks_website_id_id", ["website_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("streaks", schema=None) as batch_op:
        batch_op.drop_index("ix_streaks_website_id_id")
        batch_op.drop_index("ix_streaks_rule_id_id")

    op.drop_table("streaks")
