"""referrals

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 04:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import loyalty.kit.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "referral_codes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("website_id", sa.String(length=36), nullable=False),
        sa.Column("rule_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
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
        sa.UniqueConstraint("rule_id", "user_id", name="uq_referral_codes_rule_user"),
        sa.UniqueConstraint("website_id", "code", name="uq_referral_codes_website_code"),
    )
    with op.batch_alter_table("referral_codes", schema=None) as batch_op:
        batch_op.create_index("ix_referral_codes_website_id_id", ["website_id", "id"], unique=False)

    op.create_table(
        "referrals",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("website_id", sa.String(length=36), nullable=False),
        sa.Column("rule_id", sa.String(length=36), nullable=False),
        sa.Column("code_id", sa.String(length=36), nullable=False),
        sa.Column("referrer_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("rewarded_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reward_units", sa.BigInteger(), nullable=False),
        sa.Column("reward_currency_id", sa.String(length=36), nullable=True),
        sa.Column("tier1_units", sa.BigInteger(), nullable=False),
        sa.Column("tier2_units", sa.BigInteger(), nullable=False),
        sa.Column("created_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["code_id"],
            ["referral_codes.id"],
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
        ),
        sa.ForeignKeyConstraint(
            ["referrer_id"],
            ["users.id"],
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
        sa.UniqueConstraint("website_id", "user_id", name="uq_referrals_website_user"),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index("ix_referrals_referrer_id", ["referrer_id"], unique=False)
        batch_op.create_index("ix_referrals_website_id_id", ["website_id", "id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_website_id_id")
        batch_op.drop_index("ix_referrals_referrer_id")

    op.drop_table("referrals")
    with op.batch_alter_table("referral_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_codes_website_id_id")

    op.drop_table("referral_codes")
