from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from loyalty.db import Base
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.kit.types import DecimalText, JSONColumn, UTCDateTime


class Multiplier(Base):
    """A factor on the points a user earns, set through the API (optionally under an
    ``externalIdentifier``) or awarded by a rule. Several live multipliers of a user
    multiply together; ``currency_ids`` limits one to some currencies (None: all)."""

    __tablename__ = "multipliers"
    __table_args__ = (
        Index("ix_multipliers_website_id_id", "website_id", "id"),
        Index("ix_multipliers_user_id", "user_id"),
        Index("ix_multipliers_website_external", "website_id", "external_identifier"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    multiplier: Mapped[Decimal] = mapped_column(DecimalText())
    title: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    external_identifier: Mapped[str | None] = mapped_column(String(255))
    rule_id: Mapped[str | None] = mapped_column(String(36))
    currency_ids: Mapped[list[str] | None] = mapped_column(JSONColumn)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSONColumn)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
