"""The ledger service: the only way a balance changes.

Entries are appended; each balance row changes in the same transaction, by an atomic
``UPDATE ... SET x = x + :delta`` whose ``WHERE`` carries the guard (no overdraft, no
balance above the currency's maximum). Lots (credits) are only touched while their
account row is locked by such an update, so concurrent debits, expiry and voids of one
account are serialised by the database, never by a Python lock.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from loyalty.db import WriteSession, dialect_insert
from loyalty.errors import BusinessRefusal, Conflict, InsufficientPoints, NotFound
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.ledger.balances import Delta, Direction, allocate, initial_status, sum_deltas
from loyalty.ledger.currencies import CurrencyTerms
from loyalty.ledger.models import Account, Allocation, Entry, Transaction


@dataclass(frozen=True)
class Line:
    """One entry to write. ``amount`` is in the currency's smallest unit and positive."""

    user_id: str
    currency_id: str
    direction: Direction
    amount: int
    idempotency_key: str
    approves_at: datetime | None = None
    expires_at: datetime | None = None
    source: str = "api"
    metadata: dict[str, Any] | None = None


@dataclass
class Posted:
    transaction: dict[str, Any]
    entries: list[dict[str, Any]] = field(default_factory=list)


class DuplicateIdempotencyKey(Conflict):
    code = "duplicate_idempotency_key"


class BalanceAboveMaximum(BusinessRefusal):
    code = "balance_above_maximum"


@dataclass(frozen=True)
class NewTransaction:
    organization_id: str
    website_id: str
    description: str
    type: str
    lines: Sequence[Line]
    rule_id: str | None = None


async def post_transaction(
    session: WriteSession,
    *,
    organization_id: str,
    website_id: str,
    description: str,
    type: str,
    lines: Sequence[Line],
    currencies: Mapping[str, CurrencyTerms],
    rule_id: str | None = None,
) -> Posted:
    """Write all the lines or none; raises before anything is committed."""
    new = NewTransaction(organization_id, website_id, description, type, lines, rule_id)
    return (await post_transactions(session, [new], currencies))[0]


async def post_transactions(
    session: WriteSession,
    batch: Sequence[NewTransaction],
    currencies: Mapping[str, CurrencyTerms],
) -> list[Posted]:
    """Write several transactions with set-based statements: every row or none. A refusal
    of any of them (overdraft, used idempotency key) raises for the whole batch."""
    if not batch:
        return []
    moment = now()
    pairs = {(ln.user_id, ln.currency_id) for new in batch for ln in new.lines}
    accounts, opening = await _ensure_accounts(session, pairs, currencies, moment)
    posted = [_posted(new, accounts, moment) for new in batch]
    rows = opening + [row for p in posted for row in p.entries]
    await _insert_rows(session, [p.transaction for p in posted], rows)
    await _apply_balances(session, rows, currencies, moment)
    for row in rows:
        if row["direction"] == "debit":
            await _consume_lots(session, row)
    return posted


def _posted(
    new: NewTransaction, accounts: Mapping[tuple[str, str], str], moment: datetime
) -> Posted:
    transaction = _transaction_row(
        new.organization_id, new.website_id, new.type, new.description, moment, new.rule_id
    )
    return Posted(
        transaction,
        [
            _entry_row(transaction, accounts[(ln.user_id, ln.currency_id)], ln, moment)
            for ln in new.lines
        ],
    )


def _transaction_row(
    organization_id: str,
    website_id: str,
    type: str,
    description: str,
    moment: datetime,
    rule_id: str | None = None,
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "organization_id": organization_id,
        "website_id": website_id,
        "description": description,
        "type": type,
        "rule_id": rule_id,
        "created_at": moment,
    }


