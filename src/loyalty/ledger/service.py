"""The ledger service: the only way a balance changes.

Entries are appended; each balance row changes in the same transaction, by an atomic
``UPDATE ... SET x = x + :delta`` whose ``WHERE`` carries the guard (no overdraft, no
balance above the currency's maximum). Lots (credits) are only touched while their
account row is locked by such an update, so concurrent debits, expiry and voids of one
account are serialised by the database, never by a Python lock.
"""

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from loyalty.db import WriteSession, dialect_insert
from loyalty.errors import BusinessRefusal, Conflict, InsufficientPoints
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.ledger import credits
from loyalty.ledger.balances import Delta, allocate, sum_deltas
from loyalty.ledger.currencies import CurrencyTerms
from loyalty.ledger.models import Account, Allocation, Entry
from loyalty.ledger.rows import (
    INSERT_ENTRY,
    INSERT_TRANSACTION,
    Line,
    core,
    entry_row,
    transaction_row,
)


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
    # Given when the caller must know the id before writing (a completion names it).
    id: str | None = None


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
    if credits.applies(session, [ln for new in batch for ln in new.lines], currencies):
        posted = [_posted(new, {}, moment) for new in batch]
        entries = [row for p in posted for row in p.entries]
        with _refusing_used_keys(entries):
            await credits.write_credits(
                session, [p.transaction for p in posted], entries, currencies, moment
            )
        return posted
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
    """The rows of a transaction; an entry whose account is not in ``accounts`` gets its
    account id when it is written."""
    transaction = transaction_row(
        new.organization_id, new.website_id, new.type, new.description, moment, new.rule_id, new.id
    )
    return Posted(
        transaction,
        [
            entry_row(transaction, accounts.get((ln.user_id, ln.currency_id)), ln, moment)
            for ln in new.lines
        ],
    )


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
    await core(session).execute(INSERT_TRANSACTION, transactions)
    # Keys in one order, so two batches sharing keys wait on each other, never deadlock.
    ordered = sorted(entries, key=lambda row: (row["website_id"], row["idempotency_key"]))
    with _refusing_used_keys(entries):
        await core(session).execute(INSERT_ENTRY, ordered)


@contextmanager
def _refusing_used_keys(entries: list[dict[str, Any]]) -> Iterator[None]:
    """An entry's idempotency key used before refuses the write."""
    try:
        yield
    except IntegrityError as exc:
        if "idempotency" not in str(exc.orig).lower():
            raise
        raise DuplicateIdempotencyKey(
            "An entry with this idempotencyKey already exists; nothing was written",
            idempotencyKeys=[
                row["idempotency_key"] for row in entries if row["source"] != "opening"
            ],
        ) from exc


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
    created = (await core(session).execute(statement, rows)).all()
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
            transaction_row(
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
        entries.append(entry_row(transaction, account_id, line, moment))
    if opening:
        await core(session).execute(INSERT_TRANSACTION, list(opening.values()))
    return entries


async def _account_ids(
    session: WriteSession, pairs: set[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    if not pairs:
        return {}
    result = await core(session).execute(
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
    """Update every touched account, in (user, currency) order so that two transactions
    touching the same accounts always lock them in the same order (no deadlock). Runs of updates
    that need no guard (credits below no maximum) go to the database as one batch; a
    guarded update (a debit, or a credit under a maximum) is its own statement."""
    currency_of = {r["account_id"]: currencies[r["currency_id"]] for r in rows}
    owner = {r["account_id"]: (r["user_id"], r["currency_id"]) for r in rows}
    deltas = sum_deltas((r["account_id"], r["direction"], r["status"], r["amount"]) for r in rows)
    batch: list[dict[str, Any]] = []
    for account_id in sorted(deltas, key=owner.__getitem__):
        delta, currency = deltas[account_id], currency_of[account_id]
        if not _needs_guard(delta, currency):
            batch.append(
                {
                    "account": account_id,
                    "moment": moment,
                    "approved": delta.approved,
                    "pending": delta.pending,
                    "spent": delta.spent,
                    "lifetime_earned": delta.lifetime_earned,
                }
            )
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
        await core(session).execute(_ADD_TO_BALANCE, batch)


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
    if (await core(session).execute(statement)).first() is None:
        await _refuse(session, account_id, delta, floor)


async def _refuse(session: WriteSession, account_id: str, delta: Delta, floor: int) -> None:
    approved = (
        await core(session).execute(select(Account.approved).where(Account.id == account_id))
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
            await core(session).execute(
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
            await core(session).execute(
                update(Entry).where(Entry.id == lot_id).values(remaining=Entry.remaining - amount)
            )
        await core(session).execute(
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
