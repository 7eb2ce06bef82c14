"""rules

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 01:52:35.041200
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import loyalty.kit.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "badges",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("website_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("image_url", sa.Text(), nullable=True),
        sa.Column("created_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
        ),
        sa.ForeignKeyConstraint(
            ["website_id"],
            ["websites.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("badges", schema=None) as batch_op:
        batch_op.create_index("ix_badges_website_id_id", ["website_id", "id"], unique=False)

    op.create_table(
        "loyalty_rule_groups",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("website_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("sub_title", sa.Text(), nullable=True),
        sa.Column("is_collapsible", sa.Boolean(), nullable=False),
        sa.Column("is_required", sa.Boolean(), nullable=False),
        sa.Column("sort_id", sa.Integer(), nullable=False),
        sa.Column("created_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
        ),
        sa.ForeignKeyConstraint(
            ["website_id"],
            ["websites.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("loyalty_rule_groups", schema=None) as batch_op:
        batch_op.create_index("ix_rule_groups_website_id_id", ["website_id", "id"], unique=False)

    op.create_table(
        "loyalty_rules",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("website_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("currency_id", sa.String(length=36), nullable=False),
        sa.Column("group_id", sa.String(length=36), nullable=True),
        sa.Column("hide_in_ui", sa.Boolean(), nullable=False),
        sa.Column("start_time", loyalty.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_time", loyalty.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("collection_address", sa.String(length=255), nullable=True),
        sa.Column(
            "definition",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "secrets",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["currency_id"],
            ["currencies.id"],
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["loyalty_rule_groups.id"],
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
        ),
        sa.ForeignKeyConstraint(
            ["website_id"],
            ["websites.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("loyalty_rules", schema=None) as batch_op:
        batch_op.create_index("ix_rules_group_id", ["group_id"], unique=False)
        batch_op.create_index("ix_rules_website_id_id", ["website_id", "id"], unique=False)
        batch_op.create_index("ix_rules_website_type", ["website_id", "type"], unique=False)

    op.create_table(
        "loyalty_rule_edits",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("website_id", sa.String(length=36), nullable=False),
        sa.Column("rule_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "previous_data",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "secrets",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("edited_by_key_id", sa.String(length=36), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("edited_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
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
    with op.batch_alter_table("loyalty_rule_edits", schema=None) as batch_op:
        batch_op.create_index("ix_rule_edits_rule_id_id", ["rule_id", "id"], unique=False)
        batch_op.create_index("ix_rule_edits_website_id_id", ["website_id", "id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("loyalty_rule_edits", schema=None) as batch_op:
        batch_op.drop_index("ix_rule_edits_website_id_id")
        batch_op.drop_index("ix_rule_edits_rule_id_id")

    op.drop_table("loyalty_rule_edits")
    with op.batch_alter_table("loyalty_rules", schema=None) as batch_op:
        batch_op.drop_index("ix_rules_website_type")
        batch_op.drop_index("ix_rules_website_id_id")
        batch_op.drop_index("ix_rules_group_id")

    op.drop_table("loyalty_rules")
    with op.batch_alter_table("loyalty_rule_groups", schema=None) as batch_op:
        batch_op.drop_index("ix_rule_groups_website_id_id")

    op.drop_table("loyalty_rule_groups")
    with op.batch_alter_table("badges", schema=None) as batch_op:
        batch_op.drop_index("ix_badges_website_id_id")

    op.drop_table("badges")
