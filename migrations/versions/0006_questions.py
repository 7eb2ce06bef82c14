"""questions

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 04:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import loyalty.kit.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "questions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("website_id", sa.String(length=36), nullable=False),
        sa.Column("rule_id", sa.String(length=36), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("allow_multiple_attempts", sa.Boolean(), nullable=False),
        sa.Column("created_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=True),
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
        sa.UniqueConstraint("rule_id", name="uq_questions_rule"),
    )
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.create_index("ix_questions_website_id_id", ["website_id", "id"], unique=False)

    op.create_table(
        "question_choices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("website_id", sa.String(length=36), nullable=False),
        sa.Column("question_id", sa.String(length=36), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("is_correct", sa.Boolean(), nullable=False),
        sa.Column("sort_identifier", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("removed_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
        ),
        sa.ForeignKeyConstraint(
            ["website_id"],
            ["websites.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("question_choices", schema=None) as batch_op:
        batch_op.create_index("ix_question_choices_question_id", ["question_id"], unique=False)

    op.create_table(
        "question_responses",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("website_id", sa.String(length=36), nullable=False),
        sa.Column("question_id", sa.String(length=36), nullable=False),
        sa.Column("choice_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("is_correct", sa.Boolean(), nullable=False),
        sa.Column("period", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", loyalty.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["choice_id"],
            ["question_choices.id"],
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
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
    with op.batch_alter_table("question_responses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_question_responses_website_id_id", ["website_id", "id"], unique=False
        )
        batch_op.create_index(
            "ix_question_responses_question_user",
            ["question_id", "user_id", "period"],
            unique=False,
        )
        batch_op.create_index("ix_question_responses_choice_id", ["choice_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("question_responses", schema=None) as batch_op:
        batch_op.drop_index("ix_question_responses_choice_id")
        batch_op.drop_index("ix_question_responses_question_user")
        batch_op.drop_index("ix_question_responses_website_id_id")

    op.drop_table("question_responses")
    with op.batch_alter_table("question_choices", schema=None) as batch_op:
        batch_op.drop_index("ix_question_choices_question_id")

    op.drop_table("question_choices")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_index("ix_questions_website_id_id")

    op.drop_table("questions")
