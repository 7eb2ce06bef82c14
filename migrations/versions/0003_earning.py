"""earning

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 01:59:42.676659
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import loyalty.kit.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("run_after", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_jobs_queued_run_after",
            ["run_after"],
            unique=False,
            postgresql_where=sa.text("status = 'queued'"),
            sqlite_where=sa.text("status = 'queued'"),
        )

    op.create_table(
        "outbox",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("website_id", sa.String(length=36), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("created_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("processed_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_unprocessed",
            ["id"],
            unique=False,
            postgresql_where=sa.text("processed_at IS NULL"),
            sqlite_where=sa.text("processed_at IS NULL"),
        )

    op.create_table(
        "badge_users",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("website_id", sa.String(length=36), nullable=False),
        sa.Column("badge_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rule_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["badge_id"],
            ["badges.id"],
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
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
        sa.UniqueConstraint("badge_id", "user_id", name="uq_badge_users_badge_user"),
    )
    with op.batch_alter_table("badge_users", schema=None) as batch_op:
        batch_op.create_index("ix_badge_users_user_id", ["user_id"], unique=False)
        batch_op.create_index("ix_badge_users_website_id_id", ["website_id", "id"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("website_id", sa.String(length=36), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("occurred_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("created_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
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
        sa.UniqueConstraint("website_id", "external_id", name="uq_events_website_external"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_website_id_id", ["website_id", "id"], unique=False)

    op.create_table(
        "multipliers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("website_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("multiplier", loyalty.kit.types.DecimalText(length=64), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("external_identifier", sa.String(length=255), nullable=True),
        sa.Column("rule_id", sa.String(length=36), nullable=True),
        sa.Column(
            "currency_ids", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("extra", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("created_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
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
    )
    with op.batch_alter_table("multipliers", schema=None) as batch_op:
        batch_op.create_index("ix_multipliers_user_id", ["user_id"], unique=False)
        batch_op.create_index(
            "ix_multipliers_website_external", ["website_id", "external_identifier"], unique=False
        )
        batch_op.create_index("ix_multipliers_website_id_id", ["website_id", "id"], unique=False)

    op.create_table(
        "completion_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("website_id", sa.String(length=36), nullable=False),
        sa.Column("rule_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=70), nullable=True),
        sa.Column(
            "request", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "result", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("created_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("fulfilled_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=True),
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
        sa.UniqueConstraint("website_id", "idempotency_key", name="uq_completion_requests_key"),
    )
    with op.batch_alter_table("completion_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_completion_requests_rule_user", ["rule_id", "user_id"], unique=False
        )
        batch_op.create_index(
            "ix_completion_requests_website_id_id", ["website_id", "id"], unique=False
        )

    op.create_table(
        "completions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("website_id", sa.String(length=36), nullable=False),
        sa.Column("rule_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("period", sa.String(length=64), nullable=False),
        sa.Column("part", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency_id", sa.String(length=36), nullable=True),
        sa.Column("transaction_id", sa.String(length=36), nullable=True),
        sa.Column("request_id", sa.String(length=36), nullable=True),
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
        sa.UniqueConstraint("rule_id", "user_id", "period", "part", name="uq_completions_once"),
    )
    with op.batch_alter_table("completions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_completions_rule_user_created", ["rule_id", "user_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_completions_website_id_id", ["website_id", "id"], unique=False)

    op.create_table(
        "rule_progress",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("website_id", sa.String(length=36), nullable=False),
        sa.Column("rule_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("progress", sa.BigInteger(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("fulfilled_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=True),
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
        sa.UniqueConstraint("rule_id", "user_id", name="uq_rule_progress_rule_user"),
    )
    with op.batch_alter_table("rule_progress", schema=None) as batch_op:
        batch_op.create_index("ix_rule_progress_fulfilled_at", ["fulfilled_at"], unique=False)
        batch_op.create_index("ix_rule_progress_website_id_id", ["website_id", "id"], unique=False)

    with op.batch_alter_table("badges", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hide_in_ui", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:

    with op.batch_alter_table("badges", schema=None) as batch_op:
        batch_op.drop_column("hide_in_ui")

    with op.batch_alter_table("rule_progress", schema=None) as batch_op:
        batch_op.drop_index("ix_rule_progress_website_id_id")
        batch_op.drop_index("ix_rule_progress_fulfilled_at")

    op.drop_table("rule_progress")
    with op.batch_alter_table("completions", schema=None) as batch_op:
        batch_op.drop_index("ix_completions_website_id_id")
        batch_op.drop_index("ix_completions_rule_user_created")

    op.drop_table("completions")
    with op.batch_alter_table("completion_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_completion_requests_website_id_id")
        batch_op.drop_index("ix_completion_requests_rule_user")

    op.drop_table("completion_requests")
    with op.batch_alter_table("multipliers", schema=None) as batch_op:
        batch_op.drop_index("ix_multipliers_website_id_id")
        batch_op.drop_index("ix_multipliers_website_external")
        batch_op.drop_index("ix_multipliers_user_id")

    op.drop_table("multipliers")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_website_id_id")

    op.drop_table("events")
    with op.batch_alter_table("badge_users", schema=None) as batch_op:
        batch_op.drop_index("ix_badge_users_website_id_id")
        batch_op.drop_index("ix_badge_users_user_id")

    op.drop_table("badge_users")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_unprocessed",
            postgresql_where=sa.text("processed_at IS NULL"),
            sqlite_where=sa.text("processed_at IS NULL"),
        )

    op.drop_table("outbox")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_jobs_queued_run_after",
            postgresql_where=sa.text("status = 'queued'"),
            sqlite_where=sa.text("status = 'queued'"),
        )

    op.drop_table("jobs")
