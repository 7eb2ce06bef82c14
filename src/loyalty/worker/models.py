from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from loyalty.db import Base
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.kit.types import JSONColumn, UTCDateTime

QUEUED = "status = 'queued'"
UNPROCESSED = "processed_at IS NULL"


class Job(Base):
    """Work for the worker: claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any
    number of worker processes share the queue; retried with a delay when it fails."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index(
            "ix_jobs_queued_run_after",
            "run_after",
            postgresql_where=text(QUEUED),
            sqlite_where=text(QUEUED),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONColumn, default=dict)
    # queued | done | failed
    status: Mapped[str] = mapped_column(String(16), default="queued")
    run_after: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class OutboxMessage(Base):
    """A committed fact (a completion, a ledger credit) for the steps that follow it:
    written in the same transaction as the fact, read and marked by the worker, so nothing
    is lost when a process dies between the commit and the side effect."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_unprocessed",
            "id",
            postgresql_where=text(UNPROCESSED),
            sqlite_where=text(UNPROCESSED),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(String(36))
    website_id: Mapped[str] = mapped_column(String(36))
    topic: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONColumn, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
