"""Tables of referrals: a user's code for a referral rule, and who joined through whom."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from loyalty.db import Base
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.kit.types import UTCDateTime


class ReferralCode(Base):
    """The code a user hands out for one referral (``referred_user``) rule: one per user and
    rule (create-or-get), unique in its website."""

    __tablename__ = "referral_codes"
    __table_args__ = (
        UniqueConstraint("rule_id", "user_id", name="uq_referral_codes_rule_user"),
        UniqueConstraint("website_id", "code", name="uq_referral_codes_website_code"),
        Index("ix_referral_codes_website_id_id", "website_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    rule_id: Mapped[str] = mapped_column(ForeignKey("loyalty_rules.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    code: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Referral(Base):
    """A referred user (``user_id``) and the user whose code they joined with
    (``referrer_id``), under the code's rule. A user is referred at most once per website,
    so the referrals of a website form a forest and "the referrer's referrer" (the second
    level) is well defined. ``rewarded_at`` is set once the referred user met the rule's
    requirements and both rewards were paid (Snag's ``eligible``); the ``*_units`` columns
    add up what the referral paid, in the currencies' smallest units."""

    __tablename__ = "referrals"
    __table_args__ = (
        UniqueConstraint("website_id", "user_id", name="uq_referrals_website_user"),
        Index("ix_referrals_website_id_id", "website_id", "id"),
        Index("ix_referrals_referrer_id", "referrer_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    rule_id: Mapped[str] = mapped_column(ForeignKey("loyalty_rules.id"))
    code_id: Mapped[str] = mapped_column(ForeignKey("referral_codes.id"))
    referrer_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    rewarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The referrer's lump sum, in reward_currency_id.
    reward_units: Mapped[int] = mapped_column(BigInteger, default=0)
    reward_currency_id: Mapped[str | None] = mapped_column(String(36))
    # Shares of this user's earnings paid to the first and second level referrer.
    tier1_units: Mapped[int] = mapped_column(BigInteger, default=0)
    tier2_units: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
