"""The ceiling: the rows one single-entry credit writes (a transaction, an entry, and the
balance upsert), written straight with the database driver at the same concurrency."""

import asyncio
import itertools
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiosqlite
import asyncpg  # ships no type hints
import uuid_utils
from sqlalchemy.engine import make_url

from bench.figures import Figure, figure
from bench.options import Options
from bench.procs import CpuSnapshot, CpuUse, cpu_use
from bench.scratch import driver_url
from bench.seed import Tenant
from bench.tally import Tally

ACCOUNT = """
INSERT INTO accounts (id, organization_id, website_id, user_id, currency_id, approved,
    pending, spent, expired, lifetime_earned, lock_version, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, 1, 0, 0, 0, 1, 0, $6, $6)
ON CONFLICT (user_id, currency_id) DO UPDATE SET
    approved = accounts.approved + 1,
    lifetime_earned = accounts.lifetime_earned + 1,
    lock_version = accounts.lock_version + 1,
    updated_at = excluded.updated_at
RETURNING id"""
TRANSACTION = """
INSERT INTO transactions (id, organization_id, website_id, description, type, created_at)
VALUES ($1, $2, $3, 'bench', 'api_key', $4)"""
ENTRY = """
INSERT INTO ledger_entries (id, organization_id, website_id, transaction_id, account_id,
    user_id, currency_id, direction, amount, remaining, status, source, idempotency_key,
    created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'credit', 1, 1, 'approved', 'api', $8, $9, $9)"""
# All three in one statement: one round trip, one implicit transaction.
ONE_STATEMENT = """
WITH account AS (
    INSERT INTO accounts (id, organization_id, website_id, user_id, currency_id, approved,
        pending, spent, expired, lifetime_earned, lock_version, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, 1, 0, 0, 0, 1, 0, $6, $6)
    ON CONFLICT (user_id, currency_id) DO UPDATE SET
        approved = accounts.approved + 1,
        lifetime_earned = accounts.lifetime_earned + 1,
        lock_version = accounts.lock_version + 1,
        updated_at = excluded.updated_at
    RETURNING id
), tx AS (
    INSERT INTO transactions (id, organization_id, website_id, description, type, created_at)
    VALUES ($7, $2, $3, 'bench', 'api_key', $6)
    RETURNING id
)
INSERT INTO ledger_entries (id, organization_id, website_id, transaction_id, account_id,
    user_id, currency_id, direction, amount, remaining, status, source, idempotency_key,
    created_at, updated_at)
SELECT $8, $2, $3, tx.id, account.id, $4, $5, 'credit', 1, 1, 'approved', 'api', $9, $6, $6
FROM account, tx"""
USER = """
INSERT INTO users (id, organization_id, website_id, wallet_address, state, created_at,
    updated_at)
VALUES ($1, $2, $3, $4, 'enrolled', $5, $5)"""


@dataclass(frozen=True)
class Posting:
    """One single-entry credit of 1 to a user."""

    organization_id: str
    website_id: str
    currency_id: str
    user_id: str
    moment: datetime
    idempotency_key: str


Post = Callable[[Posting], Awaitable[None]]


def new_id() -> str:
    return str(uuid_utils.uuid7())


def postings(tenant: Tenant, users: list[str], tag: str) -> Iterator[Posting]:
    for n in itertools.count():
        yield Posting(
            tenant.organization_id,
            tenant.website_id,
            tenant.driver_currency_id,
            users[n % len(users)],
            datetime.now(UTC),
            f"{tag}-{n}",
        )


# --- the rows, for either database -------------------------------------------------


def _account_values(p: Posting, moment: Any) -> tuple[Any, ...]:
    return (new_id(), p.organization_id, p.website_id, p.user_id, p.currency_id, moment)


def _rows(p: Posting, account_id: str, moment: Any) -> list[tuple[str, tuple[Any, ...]]]:
    """The transaction and entry inserts, once the account upsert gave the account id."""
    tx_id = new_id()
    entry = (
        new_id(),
        p.organization_id,
        p.website_id,
        tx_id,
        account_id,
        p.user_id,
        p.currency_id,
        p.idempotency_key,
        moment,
    )
    return [(TRANSACTION, (tx_id, p.organization_id, p.website_id, moment)), (ENTRY, entry)]


# --- PostgreSQL ----------------------------------------------------------------------


def pg_three_statements(pool: asyncpg.Pool) -> Post:
    async def post(p: Posting) -> None:
        async with pool.acquire() as connection, connection.transaction():
            account_id = await connection.fetchval(ACCOUNT, *_account_values(p, p.moment))
            for statement, values in _rows(p, account_id, p.moment):
                await connection.execute(statement, *values)

    return post


def pg_one_statement(pool: asyncpg.Pool) -> Post:
    async def post(p: Posting) -> None:
        values = (*_account_values(p, p.moment), new_id(), new_id(), p.idempotency_key)
        async with pool.acquire() as connection:
            await connection.execute(ONE_STATEMENT, *values)

    return post


@asynccontextmanager
async def pg_pool(url: str, size: int) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(driver_url(url), min_size=size, max_size=size)
    try:
        yield pool
    finally:
        await pool.close()


async def pg_users(pool: asyncpg.Pool, tenant: Tenant, count: int) -> list[str]:
    moment = datetime.now(UTC)
    rows = [
        (new_id(), tenant.organization_id, tenant.website_id, f"driver-{n}", moment)
        for n in range(count)
    ]
    async with pool.acquire() as connection:
        await connection.executemany(USER, rows)
    return [row[0] for row in rows]


