"""Tables of actions."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from loyalty.db import Base
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.kit.types import UTCDateTime
from loyalty.rules.types.actions import ACCOUNT_ID_MAX


class PartnerAccount(Base):
    """A partner account id that completed a create_partner_account rule. Unique per rule:
    the key, not a read before the write, makes an account earn the rule once, whoever
    names it, however many claims race."""

    __tablename__ = "partner_accounts"
    __table_args__ = (
        UniqueConstraint("rule_id", "account_id", name="uq_partner_accounts_rule_account"),
        Index("ix_partner_accounts_website_id_id", "website_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    rule_id: Mapped[str] = mapped_column(ForeignKey("loyalty_rules.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    account_id: Mapped[str] = mapped_column(String(ACCOUNT_ID_MAX))
    completion_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
