from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from loyalty.db import Base
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.kit.types import UTCDateTime


class Badge(Base):
    """A badge of a website; rules award it (``rewardType: badge``, a range's badge)."""

    __tablename__ = "badges"
    __table_args__ = (Index("ix_badges_website_id_id", "website_id", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(Text)
    hide_in_ui: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class BadgeUser(Base):
    """A user's holding of a badge: one row per user and badge, ``active`` while held,
    ``revoked`` once taken back (a dynamic rule's condition stopped holding, or the API)."""

    __tablename__ = "badge_users"
    __table_args__ = (
        UniqueConstraint("badge_id", "user_id", name="uq_badge_users_badge_user"),
        Index("ix_badge_users_website_id_id", "website_id", "id"),
        Index("ix_badge_users_user_id", "user_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    badge_id: Mapped[str] = mapped_column(ForeignKey("badges.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    # active | inactive | revoked
    status: Mapped[str] = mapped_column(String(16), default="active")
    # The rule that awarded it (None: awarded through the API).
    rule_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
