"""Settling entries after they were written: approving or declining pending credits,
voiding credits, expiring lots, and the worker's scans for what is due. Every change of a
lot happens with its account row locked first, the order every lot change uses."""

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from loyalty.db import WriteSession
from loyalty.errors import BusinessRefusal, NotFound
from loyalty.kit.clock import now
from loyalty.ledger.models import Account, Entry
from loyalty.ledger.rows import (
    INSERT_ENTRY,
    INSERT_TRANSACTION,
    Line,
    core,
    entry_row,
    transaction_row,
)


async def approve_entry(session: WriteSession, entry_id: str) -> bool:
    """Pending credit -> approved. False when it was not pending (already handled)."""
    return await _settle_pending(session, entry_id, "approved")


async def decline_entry(session: WriteSession, entry_id: str) -> bool:
    """Pending credit -> declined: it never counts."""
    return await _settle_pending(session, entry_id, "declined")


async def _settle_pending(session: WriteSession, entry_id: str, status: str) -> bool:
    moment = now()
    values: dict[str, Any] = {"status": status, "updated_at": moment}
    if status == "declined":
        values["remaining"] = 0
    row = (
        await core(session).execute(
            update(Entry)
            .where(Entry.id == entry_id, Entry.status == "pending")
            .values(**values)
            .returning(Entry.account_id, Entry.amount)
        )
    ).first()
    if row is None:
        return False
    account_id, amount = row
    approved = amount if status == "approved" else 0
    await core(session).execute(
        update(Account)
        .where(Account.id == account_id)
        .values(
            pending=Account.pending - amount,
            approved=Account.approved + approved,
            lifetime_earned=Account.lifetime_earned + approved,
            lock_version=Account.lock_version + 1,
            updated_at=moment,
        )
    )
    return True


async def void_entry(session: WriteSession, website_id: str, entry_id: str) -> dict[str, Any]:
    """Void a credit: a pending one is declined; an approved one loses what is left of
    it, through a ``void`` debit entry. What was already spent stays spent."""
    entry = await _entry(session, website_id, entry_id)
    if entry.direction != "credit":
        raise BusinessRefusal("Only credit entries can be voided", code="not_voidable")
    # A pending entry is settled the way approval settles it (entry row, then account),
    # so the two can never wait on each other.
    if entry.status == "pending" and await decline_entry(session, entry.id):
        return {"status": "declined", "amount": entry.amount}
    entry = await _locked_lot(session, website_id, entry_id)
    if entry.status != "approved" or entry.remaining <= 0:
        raise BusinessRefusal("Nothing of this entry is left to void", code="nothing_to_void")
    await _close_lot(session, entry, "void")
    return {"status": "void", "amount": entry.remaining}


async def expire_lot(session: WriteSession, website_id: str, entry_id: str) -> int:
    """Expire what is left of a due lot through an ``expiry`` debit; returns the amount."""
    entry = await _locked_lot(session, website_id, entry_id)
    due = entry.expires_at is not None and entry.expires_at <= now()
    if entry.status != "approved" or entry.remaining <= 0 or not due:
        return 0
    await _close_lot(session, entry, "expired")
    return entry.remaining


async def _entry(session: WriteSession, website_id: str, entry_id: str) -> Entry:
    entry = (
        await session.execute(
            select(Entry)
            .where(Entry.id == entry_id, Entry.website_id == website_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if entry is None:
        raise NotFound("Transaction entry not found", code="entry_not_found")
    return entry


async def _locked_lot(session: WriteSession, website_id: str, entry_id: str) -> Entry:
    """The entry, read again after locking its account (the order every lot change uses)."""
    entry = await _entry(session, website_id, entry_id)
    await core(session).execute(
        update(Account)
        .where(Account.id == entry.account_id)
        .values(lock_version=Account.lock_version + 1)
    )
    return await _entry(session, website_id, entry_id)


async def _close_lot(session: WriteSession, lot: Entry, status: str) -> None:
    moment = now()
    amount = lot.remaining
    source = "expiry" if status == "expired" else "void"
    transaction = transaction_row(
        lot.organization_id, lot.website_id, source, f"{source} of entry {lot.id}", moment
    )
    await core(session).execute(INSERT_TRANSACTION, [transaction])
    row = entry_row(
        transaction,
        lot.account_id,
        Line(lot.user_id, lot.currency_id, "debit", amount, f"{source}:{lot.id}", source=source),
        moment,
    )
    row["lot_id"] = lot.id
    await core(session).execute(INSERT_ENTRY, [row])
    await core(session).execute(
        update(Entry)
        .where(Entry.id == lot.id)
        .values(remaining=0, status=status, updated_at=moment)
    )
    changes: dict[str, Any] = {"approved": Account.approved - amount}
    if status == "expired":
        changes["expired"] = Account.expired + amount
    else:
        changes["lifetime_earned"] = Account.lifetime_earned - amount
    await core(session).execute(
        update(Account).where(Account.id == lot.account_id).values(**changes, updated_at=moment)
    )


# --- due work, run by the worker ---------------------------------------------------------


async def approve_due(session: WriteSession, at: datetime, limit: int) -> int:
    """Approve up to ``limit`` pending entries whose ``approvesAt`` has come."""
    ids = (
        (
            await core(session).execute(
                select(Entry.id)
                .where(Entry.status == "pending", Entry.approves_at <= at)
                .order_by(Entry.approves_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    return sum([await approve_entry(session, entry_id) for entry_id in ids])


async def expire_due(session: WriteSession, at: datetime, limit: int) -> int:
    """Expire up to ``limit`` lots whose ``expiresAt`` has passed."""
    rows = (
        await core(session).execute(
            select(Entry.id, Entry.website_id)
            .where(
                Entry.status == "approved",
                Entry.direction == "credit",
                Entry.remaining > 0,
                Entry.expires_at <= at,
            )
            .order_by(Entry.expires_at)
            .limit(limit)
        )
    ).all()
    expired = [await expire_lot(session, website_id, entry_id) for entry_id, website_id in rows]
    return sum(1 for amount in expired if amount > 0)
