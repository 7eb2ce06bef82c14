"""Group commit: concurrent transaction requests share one database transaction, and a
refused member never changes what the others, or itself, get."""

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select

from loyalty.db import Database
from loyalty.errors import InsufficientPoints, LoyaltyError, ValidationFailed
from loyalty.ledger.batching import TransferBatcher
from loyalty.ledger.service import DuplicateIdempotencyKey
from loyalty.ledger.transfers import RequestedEntry, Result, TransferRequest
from loyalty.tenancy.principal import Principal
from loyalty.users.models import User
from tests.support import Tenant, create_currency, credit, transact, wallet


def request(
    tenant: Tenant, currency: str, direction: str, address: str, amount: str, key: str | None
) -> TransferRequest:
    principal = Principal(tenant.key_id, tenant.organization_id, frozenset({tenant.website_id}))
    entry = RequestedEntry(Decimal(amount), direction, None, address, None, key)  # type: ignore[arg-type]
    return TransferRequest(principal, "batch", currency, [entry])


async def submit_all(
    batcher: TransferBatcher, requests: list[TransferRequest]
) -> list[Result | BaseException]:
    return await asyncio.gather(*(batcher.submit(r) for r in requests), return_exceptions=True)


@pytest.fixture
async def batcher(database: Database) -> Any:
    one_runner = TransferBatcher(database, runners=1)
    yield one_runner
    await one_runner.close()


async def users_in(database: Database, tenant: Tenant) -> int:
    async with database.reading() as session:
        count = await session.scalar(
            select(func.count()).select_from(User).where(User.website_id == tenant.website_id)
        )
    return int(count or 0)


async def test_concurrent_requests_commit_together(
    client: AsyncClient, tenant: Tenant, batcher: TransferBatcher
) -> None:
    currency = await create_currency(client, tenant)
    requests = [request(tenant, currency, "credit", wallet(n), "5", f"k{n}") for n in range(20)]
    results = await submit_all(batcher, requests)
    assert all(isinstance(r, Result) for r in results)
    assert (batcher.batches_committed, batcher.batches_split) == (1, 0)
    accounts = await client.get(
        "/api/loyalty/accounts", headers=tenant.headers, params={"limit": 100}
    )
    assert sorted(a["amount"] for a in accounts.json()["data"]) == [5] * 20


async def test_refused_members_get_their_own_answers(
    client: AsyncClient, tenant: Tenant, database: Database, batcher: TransferBatcher
) -> None:
    currency = await create_currency(client, tenant)
    await transact(client, tenant, currency, credit(wallet(1), 10, "used"))
    users_before = await users_in(database, tenant)
    requests = [
        request(tenant, currency, "credit", wallet(2), "3", "fresh-1"),
        request(tenant, currency, "debit", wallet(1), "11", None),  # overdraft
        request(tenant, currency, "credit", wallet(3), "1.5", None),  # too precise, new wallet
        request(tenant, currency, "credit", wallet(4), "2", "used"),  # key used before
        request(tenant, currency, "debit", wallet(1), "4", None),
        request(tenant, currency, "credit", wallet(2), "3", "fresh-2"),
    ]
    results = await submit_all(batcher, requests)
    assert batcher.batches_split == 1
    assert [type(r) for r in results] == [
        Result,
        InsufficientPoints,
        ValidationFailed,
        DuplicateIdempotencyKey,
        Result,
        Result,
    ]
    failed = results[2]
    assert isinstance(failed, LoyaltyError) and isinstance(failed, ValidationFailed)
    assert [e.field for e in failed.errors] == ["entries[0].amount"]
    balances = {
        a["user"]["walletAddress"]: a["amount"]
        for a in (await client.get("/api/loyalty/accounts", headers=tenant.headers)).json()["data"]
    }
    assert balances == {wallet(1): 6, wallet(2): 6}
    # Only wallet(2) was new among the requests that passed; refused ones created no one.
    assert await users_in(database, tenant) == users_before + 1
