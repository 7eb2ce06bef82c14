"""Tables of questions: a quiz or poll rule's question, its choices and the users' responses.

The rule's ``metadata.question`` is the source; these rows follow it (``service.sync``), so
that choices have stable ids a completion can name and responses can point at. Nothing is
ever hard-deleted: a question whose rule is deleted (or whose ``metadata.question`` is
removed) is marked ``deleted_at``, a choice dropped from the question ``removed_at``, and the
responses that name them stay as they were answered.
"""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from loyalty.db import Base
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.kit.types import UTCDateTime


class Question(Base):
    """The question of one quiz or poll rule (one row per rule, kept across removals)."""

    __tablename__ = "questions"
    __table_args__ = (
        UniqueConstraint("rule_id", name="uq_questions_rule"),
        Index("ix_questions_website_id_id", "website_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    rule_id: Mapped[str] = mapped_column(ForeignKey("loyalty_rules.id"))
    text: Mapped[str] = mapped_column(Text)
    allow_multiple_attempts: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class QuestionChoice(Base):
    """One choice of a question; ``position`` is its place in the rule's list (the order
    among equal ``sort_identifier``s)."""

    __tablename__ = "question_choices"
    __table_args__ = (Index("ix_question_choices_question_id", "question_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"))
    text: Mapped[str] = mapped_column(Text)
    is_correct: Mapped[bool] = mapped_column(Boolean, default=False)
    sort_identifier: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class QuestionResponse(Base):
    """A user's answer: the choice, whether it was correct when given (every poll answer
    is), and the period of the rule's interval it was given in (attempts are counted per
    period)."""

    __tablename__ = "question_responses"
    __table_args__ = (
        Index("ix_question_responses_website_id_id", "website_id", "id"),
        Index("ix_question_responses_question_user", "question_id", "user_id", "period"),
        Index("ix_question_responses_choice_id", "choice_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"))
    choice_id: Mapped[str] = mapped_column(ForeignKey("question_choices.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    is_correct: Mapped[bool] = mapped_column(Boolean)
    period: Mapped[str] = mapped_column(String(64))
    # The completion request that gave it (None: POST /api/loyalty/questions_responses).
    request_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
