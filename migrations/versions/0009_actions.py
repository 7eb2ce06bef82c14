"""actions

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 04:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import loyalty.kit.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "partner_accounts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("website_id", sa.String(length=36), nullable=False),
        sa.Column("rule_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=255), nullable=False),
        sa.Column("completion_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
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
        sa.UniqueConstraint("rule_id", "account_id", name="uq_partner_accounts_rule_account"),
    )
    with op.batch_alter_table("partner_accounts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_partner_accounts_website_id_id", ["website_id", "id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("partner_accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_partner_accounts_website_id_id")

    op.drop_table("partner_accounts")