def _entry_row(
    transaction: dict[str, Any], account_id: str, line: Line, moment: datetime
) -> dict[str, Any]:
    status = initial_status(line.direction, line.approves_at, moment)
    return {
        "id": new_id(),
        "organization_id": transaction["organization_id"],
        "website_id": transaction["website_id"],
        "transaction_id": transaction["id"],
        "account_id": account_id,
        "user_id": line.user_id,
        "currency_id": line.currency_id,
        "direction": line.direction,
        "amount": line.amount,
        "remaining": line.amount if line.direction == "credit" else 0,
        "status": status,
        "source": line.source,
        "idempotency_key": line.idempotency_key,
        "lot_id": None,
        "approves_at": line.approves_at,
        "expires_at": line.expires_at,
        "metadata": line.metadata,
        "created_at": moment,
        "updated_at": moment,
    }


# Statements of the hot path, built once; values travel as bind parameters.
_INSERT_TRANSACTION = insert(Transaction)
_INSERT_ENTRY = insert(Entry)
_ACCOUNT_IDS = select(Account.id, Account.user_id, Account.currency_id).where(
    Account.user_id.in_(bindparam("users", expanding=True)),
    Account.currency_id.in_(bindparam("currencies", expanding=True)),
)
_ADD_TO_BALANCE = (
    update(Account)
    .where(Account.id == bindparam("account"))
    .values(
        approved=Account.approved + bindparam("approved"),
        pending=Account.pending + bindparam("pending"),
        spent=Account.spent + bindparam("spent"),
        lifetime_earned=Account.lifetime_earned + bindparam("lifetime_earned"),
        lock_version=Account.lock_version + 1,
        updated_at=bindparam("moment"),
    )
)


async def _insert_rows(
    session: WriteSession, transactions: list[dict[str, Any]], entries: list[dict[str, Any]]
) -> None:
    await _core(session).execute(_INSERT_TRANSACTION, transactions)
    # Keys in one order, so two batches sharing keys wait on each other, never deadlock.
    ordered = sorted(entries, key=lambda row: (row["website_id"], row["idempotency_key"]))
    try:
        await _core(session).execute(_INSERT_ENTRY, ordered)
    except IntegrityError as exc:
        if "idempotency" not in str(exc.orig).lower():
            raise
        raise DuplicateIdempotencyKey(
            "An entry with this idempotencyKey already exists; nothing was written",
            idempotencyKeys=[
                row["idempotency_key"] for row in entries if row["source"] != "opening"
            ],
        ) from exc


class _CoreRunner:
    """Runs Core statements on the session's connection and transaction, skipping the
    ORM's unit-of-work bookkeeping that plain inserts and updates do not need."""

    def __init__(self, session: WriteSession) -> None:
        self.session = session

    async def execute(self, statement: Any, params: Any = None) -> Any:
        connection = await self.session.connection()
        return await connection.execute(statement, params)


def _core(session: WriteSession) -> _CoreRunner:
    return _CoreRunner(session)


async def _ensure_accounts(
    session: WriteSession,
    pairs: set[tuple[str, str]],
    currencies: Mapping[str, CurrencyTerms],
    moment: datetime,
) -> tuple[dict[tuple[str, str], str], list[dict[str, Any]]]:
    """Account ids per (user, currency), creating missing accounts. A currency with a
    ``defaultValue`` opens each new account with a credit of it (as an entry, so the
    balance still equals the sum of its entries)."""
    found = await _account_ids(session, pairs)
    missing = sorted(pairs - found.keys())
    if not missing:
        return found, []
    rows = [
        _account_row(user_id, currencies[currency_id], moment) for user_id, currency_id in missing
    ]
    statement = (
        dialect_insert(session)(Account)
        .on_conflict_do_nothing(index_elements=["user_id", "currency_id"])
        .returning(Account.id, Account.user_id, Account.currency_id)
    )
    created = (await _core(session).execute(statement, rows)).all()
    opening = await _opening_entries(session, created, currencies, moment)
    return found | await _account_ids(session, set(missing)), opening


