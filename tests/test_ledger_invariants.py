"""Property test of the ledger: random credit, debit, approve, decline, void and expire
sequences keep every balance equal to the sum of its entries, never below zero."""

import asyncio
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from loyalty.config import Settings
from loyalty.db import Database, WriteSession
from loyalty.errors import BusinessRefusal
from loyalty.kit.clock import set_clock
from loyalty.ledger import service, settlement
from loyalty.ledger.currencies import CurrencyTerms
from loyalty.ledger.models import Account, Currency, Entry
from loyalty.ledger.rows import Line
from loyalty.tenancy import service as tenancy
from loyalty.users import service as users

Op = tuple[str, int]

ops = st.lists(
    st.one_of(
        st.tuples(st.just("credit"), st.integers(1, 50)),
        st.tuples(st.just("credit_pending"), st.integers(1, 50)),
        st.tuples(st.just("credit_expiring"), st.integers(1, 50)),
        st.tuples(st.just("debit"), st.integers(1, 80)),
        st.tuples(st.just("approve"), st.integers(0, 20)),
        st.tuples(st.just("decline"), st.integers(0, 20)),
        st.tuples(st.just("void"), st.integers(0, 20)),
        st.tuples(st.just("tick"), st.integers(1, 30)),
    ),
    max_size=25,
)


@dataclass
class World:
    database: Database
    website_id: str
    organization_id: str
    user_id: str
    currency: Currency
    now: datetime


async def setup(url: str) -> World:
    database = Database.connect(url, Settings(database_url=url))
    async with database.writing() as session:
        org = await tenancy.create_organization(session, "prop")
        site = await tenancy.create_website(session, org.id, "prop")
        currency = Currency(organization_id=org.id, website_id=site.id, name="P", symbol="P")
        session.add(currency)
        user_id = (await users.ids_for_wallets(session, org.id, site.id, ["0xprop"]))["0xprop"]
    return World(database, site.id, org.id, user_id, currency, datetime(2030, 1, 1, tzinfo=UTC))


async def apply(world: World, session: WriteSession, op: Op, n: int) -> None:
    kind, value = op
    if kind.startswith("credit") or kind == "debit":
        line = Line(
            world.user_id,
            world.currency.id,
            "debit" if kind == "debit" else "credit",
            value,
            f"k{n}",
            approves_at=world.now + timedelta(hours=5) if kind == "credit_pending" else None,
            expires_at=world.now + timedelta(hours=value % 7 + 1)
            if kind == "credit_expiring"
            else None,
        )
        await service.post_transaction(
            session,
            organization_id=world.organization_id,
            website_id=world.website_id,
            description="",
            type="api_key",
            lines=[line],
            currencies={world.currency.id: CurrencyTerms.of(world.currency)},
        )
        return
    if kind == "tick":
        world.now += timedelta(hours=value % 8)
        await settlement.approve_due(session, world.now, 100)
        await settlement.expire_due(session, world.now, 100)
        return
    entries = (
        (
            await session.execute(
                select(Entry.id)
                .where(Entry.user_id == world.user_id, Entry.direction == "credit")
                .order_by(Entry.id)
            )
        )
        .scalars()
        .all()
    )
    if not entries:
        return
    entry_id = entries[value % len(entries)]
    if kind == "approve":
        await settlement.approve_entry(session, entry_id)
    elif kind == "decline":
        await settlement.decline_entry(session, entry_id)
    else:
        await settlement.void_entry(session, world.website_id, entry_id)


async def check(session: WriteSession, user_id: str) -> None:
    account = (
        await session.execute(
            select(Account)
            .where(Account.user_id == user_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if account is None:  # only refused operations so far
        assert not (await session.execute(select(Entry).where(Entry.user_id == user_id))).all()
        return
    rows = (
        (
            await session.execute(
                select(Entry)
                .where(Entry.account_id == account.id)
                .execution_options(populate_existing=True)
            )
        )
        .scalars()
        .all()
    )
    settled = sum(
        e.amount
        for e in rows
        if e.direction == "credit" and e.status in ("approved", "expired", "void")
    )
    debits = [e for e in rows if e.direction == "debit"]
    assert account.approved == settled - sum(e.amount for e in debits)
    assert account.pending == sum(e.amount for e in rows if e.status == "pending")
    assert account.approved == sum(
        e.remaining for e in rows if e.direction == "credit" and e.status == "approved"
    )
    assert account.spent == sum(e.amount for e in debits if e.source not in ("expiry", "void"))
    assert account.expired == sum(e.amount for e in debits if e.source == "expiry")
    assert account.lifetime_earned == settled - sum(e.amount for e in debits if e.source == "void")
    assert account.approved >= 0 and account.pending >= 0
    assert all(0 <= e.remaining <= e.amount for e in rows)


async def scenario(url: str, sequence: list[Op]) -> None:
    world = await setup(url)
    set_clock(lambda: world.now)
    try:
        for n, op in enumerate(sequence):
            try:
                async with world.database.writing() as session:
                    await apply(world, session, op, n)
            except BusinessRefusal:
                pass  # refused: must have written nothing, which check() verifies
            async with world.database.writing() as session:
                await check(session, world.user_id)
    finally:
        set_clock(None)
        await world.database.dispose()


@settings(
    max_examples=int(os.environ.get("LEDGER_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(sequence=ops)
def test_balances_equal_their_entries(database_url: str, sequence: list[Op]) -> None:
    asyncio.run(scenario(database_url, sequence))