# --- SQLite --------------------------------------------------------------------------


def _sqlite(statement: str) -> str:
    # SQLite's numbered parameters are ?NNN where PostgreSQL's are $NNN.
    return statement.replace("$", "?")


def _sqlite_time(moment: datetime) -> str:
    # How SQLAlchemy stores a UTC instant in SQLite (naive), so the API reads it back.
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


async def _sqlite_rows(connection: aiosqlite.Connection, p: Posting) -> None:
    moment = _sqlite_time(p.moment)
    cursor = await connection.execute(_sqlite(ACCOUNT), _account_values(p, moment))
    row = await cursor.fetchone()
    if row is None:
        raise sqlite3.IntegrityError("the account upsert returned no row")
    for statement, values in _rows(p, row[0], moment):
        await connection.execute(_sqlite(statement), values)


def sqlite_three_statements(connection: aiosqlite.Connection) -> Post:
    async def post(p: Posting) -> None:
        await connection.execute("BEGIN IMMEDIATE")
        try:
            await _sqlite_rows(connection, p)
        except BaseException:
            await connection.execute("ROLLBACK")
            raise
        await connection.execute("COMMIT")

    return post


def sqlite_shared(connection: aiosqlite.Connection, lock: asyncio.Lock) -> Post:
    """Every task through one connection, one transaction at a time: SQLite has one
    writer anyway, and this spares the lock waits of many connections."""
    post = sqlite_three_statements(connection)

    async def serialized(p: Posting) -> None:
        async with lock:
            await post(p)

    return serialized


async def sqlite_connect(path: str) -> aiosqlite.Connection:
    """A connection configured as the application configures its own (loyalty.db)."""
    connection = await aiosqlite.connect(path, timeout=30.0, isolation_level=None)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
        await connection.execute(f"PRAGMA {pragma}")
    await connection.execute("PRAGMA busy_timeout=30000")
    return connection


@asynccontextmanager
async def sqlite_connections(url: str, count: int) -> AsyncIterator[list[aiosqlite.Connection]]:
    path = make_url(url).database or ""
    connections = [await sqlite_connect(path) for _ in range(count)]
    try:
        yield connections
    finally:
        for connection in connections:
            await connection.close()


async def sqlite_users(connection: aiosqlite.Connection, tenant: Tenant, count: int) -> list[str]:
    moment = _sqlite_time(datetime.now(UTC))
    rows = [
        (new_id(), tenant.organization_id, tenant.website_id, f"driver-{n}", moment)
        for n in range(count)
    ]
    await connection.executemany(_sqlite(USER), rows)
    return [row[0] for row in rows]


# --- the run -------------------------------------------------------------------------


async def _task(post: Post, source: Iterator[Posting], deadline: float, tally: Tally) -> None:
    while time.perf_counter() < deadline:
        posting = next(source)
        started = time.perf_counter()
        try:
            await post(posting)
        except (asyncpg.PostgresError, sqlite3.Error, OSError) as exc:
            tally.fail(f"{type(exc).__name__}: {exc}")
            continue
        tally.succeed(time.perf_counter() - started, 1, 1, 0)


async def drive(posts: list[Post], source: Iterator[Posting], seconds: float) -> Tally:
    """One task per ``posts`` item, each writing postings back to back for ``seconds``."""
    tally = Tally()
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(_task(post, source, deadline, tally) for post in posts))
    tally.seconds = time.perf_counter() - started
    return tally


async def measured(
    posts: list[Post], source: Iterator[Posting], seconds: float
) -> tuple[Tally, CpuUse]:
    before = CpuSnapshot.take([])
    tally = await drive(posts, source, seconds)
    return tally, cpu_use(before, CpuSnapshot.take([]))


async def _variants(
    database: str,
    tenant: Tenant,
    users: list[str],
    variants: dict[str, list[Post]],
    options: Options,
) -> tuple[list[Figure], int]:
    """The figures of each variant, and how many postings were committed in all."""
    figures = []
    committed = 0
    for n, (name, posts) in enumerate(variants.items()):
        source = postings(tenant, users, f"driver{n}")
        committed += (await drive(posts, source, options.warmup)).requests
        tally, cpu = await measured(posts, source, options.duration)
        committed += tally.requests
        figures.append(figure(database, name, None, len(posts), tally, cpu))
    return figures, committed


async def _postgres(url: str, tenant: Tenant, options: Options) -> tuple[list[Figure], int]:
    async with pg_pool(url, options.clients) as pool:
        users = await pg_users(pool, tenant, options.wallets)
        variants = {
            "driver, 3 statements": [pg_three_statements(pool)] * options.clients,
            "driver, 1 statement (CTE)": [pg_one_statement(pool)] * options.clients,
        }
        return await _variants("postgresql", tenant, users, variants, options)


async def _sqlite_db(url: str, tenant: Tenant, options: Options) -> tuple[list[Figure], int]:
    async with sqlite_connections(url, options.clients) as connections:
        users = await sqlite_users(connections[0], tenant, options.wallets)
        shared = sqlite_shared(connections[0], asyncio.Lock())
        variants = {
            "driver, 3 statements": [sqlite_three_statements(c) for c in connections],
            "driver, 3 statements, 1 conn": [shared] * options.clients,
        }
        return await _variants("sqlite", tenant, users, variants, options)


async def ceiling(
    database: str, url: str, tenant: Tenant, options: Options
) -> tuple[list[Figure], int]:
    """The driver figures of the database, and how many postings they committed."""
    if database == "sqlite":
        return await _sqlite_db(url, tenant, options)
    return await _postgres(url, tenant, options)
