"""Ledger tables. Amounts are integers in the currency's smallest unit (10^-decimals)."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from loyalty.db import Base
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.kit.types import JSONColumn, UTCDateTime

PENDING = "status = 'pending'"
EXPIRING = "status = 'approved' AND direction = 'credit' AND expires_at IS NOT NULL"


class Currency(Base):
    __tablename__ = "currencies"
    __table_args__ = (Index("ix_currencies_website_id_id", "website_id", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    name: Mapped[str] = mapped_column(String(255))
    symbol: Mapped[str] = mapped_column(String(32))
    decimals: Mapped[int] = mapped_column(Integer, default=0)
    image_url: Mapped[str | None] = mapped_column(Text)
    sort_id: Mapped[int | None] = mapped_column(Integer)
    # Bounds in smallest units; None means unbounded (the floor is always 0).
    default_value: Mapped[int | None] = mapped_column(BigInteger)
    minimum_value: Mapped[int | None] = mapped_column(BigInteger)
    maximum_value: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Account(Base):
    """The balance of one user in one currency, changed only with its entries."""

    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("user_id", "currency_id", name="uq_accounts_user_currency"),
        Index("ix_accounts_currency_approved", "currency_id", "approved", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    currency_id: Mapped[str] = mapped_column(ForeignKey("currencies.id"))
    approved: Mapped[int] = mapped_column(BigInteger, default=0)
    pending: Mapped[int] = mapped_column(BigInteger, default=0)
    spent: Mapped[int] = mapped_column(BigInteger, default=0)
    expired: Mapped[int] = mapped_column(BigInteger, default=0)
    lifetime_earned: Mapped[int] = mapped_column(BigInteger, default=0)
    lock_version: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Transaction(Base):
    """A group of entries written together: all of them or none."""

    __tablename__ = "transactions"
    __table_args__ = (Index("ix_transactions_website_id_id", "website_id", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    # Snag's transaction type: api_key | loyalty_rule | order | ...; ours adds expiry, void.
    type: Mapped[str] = mapped_column(String(32))
    rule_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Entry(Base):
    """One line of the ledger. A credit is also a *lot*: ``remaining`` is what debits and
    expiry have not yet consumed of it."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("website_id", "idempotency_key", name="uq_entries_website_idempotency"),
        Index("ix_entries_website_id_id", "website_id", "id"),
        Index("ix_entries_account_id_id", "account_id", "id"),
        Index("ix_entries_user_id_id", "user_id", "id"),
        Index("ix_entries_transaction_id", "transaction_id"),
        # Partial: only the rows the worker looks for, so most entries add nothing to them.
        Index(
            "ix_entries_pending_approves_at",
            "approves_at",
            postgresql_where=text(PENDING),
            sqlite_where=text(PENDING),
        ),
        Index(
            "ix_entries_expiring_lots",
            "expires_at",
            postgresql_where=text(EXPIRING),
            sqlite_where=text(EXPIRING),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    transaction_id: Mapped[str] = mapped_column(ForeignKey("transactions.id"))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    currency_id: Mapped[str] = mapped_column(ForeignKey("currencies.id"))
    direction: Mapped[str] = mapped_column(String(8))  # credit | debit
    amount: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger, default=0)
    # pending | approved | declined | void | expired
    status: Mapped[str] = mapped_column(String(16))
    # api | rule | expiry | void | opening | adjustment | referral | airdrop | redemption
    source: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    # The lot a system debit (expiry, void) settles.
    lot_id: Mapped[str | None] = mapped_column(String(36))
    approves_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSONColumn)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Allocation(Base):
    """How much of which lot a debit consumed, so a debit's lots are known."""

    __tablename__ = "ledger_allocations"

    debit_id: Mapped[str] = mapped_column(ForeignKey("ledger_entries.id"), primary_key=True)
    lot_id: Mapped[str] = mapped_column(ForeignKey("ledger_entries.id"), primary_key=True)
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
