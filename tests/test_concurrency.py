"""The ledger under real parallel requests: many HTTP requests at once, sent with
``asyncio.gather`` to API server processes (``tests/servers.py``) that share the test
database. Each test seeds its own tenant in process, fires its load at the servers, then
reads the outcome back.

PostgreSQL only: SQLite lets one writer in at a time, so these races cannot happen there.
"""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest
from httpx import AsyncClient
from sqlalchemy import func, select

from loyalty.db import Database
from loyalty.ledger.models import Entry
from tests.servers import LIMITS, TIMEOUT
from tests.support import ON_POSTGRES, Tenant, create_currency, credit, debit, transact, wallet

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="needs PostgreSQL (LOYALTY_TEST_DATABASE_URL=postgresql://...): "
    "SQLite runs one writer at a time, so there is no race to test",
)

TRANSACTIONS = "/api/loyalty/transactions"
# The status given to a request that got no answer at all.
NO_ANSWER = 599
PROCESSES = pytest.mark.parametrize(
    "servers", [1, 2], indirect=True, ids=["one-process", "two-processes"]
)


@pytest.fixture
def servers(urls: list[str], request: pytest.FixtureRequest) -> list[str]:
    """Base URLs of the processes a test loads: both, or as many as its parameter says.
    If the test fails, what the processes wrote meanwhile (tracebacks) is printed."""
    return urls[: getattr(request, "param", len(urls))]


@asynccontextmanager
async def clients(urls: Sequence[str]) -> AsyncIterator[list[AsyncClient]]:
    """One client per server process."""
    async with AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(
                AsyncClient(base_url=url, timeout=TIMEOUT, limits=LIMITS)
            )
            for url in urls
        ]


async def post_all(
    urls: Sequence[str], tenant: Tenant, currency: str, transactions: Sequence[list[Any]]
) -> list[httpx.Response]:
    """POST every transaction (a list of entries) at once; the i-th goes to server
    ``i mod len(urls)``, round-robin."""
    async with clients(urls) as pool:
        return await asyncio.gather(
            *(
                post(pool[i % len(pool)], tenant, currency, entries)
                for i, entries in enumerate(transactions)
            )
        )


async def post(
    client: AsyncClient, tenant: Tenant, currency: str, entries: list[Any]
) -> httpx.Response:
    """The answer; a request that got none (a hang, a dropped connection) counts as a
    ``NO_ANSWER`` response, so the tally shows it beside the others."""
    body = {"description": "load", "loyaltyCurrencyId": currency, "entries": entries}
    try:
        return await client.post(TRANSACTIONS, json=body, headers=tenant.headers)
    except httpx.TransportError as exc:
        return httpx.Response(NO_ANSWER, text=f"no answer: {exc!r}")


def outcome(response: httpx.Response) -> tuple[int, str]:
    """(status, error code); the code is "" for a success, the body for a non-JSON answer."""
    if response.status_code == 200:
        return 200, ""
    try:
        return response.status_code, str(response.json()["code"])
    except (ValueError, KeyError, TypeError):
        return response.status_code, response.text


def tally(responses: Sequence[httpx.Response]) -> Counter[tuple[int, str]]:
    return Counter(outcome(response) for response in responses)


async def account_of(
    client: AsyncClient, tenant: Tenant, currency: str, address: str
) -> dict[str, Any]:
    """The one account of the wallet in the currency."""
    response = await client.get(
        "/api/loyalty/accounts",
        headers=tenant.headers,
        params={"walletAddress": address, "loyaltyCurrencyId": currency},
    )
    assert response.status_code == 200, response.text
    [account] = response.json()["data"]
    result: dict[str, Any] = account
    return result


async def entries_of(client: AsyncClient, tenant: Tenant, **filters: str) -> list[dict[str, Any]]:
    """Every entry matching the filters, all pages."""
    found: list[dict[str, Any]] = []
    page: dict[str, Any] = {"hasNextPage": True}
    while page["hasNextPage"]:
        cursor = {"startingAfter": found[-1]["id"]} if found else {}
        response = await client.get(
            "/api/loyalty/transaction_entries",
            headers=tenant.headers,
            params={"limit": 100, **filters, **cursor},
        )
        assert response.status_code == 200, response.text
        page = response.json()
        found += page["data"]
    return found


def net(entries: Sequence[dict[str, Any]]) -> Any:
    """Credits minus debits."""
    return sum(e["amount"] if e["direction"] == "credit" else -e["amount"] for e in entries)


