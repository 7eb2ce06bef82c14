"""airdrops

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 04:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import loyalty.kit.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "airdrops",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("website_id", sa.String(length=36), nullable=False),
        sa.Column("rule_id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("csv_url", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("fetch_attempts", sa.Integer(), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_paid", sa.Integer(), nullable=False),
        sa.Column("rows_failed", sa.Integer(), nullable=False),
        sa.Column("parsed_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=True),
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
            ["website_id"],
            ["websites.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("airdrops", schema=None) as batch_op:
        batch_op.create_index("ix_airdrops_rule_id_id", ["rule_id", "id"], unique=False)
        batch_op.create_index("ix_airdrops_website_id_id", ["website_id", "id"], unique=False)

    op.create_table(
        "airdrop_lines",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("airdrop_id", sa.String(length=36), nullable=False),
        sa.Column("website_id", sa.String(length=36), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("wallet", sa.String(length=128), nullable=True),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("amount", loyalty.kit.types.DecimalText(length=64), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.Column("updated_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["airdrop_id"],
            ["airdrops.id"],
        ),
        sa.ForeignKeyConstraint(
            ["website_id"],
            ["websites.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("airdrop_id", "line", name="uq_airdrop_lines_line"),
    )
    with op.batch_alter_table("airdrop_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_airdrop_lines_airdrop_state_line", ["airdrop_id", "state", "line"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("airdrop_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_airdrop_lines_airdrop_state_line")
    op.drop_table("airdrop_lines")
    with op.batch_alter_table("airdrops", schema=None) as batch_op:
        batch_op.drop_index("ix_airdrops_website_id_id")
        batch_op.drop_index("ix_airdrops_rule_id_id")
    op.drop_table("airdrops")
