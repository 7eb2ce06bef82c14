"""Tables of streaks."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from loyalty.db import Base
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.kit.types import JSONColumn, UTCDateTime


class Streak(Base):
    """A user's check-in streak on a check_in rule (Snag's loyalty account streak): one row
    per (rule, user), rewritten by every check-in. Periods are the completion's period keys
    (engine.periods); the streak is alive until ``expires_at``, the end of the period after
    the last check-in. ``milestones`` are the bonuses paid in the current streak."""

    __tablename__ = "streaks"
    __table_args__ = (
        UniqueConstraint("rule_id", "user_id", name="uq_streaks_rule_user"),
        Index("ix_streaks_website_id_id", "website_id", "id"),
        Index("ix_streaks_rule_id_id", "rule_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    rule_id: Mapped[str] = mapped_column(ForeignKey("loyalty_rules.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    # Consecutive periods checked in, the last one included.
    count: Mapped[int] = mapped_column(Integer, default=1)
    # Period keys of the streak's first and last check-ins.
    started_period: Mapped[str] = mapped_column(String(64))
    last_period: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # [{"streakMilestone": n, "streakAmount": x}] paid in the current streak.
    milestones: Mapped[list[dict[str, Any]]] = mapped_column(JSONColumn, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
