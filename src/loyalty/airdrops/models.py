"""Tables of airdrops: one row per CSV read for a points_airdrop rule, one per line of it."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from loyalty.db import Base
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.kit.types import DecimalText, UTCDateTime


class Airdrop(Base):
    """One CSV of a points_airdrop rule (read from ``loyaltyUserAllotmentCsvUrl`` or
    uploaded) and how far its payment got: ``state`` is ``pending`` (not read yet, or
    waiting for the airdrop to start), ``processing``, ``completed`` (every line paid or
    failed) or ``failed`` (the file could not be read, or the rule was deleted; ``message``
    says why). The counters count data lines; processed = paid + failed."""

    __tablename__ = "airdrops"
    __table_args__ = (
        Index("ix_airdrops_website_id_id", "website_id", "id"),
        Index("ix_airdrops_rule_id_id", "rule_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    rule_id: Mapped[str] = mapped_column(ForeignKey("loyalty_rules.id"))
    # url | upload
    source: Mapped[str] = mapped_column(String(16))
    csv_url: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    message: Mapped[str | None] = mapped_column(Text)
    # Failed reads of the URL so far (a read is tried a few times before the airdrop fails).
    fetch_attempts: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_paid: Mapped[int] = mapped_column(Integer, default=0)
    rows_failed: Mapped[int] = mapped_column(Integer, default=0)
    # When the lines were stored (None: the URL is not read yet).
    parsed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class AirdropLine(Base):
    """A data line of an airdrop's CSV: who (``user_id``, or the ``wallet`` whose user is
    found or created when the line is paid) and how much, ``pending``, ``paid`` or
    ``failed`` (``code`` and ``message`` say why)."""

    __tablename__ = "airdrop_lines"
    __table_args__ = (
        UniqueConstraint("airdrop_id", "line", name="uq_airdrop_lines_line"),
        Index("ix_airdrop_lines_airdrop_state_line", "airdrop_id", "state", "line"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    airdrop_id: Mapped[str] = mapped_column(ForeignKey("airdrops.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    # The line's number in the file (the header is line 1).
    line: Mapped[int] = mapped_column(Integer)
    wallet: Mapped[str | None] = mapped_column(String(128))
    user_id: Mapped[str | None] = mapped_column(String(36))
    amount: Mapped[Decimal | None] = mapped_column(DecimalText())
    state: Mapped[str] = mapped_column(String(16), default="pending")
    code: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)
    # The completion request that paid (or refused) the line.
    request_id: Mapped[str | None] = mapped_column(String(36))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
