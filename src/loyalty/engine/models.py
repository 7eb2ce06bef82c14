from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from loyalty.db import Base
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.kit.types import JSONColumn, UTCDateTime


class CompletionRequest(Base):
    """A request to complete a rule for a user (Snag's rule status): what was asked, and
    its outcome once verified (``pending | processing | completed | failed``, ``message``)."""

    __tablename__ = "completion_requests"
    __table_args__ = (
        UniqueConstraint("website_id", "idempotency_key", name="uq_completion_requests_key"),
        Index("ix_completion_requests_website_id_id", "website_id", "id"),
        Index("ix_completion_requests_rule_user", "rule_id", "user_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    rule_id: Mapped[str] = mapped_column(ForeignKey("loyalty_rules.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    message: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(70))
    request: Mapped[dict[str, Any]] = mapped_column(JSONColumn, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONColumn)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Completion(Base):
    """A user earned a rule (``part`` ""), or one range of it (``part`` "range:N"), in one
    period. The unique key makes paying twice for the same period impossible, whatever the
    concurrency."""

    __tablename__ = "completions"
    __table_args__ = (
        UniqueConstraint("rule_id", "user_id", "period", "part", name="uq_completions_once"),
        Index("ix_completions_website_id_id", "website_id", "id"),
        Index("ix_completions_rule_user_created", "rule_id", "user_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    rule_id: Mapped[str] = mapped_column(ForeignKey("loyalty_rules.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    period: Mapped[str] = mapped_column(String(64))
    part: Mapped[str] = mapped_column(String(32), default="")
    # What it paid, in the currency's smallest unit (0 for a badge or multiplier only).
    amount: Mapped[int] = mapped_column(BigInteger, default=0)
    currency_id: Mapped[str | None] = mapped_column(String(36))
    transaction_id: Mapped[str | None] = mapped_column(String(36))
    request_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class RuleProgress(Base):
    """A user's progress on a rule that tracks it (seed 000). ``cycle`` counts the times the
    progress was fulfilled and started again; ``fulfilled_at`` starts the 6 days it is kept."""

    __tablename__ = "rule_progress"
    __table_args__ = (
        UniqueConstraint("rule_id", "user_id", name="uq_rule_progress_rule_user"),
        Index("ix_rule_progress_website_id_id", "website_id", "id"),
        Index("ix_rule_progress_fulfilled_at", "fulfilled_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    rule_id: Mapped[str] = mapped_column(ForeignKey("loyalty_rules.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    progress: Mapped[int] = mapped_column(BigInteger, default=0)
    cycle: Mapped[int] = mapped_column(Integer, default=0)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Event(Base):
    """A fact reported by the customer's backend (``POST /api/loyalty/events``); its own id
    (``external_id``) is unique per website, so a re-delivered event is ignored."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("website_id", "external_id", name="uq_events_website_external"),
        Index("ix_events_website_id_id", "website_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    external_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    data: Mapped[dict[str, Any]] = mapped_column(JSONColumn, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class RuleSweep(Base):
    """A cadence rule's sweep for one period of its ``frequency``: the row makes the
    scheduler enqueue it once, however many workers run."""

    __tablename__ = "rule_sweeps"

    rule_id: Mapped[str] = mapped_column(ForeignKey("loyalty_rules.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
