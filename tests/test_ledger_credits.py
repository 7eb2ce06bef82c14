"""Credits that nothing can refuse are written by PostgreSQL as one statement; on either
database they leave exactly the rows the general path leaves, and batches of them never
deadlock with batches taking the general path over the same accounts."""

import asyncio
import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, select

from loyalty.db import Database
from loyalty.kit.clock import now
from loyalty.ledger.currencies import CurrencyTerms, create_currency, currency_terms
from loyalty.ledger.models import Account, Entry, Transaction
from loyalty.ledger.rows import Line
from loyalty.ledger.service import DuplicateIdempotencyKey, NewTransaction, post_transactions
from loyalty.tenancy.models import Website
from loyalty.users.service import ids_for_wallets
from tests.support import ON_POSTGRES, Tenant, wallet


async def setup(
    database: Database, tenant: Tenant, users: int, **currency: Any
) -> tuple[CurrencyTerms, list[str]]:
    async with database.writing() as session:
        website = await session.get_one(Website, tenant.website_id)
        created = await create_currency(
            session, website, name="Points", symbol="PTS", decimals=0, **currency
        )
        terms = await currency_terms(session, tenant.organization_id, None, [created.id])
        found = await ids_for_wallets(
            session, tenant.organization_id, tenant.website_id, [wallet(n) for n in range(users)]
        )
    return terms[created.id], [found[wallet(n)] for n in range(users)]


def credits(
    tenant: Tenant, terms: CurrencyTerms, lines: list[tuple[str, int, str]], **more: Any
) -> NewTransaction:
    return NewTransaction(
        tenant.organization_id,
        tenant.website_id,
        "test",
        "api_key",
        [Line(user, terms.id, "credit", amount, key, **more) for user, amount, key in lines],
    )


async def balances(database: Database, terms: CurrencyTerms) -> dict[str, tuple[int, int, int]]:
    async with database.reading() as session:
        rows = await session.execute(
            select(
                Account.user_id, Account.approved, Account.pending, Account.lifetime_earned
            ).where(Account.currency_id == terms.id)
        )
    return {user: (approved, pending, earned) for user, approved, pending, earned in rows}


async def test_a_batch_of_credits_writes_every_row(database: Database, tenant: Tenant) -> None:
    terms, (ann, bob, cy) = await setup(database, tenant, 3)
    async with database.writing() as session:
        await post_transactions(
            session, [credits(tenant, terms, [(ann, 5, "first")])], {terms.id: terms}
        )
    later = now() + timedelta(days=2)
    batch = [
        credits(tenant, terms, [(ann, 3, "a1"), (bob, 4, "b1"), (ann, 2, "a2")]),
        credits(tenant, terms, [(cy, 7, "c1")], approves_at=later, metadata={"order": "o-1"}),
    ]
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        statements.append(statement)

    sync_engine = database.write_engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", count)
    try:
        async with database.writing() as session:
            posted = await post_transactions(session, batch, {terms.id: terms})
    finally:
        event.remove(sync_engine, "before_cursor_execute", count)
    if ON_POSTGRES:
        # Accounts (two of them new), transactions, entries and balances: one statement.
        assert len(statements) == 1, statements
    assert await balances(database, terms) == {
        ann: (10, 0, 10),
        bob: (4, 0, 4),
        cy: (0, 7, 0),
    }
    async with database.reading() as reading:
        owned = await reading.execute(
            select(Account.user_id, Account.id).where(Account.currency_id == terms.id)
        )
        accounts = dict(owned.tuples().all())
        entries = {
            row.idempotency_key: row
            for row in await reading.scalars(select(Entry).where(Entry.currency_id == terms.id))
        }
        written = set(
            await reading.scalars(
                select(Transaction.id).where(
                    Transaction.id.in_([p.transaction["id"] for p in posted])
                )
            )
        )
    assert written == {p.transaction["id"] for p in posted}
    for p in posted:
        for row in p.entries:
            entry = entries[row["idempotency_key"]]
            assert entry.id == row["id"]
            assert entry.account_id == row["account_id"] == accounts[row["user_id"]]
            assert entry.transaction_id == p.transaction["id"]
            assert (entry.amount, entry.remaining, entry.direction) == (row["amount"],) * 2 + (
                "credit",
            )
    pending = entries["c1"]
    assert (pending.status, pending.metadata_) == ("pending", {"order": "o-1"})
    assert pending.approves_at == later
    assert entries["a1"].status == "approved" and entries["a1"].metadata_ is None


async def test_a_used_key_refuses_the_whole_batch(database: Database, tenant: Tenant) -> None:
    terms, (ann, bob) = await setup(database, tenant, 2)
    currencies = {terms.id: terms}
    async with database.writing() as session:
        await post_transactions(session, [credits(tenant, terms, [(ann, 5, "used")])], currencies)
    with pytest.raises(DuplicateIdempotencyKey):
        async with database.writing() as session:
            await post_transactions(
                session, [credits(tenant, terms, [(bob, 1, "fresh"), (ann, 2, "used")])], currencies
            )
    assert await balances(database, terms) == {ann: (5, 0, 5)}


async def test_a_currency_with_an_opening_value_still_opens_accounts(
    database: Database, tenant: Tenant
) -> None:
    terms, (ann,) = await setup(database, tenant, 1, default_value=Decimal(10))
    async with database.writing() as session:
        await post_transactions(
            session, [credits(tenant, terms, [(ann, 5, "k")])], {terms.id: terms}
        )
    assert await balances(database, terms) == {ann: (15, 0, 15)}


@pytest.mark.skipif(not ON_POSTGRES, reason="row locks of parallel transactions: PostgreSQL")
async def test_credit_and_debit_batches_over_the_same_accounts_never_deadlock(
    database: Database, tenant: Tenant
) -> None:
    terms, users = await setup(database, tenant, 6)
    currencies = {terms.id: terms}
    # Accounts opened in reverse user order, so that account ids sort against user ids.
    for user in sorted(users, reverse=True):
        async with database.writing() as session:
            opening = [(user, 100, f"open-{user}")]
            await post_transactions(session, [credits(tenant, terms, opening)], currencies)
    rng = random.Random(7)

    async def batch(round_: int, n: int) -> int:
        chosen = rng.sample(users, 4)
        # Half the batches debit too, so they take the general path with its guards.
        lines = [Line(u, terms.id, "credit", 1, f"c-{round_}-{n}-{u}") for u in chosen]
        if n % 2:
            lines.append(Line(chosen[0], terms.id, "debit", 1, f"d-{round_}-{n}"))
        new = NewTransaction(tenant.organization_id, tenant.website_id, "t", "api_key", lines)
        async with database.writing() as session:
            await post_transactions(session, [new], currencies)
        return len(chosen) - (n % 2)

    for round_ in range(5):
        results = await asyncio.gather(
            *(batch(round_, n) for n in range(24)), return_exceptions=True
        )
        assert not [r for r in results if isinstance(r, BaseException)], results
    total = sum(approved for approved, _, _ in (await balances(database, terms)).values())
    async with database.reading() as reading:
        entries = list(await reading.scalars(select(Entry).where(Entry.currency_id == terms.id)))
    credited = sum(e.amount for e in entries if e.direction == "credit")
    debited = sum(e.amount for e in entries if e.direction == "debit")
    assert total == credited - debited
    assert credited == 600 + 4 * 24 * 5