def _account_row(user_id: str, currency: CurrencyTerms, moment: datetime) -> dict[str, Any]:
    return {
        "id": new_id(),
        "organization_id": currency.organization_id,
        "website_id": currency.website_id,
        "user_id": user_id,
        "currency_id": currency.id,
        "created_at": moment,
        "updated_at": moment,
    }


async def _opening_entries(
    session: WriteSession,
    created: Sequence[Any],
    currencies: Mapping[str, CurrencyTerms],
    moment: datetime,
) -> list[dict[str, Any]]:
    """The opening credits of new accounts, one opening transaction per website."""
    opening: dict[str, dict[str, Any]] = {}
    entries = []
    for account_id, user_id, currency_id in created:
        currency = currencies[currency_id]
        if not currency.default_value:
            continue
        transaction = opening.setdefault(
            currency.website_id,
            _transaction_row(
                currency.organization_id, currency.website_id, "opening", "Opening balance", moment
            ),
        )
        line = Line(
            user_id,
            currency_id,
            "credit",
            currency.default_value,
            f"opening:{account_id}",
            source="opening",
        )
        entries.append(_entry_row(transaction, account_id, line, moment))
    if opening:
        await _core(session).execute(_INSERT_TRANSACTION, list(opening.values()))
    return entries


async def _account_ids(
    session: WriteSession, pairs: set[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    if not pairs:
        return {}
    result = await _core(session).execute(
        _ACCOUNT_IDS,
        {"users": sorted({u for u, _ in pairs}), "currencies": sorted({c for _, c in pairs})},
    )
    return {(u, c): i for i, u, c in result.all() if (u, c) in pairs}


async def _apply_balances(
    session: WriteSession,
    rows: Iterable[dict[str, Any]],
    currencies: Mapping[str, CurrencyTerms],
    moment: datetime,
) -> None:
    """Update every touched account, in account-id order so that two transactions touching
    the same accounts always lock them in the same order (no deadlock). Runs of updates
    that need no guard (credits below no maximum) go to the database as one batch; a
    guarded update (a debit, or a credit under a maximum) is its own statement."""
    currency_of = {r["account_id"]: currencies[r["currency_id"]] for r in rows}
    deltas = sum_deltas((r["account_id"], r["direction"], r["status"], r["amount"]) for r in rows)
    batch: list[dict[str, Any]] = []
    for account_id in sorted(deltas):
        delta, currency = deltas[account_id], currency_of[account_id]
        if not _needs_guard(delta, currency):
            batch.append({"account": account_id, "moment": moment, **asdict(delta)})
            continue
        await _add_batch(session, batch)
        batch = []
        await _apply_delta(session, account_id, delta, currency, moment)
    await _add_batch(session, batch)


def _needs_guard(delta: Delta, currency: CurrencyTerms) -> bool:
    return bool(delta.debited) or (
        currency.maximum_value is not None and delta.approved + delta.pending > 0
    )


async def _add_batch(session: WriteSession, batch: list[dict[str, Any]]) -> None:
    if batch:
        await _core(session).execute(
            _ADD_TO_BALANCE, [{k: v for k, v in p.items() if k != "debited"} for p in batch]
        )


async def _apply_delta(
    session: WriteSession,
    account_id: str,
    delta: Delta,
    currency: CurrencyTerms,
    moment: datetime,
) -> None:
    statement = update(Account).where(Account.id == account_id)
    floor = currency.minimum_value or 0
    if delta.debited:
        statement = statement.where(Account.approved + delta.approved >= floor)
    if currency.maximum_value is not None and delta.approved + delta.pending > 0:
        statement = statement.where(
            Account.approved + Account.pending + delta.approved + delta.pending
            <= currency.maximum_value
        )
    statement = statement.values(
        approved=Account.approved + delta.approved,
        pending=Account.pending + delta.pending,
        spent=Account.spent + delta.spent,
        lifetime_earned=Account.lifetime_earned + delta.lifetime_earned,
        lock_version=Account.lock_version + 1,
        updated_at=moment,
    ).returning(Account.id)
    if (await _core(session).execute(statement)).first() is None:
        await _refuse(session, account_id, delta, floor)


async def _refuse(session: WriteSession, account_id: str, delta: Delta, floor: int) -> None:
    approved = (
        await _core(session).execute(select(Account.approved).where(Account.id == account_id))
    ).scalar_one()
    if delta.debited and approved + delta.approved < floor:
        raise InsufficientPoints(
            "Insufficient points: the debit exceeds the approved balance", accountId=account_id
        )
    raise BalanceAboveMaximum(
        "The credit would take the balance above the currency's maximumValue", accountId=account_id
    )


async def _consume_lots(session: WriteSession, debit: dict[str, Any]) -> None:
    """Take a debit from the account's lots, soonest-expiring first. The account row is
    locked by the balance update above, so these lots cannot change under us."""
    left = debit["amount"]
    while left > 0:
        lots = (
            await _core(session).execute(
                select(Entry.id, Entry.remaining)
                .where(
                    Entry.account_id == debit["account_id"],
                    Entry.direction == "credit",
                    Entry.status == "approved",
                    Entry.remaining > 0,
                )
                .order_by(Entry.expires_at.asc().nulls_last(), Entry.id)
                .limit(100)
            )
        ).all()
        taken = allocate(left, [(lot_id, remaining) for lot_id, remaining in lots])
        if not taken:
            raise RuntimeError(f"account {debit['account_id']} has fewer lots than its balance")
        for lot_id, amount in taken:
            await _core(session).execute(
                update(Entry).where(Entry.id == lot_id).values(remaining=Entry.remaining - amount)
            )
        await _core(session).execute(
            insert(Allocation),
            [
                {
                    "debit_id": debit["id"],
                    "lot_id": lot_id,
                    "website_id": debit["website_id"],
                    "amount": amount,
                }
                for lot_id, amount in taken
            ],
        )
        left -= sum(amount for _, amount in taken)


# --- state changes of existing entries -------------------------------------------------


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
        await _core(session).execute(
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
    await _core(session).execute(
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
    await _core(session).execute(
        update(Account)
        .where(Account.id == entry.account_id)
        .values(lock_version=Account.lock_version + 1)
    )
    return await _entry(session, website_id, entry_id)


async def _close_lot(session: WriteSession, lot: Entry, status: str) -> None:
    moment = now()
    amount = lot.remaining
    source = "expiry" if status == "expired" else "void"
    transaction = _transaction_row(
        lot.organization_id, lot.website_id, source, f"{source} of entry {lot.id}", moment
    )
    await _core(session).execute(insert(Transaction), [transaction])
    row = _entry_row(
        transaction,
        lot.account_id,
        Line(lot.user_id, lot.currency_id, "debit", amount, f"{source}:{lot.id}", source=source),
        moment,
    )
    row["lot_id"] = lot.id
    await _core(session).execute(insert(Entry), [row])
    await _core(session).execute(
        update(Entry)
        .where(Entry.id == lot.id)
        .values(remaining=0, status=status, updated_at=moment)
    )
    changes: dict[str, Any] = {"approved": Account.approved - amount}
    if status == "expired":
        changes["expired"] = Account.expired + amount
    else:
        changes["lifetime_earned"] = Account.lifetime_earned - amount
    await _core(session).execute(
        update(Account).where(Account.id == lot.account_id).values(**changes, updated_at=moment)
    )


# --- due work, run by the worker ---------------------------------------------------------


async def approve_due(session: WriteSession, at: datetime, limit: int) -> int:
    """Approve up to ``limit`` pending entries whose ``approvesAt`` has come."""
    ids = (
        (
            await _core(session).execute(
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
        await _core(session).execute(
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