async def lots_left(database: Database, account_id: str) -> int:
    """What the account's credits (lots) still hold; debits consume them."""
    async with database.reading() as session:
        left = await session.execute(
            select(func.coalesce(func.sum(Entry.remaining), 0)).where(
                Entry.account_id == account_id,
                Entry.direction == "credit",
                Entry.status == "approved",
            )
        )
        return int(left.scalar_one())


async def assert_balance_is_its_entries(
    client: AsyncClient, tenant: Tenant, database: Database, currency: str, address: str
) -> dict[str, Any]:
    account = await account_of(client, tenant, currency, address)
    entries = await entries_of(client, tenant, walletAddress=address, loyaltyCurrencyId=currency)
    assert net(entries) == account["amount"]
    assert await lots_left(database, account["id"]) == account["amount"]
    return account


@PROCESSES
async def test_parallel_debits_never_overdraw(
    servers: list[str], client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    currency = await create_currency(client, tenant)
    member = wallet(1)
    # Five lots of 100, so the debits also race for the same lots.
    await transact(client, tenant, currency, *[credit(member, 100, f"seed-{n}") for n in range(5)])

    answers = await post_all(
        servers, tenant, currency, [[debit(member, 10, f"debit-{n}")] for n in range(100)]
    )

    assert tally(answers) == {(200, ""): 50, (422, "insufficient_points"): 50}
    account = await assert_balance_is_its_entries(client, tenant, database, currency, member)
    assert (account["amount"], account["spentAmount"]) == (0, 500)
    debits = await entries_of(client, tenant, walletAddress=member, direction="debit")
    applied = {a.json()["entries"][0]["idempotencyKey"] for a in answers if a.status_code == 200}
    assert {e["idempotencyKey"] for e in debits} == applied


@PROCESSES
async def test_parallel_requests_with_one_idempotency_key_credit_once(
    servers: list[str], client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    currency = await create_currency(client, tenant)
    member = wallet(1)
    await transact(client, tenant, currency, credit(member, 5, "seed"))

    answers = await post_all(
        servers, tenant, currency, [[credit(member, 100, "bonus")] for _ in range(50)]
    )

    assert tally(answers) == {(200, ""): 1, (409, "duplicate_idempotency_key"): 49}
    account = await assert_balance_is_its_entries(client, tenant, database, currency, member)
    assert (account["amount"], account["lifetimeEarnedAmount"]) == (105, 105)
    [entry] = await entries_of(client, tenant, idempotencyKey="bonus")
    [applied] = [a.json() for a in answers if a.status_code == 200]
    assert entry["id"] == applied["entries"][0]["id"]


async def test_transfers_both_ways_at_once_do_not_deadlock(
    servers: list[str], client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    currency = await create_currency(client, tenant)
    a, b = wallet(1), wallet(2)
    await transact(client, tenant, currency, credit(a, 200, "seed-a"), credit(b, 200, "seed-b"))

    # A->B, A->B, B->A, B->A, ...: with round-robin, each process gets both directions.
    forward = [n % 4 < 2 for n in range(120)]
    transfers = [
        [debit(a, 10, f"out-{n}"), credit(b, 10, f"in-{n}")]
        if ahead
        else [debit(b, 10, f"out-{n}"), credit(a, 10, f"in-{n}")]
        for n, ahead in enumerate(forward)
    ]
    answers = await post_all(servers, tenant, currency, transfers)

    outcomes = tally(answers)
    assert set(outcomes) <= {(200, ""), (422, "insufficient_points")}, outcomes
    moved = sum(
        10 if ahead else -10
        for ahead, answer in zip(forward, answers, strict=True)
        if answer.status_code == 200
    )
    balance_a = await assert_balance_is_its_entries(client, tenant, database, currency, a)
    balance_b = await assert_balance_is_its_entries(client, tenant, database, currency, b)
    assert (balance_a["amount"], balance_b["amount"]) == (200 - moved, 200 + moved)


async def test_parallel_first_touch_creates_one_user_and_one_account(
    servers: list[str], client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    currency = await create_currency(client, tenant)
    newcomer = wallet(7)

    answers = await post_all(
        servers, tenant, currency, [[credit(newcomer, 7, f"touch-{n}")] for n in range(50)]
    )

    assert tally(answers) == {(200, ""): 50}
    written = [a.json()["entries"][0] for a in answers]
    assert len({(e["userId"], e["loyaltyAccountId"]) for e in written}) == 1
    users = await client.get("/api/users/count", headers=tenant.headers)
    assert users.status_code == 200, users.text
    assert users.json()["totalCount"] == 1
    account = await assert_balance_is_its_entries(client, tenant, database, currency, newcomer)
    assert account["amount"] == 50 * 7
    assert account["id"] == written[0]["loyaltyAccountId"]
