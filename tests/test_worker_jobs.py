"""The worker's job queue, the outbox and the scheduled purges.

The queue and the outbox are shared by every test of the session, so each test uses its
own job kinds and topics (a unique suffix) and looks only at its own rows.
"""

import asyncio
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select, update

from loyalty.config import Settings
from loyalty.db import Database, WriteSession
from loyalty.engine.models import RuleProgress
from loyalty.kit.clock import now
from loyalty.users.service import ids_for_wallets
from loyalty.worker import jobs, outbox, scheduler
from loyalty.worker.models import Job, OutboxMessage
from loyalty.worker.runner import run_once
from tests.conftest import Clock
from tests.support import ON_POSTGRES, Tenant, create_currency, wallet

postgres_only = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="needs PostgreSQL (LOYALTY_TEST_DATABASE_URL=postgresql://...): "
    "SQLite runs one writer at a time, so there is no race to test",
)

# Enough to run everything due in the shared queue, whatever other tests left there.
ALL = 10_000


@pytest.fixture
def kind() -> Iterator[str]:
    """A job kind (or topic) of this test only; its handlers are removed afterwards."""
    name = f"test-{secrets.token_hex(4)}"
    yield name
    jobs.unregister(name)
    outbox.unsubscribe(name)


async def job(database: Database, job_id: str) -> Job:
    async with database.reading() as session:
        return (await session.execute(select(Job).where(Job.id == job_id))).scalar_one()


async def run_all(database: Database) -> int:
    return await jobs.run_due(database, limit=ALL, worker_id="test")


# ---- jobs ------------------------------------------------------------------------------


async def test_job_runs_once_and_is_done(database: Database, kind: str) -> None:
    calls: list[dict[str, Any]] = []

    @jobs.handler(kind)
    async def record(session: WriteSession, payload: dict[str, Any]) -> None:
        calls.append(payload)

    async with database.writing() as session:
        queued = await jobs.enqueue(session, kind, {"n": 1})
    assert await run_all(database) >= 1
    await run_all(database)
    assert calls == [{"n": 1}]
    done = await job(database, queued.id)
    assert (done.status, done.attempts, done.last_error) == ("done", 1, None)


async def test_job_effects_commit_with_done(database: Database, tenant: Tenant, kind: str) -> None:
    """What a handler writes commits with the job; a failed try keeps none of it."""
    fail = [True]

    @jobs.handler(kind)
    async def publish_then_maybe_fail(session: WriteSession, payload: dict[str, Any]) -> None:
        await outbox.publish(
            session,
            organization_id=tenant.organization_id,
            website_id=tenant.website_id,
            topic=kind,
            payload=payload,
        )
        await session.flush()
        if fail[0]:
            raise RuntimeError("boom")

    async with database.writing() as session:
        queued = await jobs.enqueue(session, kind, {"n": 7})
    await run_all(database)
    assert await messages_of(database, kind) == []
    failed = await job(database, queued.id)
    assert (failed.status, failed.attempts) == ("queued", 1)
    assert failed.last_error is not None and "RuntimeError: boom" in failed.last_error

    fail[0] = False
    async with database.writing() as session:
        await session.execute(update(Job).where(Job.id == queued.id).values(run_after=now()))
    await run_all(database)
    assert [m.payload for m in await messages_of(database, kind)] == [{"n": 7}]
    assert (await job(database, queued.id)).status == "done"


async def test_failing_job_backs_off_then_fails(
    database: Database, kind: str, clock: Clock
) -> None:
    tries: list[datetime] = []

    @jobs.handler(kind)
    async def broken(session: WriteSession, payload: dict[str, Any]) -> None:
        tries.append(now())
        raise ValueError(f"cannot do {payload['what']}")

    async with database.writing() as session:
        queued = await jobs.enqueue(session, kind, {"what": "it"})
    await run_all(database)
    for attempt in range(1, jobs.MAX_ATTEMPTS):
        state = await job(database, queued.id)
        assert (state.status, state.attempts) == ("queued", attempt)
        assert state.run_after == clock.now + jobs.backoff(attempt)
        assert state.last_error == "ValueError: cannot do it"
        # Not before its time ...
        clock.advance(jobs.backoff(attempt) - timedelta(seconds=1))
        await run_all(database)
        assert len(tries) == attempt
        # ... and then once.
        clock.advance(timedelta(seconds=1))
        await run_all(database)
        assert len(tries) == attempt + 1
    final = await job(database, queued.id)
    assert (final.status, final.attempts) == ("failed", jobs.MAX_ATTEMPTS)
    assert final.last_error == "ValueError: cannot do it"
    clock.advance(timedelta(days=1))
    await run_all(database)
    assert len(tries) == jobs.MAX_ATTEMPTS


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [jobs.backoff(n).total_seconds() for n in range(1, 5)] == [2, 4, 8, 16]
    assert jobs.backoff(11) == timedelta(seconds=2048)
    assert jobs.backoff(12) == jobs.backoff(100) == timedelta(hours=1)


async def test_unknown_kind_fails_the_try_clearly(database: Database, kind: str) -> None:
    async with database.writing() as session:
        queued = await jobs.enqueue(session, kind, {})
    await run_all(database)
    state = await job(database, queued.id)
    assert (state.status, state.attempts) == ("queued", 1)
    assert state.last_error is not None
    assert f"no handler is registered for job kind '{kind}'" in state.last_error


async def test_job_of_rolled_back_transaction_never_runs(database: Database, kind: str) -> None:
    calls: list[dict[str, Any]] = []

    @jobs.handler(kind)
    async def record(session: WriteSession, payload: dict[str, Any]) -> None:
        calls.append(payload)

    with pytest.raises(RuntimeError):
        async with database.writing() as session:
            await jobs.enqueue(session, kind, {"n": 1})
            await session.flush()
            raise RuntimeError("the work that asked for the job failed")
    await run_all(database)
    assert calls == []
    async with database.reading() as reader:
        count = await reader.scalar(select(func.count()).where(Job.kind == kind))
    assert count == 0


async def test_job_waits_for_run_after(database: Database, kind: str, clock: Clock) -> None:
    calls: list[dict[str, Any]] = []

    @jobs.handler(kind)
    async def record(session: WriteSession, payload: dict[str, Any]) -> None:
        calls.append(payload)

    async with database.writing() as session:
        await jobs.enqueue(session, kind, {}, run_after=clock.now + timedelta(minutes=5))
    await run_all(database)
    assert calls == []
    clock.advance(timedelta(minutes=5))
    await run_all(database)
    assert calls == [{}]


def test_a_kind_has_one_handler(kind: str) -> None:
    async def one(session: WriteSession, payload: dict[str, Any]) -> None:
        pass

    async def other(session: WriteSession, payload: dict[str, Any]) -> None:
        pass

    jobs.handler(kind)(one)
    jobs.handler(kind)(one)  # the same function again is fine
    with pytest.raises(ValueError, match="already registered"):
        jobs.handler(kind)(other)


# ---- outbox ----------------------------------------------------------------------------


async def messages_of(database: Database, topic: str) -> list[OutboxMessage]:
    async with database.reading() as session:
        result = await session.execute(
            select(OutboxMessage).where(OutboxMessage.topic == topic).order_by(OutboxMessage.id)
        )
        return list(result.scalars().all())


async def test_outbox_calls_subscribers_once_in_order(
    database: Database, tenant: Tenant, kind: str
) -> None:
    calls: list[tuple[str, int]] = []

    @outbox.subscriber(kind)
    async def first(session: WriteSession, message: OutboxMessage) -> None:
        assert message.website_id == tenant.website_id
        calls.append(("first", message.payload["n"]))

    @outbox.subscriber(kind)
    async def second(session: WriteSession, message: OutboxMessage) -> None:
        calls.append(("second", message.payload["n"]))

    async with database.writing() as session:
        for n in range(3):
            await outbox.publish(
                session,
                organization_id=tenant.organization_id,
                website_id=tenant.website_id,
                topic=kind,
                payload={"n": n},
            )
    assert await outbox.drain(database, limit=ALL) >= 3
    await outbox.drain(database, limit=ALL)
    assert calls == [(name, n) for n in range(3) for name in ("first", "second")]
    assert all(m.processed_at is not None for m in await messages_of(database, kind))


async def test_outbox_without_subscriber_is_marked_processed(
    database: Database, tenant: Tenant, kind: str
) -> None:
    async with database.writing() as session:
        await outbox.publish(
            session,
            organization_id=tenant.organization_id,
            website_id=tenant.website_id,
            topic=kind,
            payload={},
        )
    await outbox.drain(database, limit=ALL)
    [message] = await messages_of(database, kind)
    assert message.processed_at is not None


async def test_outbox_failure_keeps_the_message_and_goes_on(
    database: Database, tenant: Tenant, kind: str
) -> None:
    calls: list[int] = []
    broken = [True]

    @outbox.subscriber(kind)
    async def fragile(session: WriteSession, message: OutboxMessage) -> None:
        # What a subscriber wrote is rolled back with it when it fails.
        await jobs.enqueue(session, f"{kind}-follow-up", {"n": message.payload["n"]})
        await session.flush()
        if message.payload["n"] == 1 and broken[0]:
            raise RuntimeError("not now")
        calls.append(message.payload["n"])

    async with database.writing() as session:
        for n in range(3):
            await outbox.publish(
                session,
                organization_id=tenant.organization_id,
                website_id=tenant.website_id,
                topic=kind,
                payload={"n": n},
            )
    await outbox.drain(database, limit=ALL)
    assert calls == [0, 2]
    assert [m.processed_at is not None for m in await messages_of(database, kind)] == [
        True,
        False,
        True,
    ]
    async with database.reading() as reader:
        follow_ups = (
            await reader.execute(select(Job.payload).where(Job.kind == f"{kind}-follow-up"))
        ).scalars()
        assert sorted(p["n"] for p in follow_ups) == [0, 2]
    broken[0] = False
    await outbox.drain(database, limit=ALL)
    assert calls == [0, 2, 1]
    assert all(m.processed_at is not None for m in await messages_of(database, kind))
    async with database.writing() as session:
        # Leave nothing behind for other tests' queue runs.
        await session.execute(
            update(Job).where(Job.kind == f"{kind}-follow-up").values(status="done")
        )


# ---- scheduled purges ------------------------------------------------------------------


async def create_progress_rule(client: AsyncClient, tenant: Tenant) -> str:
    currency = await create_currency(client, tenant)
    body = {
        "name": "Progress",
        "type": "external_rule",
        "frequency": "none",
        "interval": "once",
        "startTime": None,
        "amount": 10,
        "loyaltyCurrencyId": currency,
        "metadata": {"trackProgress": True},
    }
    response = await client.post("/api/loyalty/rules", json=body, headers=tenant.headers)
    assert response.status_code in (200, 201), response.text
    return str(response.json()["id"])


async def create_progress(
    database: Database, tenant: Tenant, rule_id: str, fulfilled: list[datetime | None]
) -> list[str]:
    """One progress row per entry of ``fulfilled`` (each for its own user)."""
    async with database.writing() as session:
        wallets = [wallet(10_000 + n) for n in range(len(fulfilled))]
        users = await ids_for_wallets(session, tenant.organization_id, tenant.website_id, wallets)
        rows = [
            RuleProgress(
                organization_id=tenant.organization_id,
                website_id=tenant.website_id,
                rule_id=rule_id,
                user_id=users[address],
                progress=100,
                fulfilled_at=at,
            )
            for address, at in zip(wallets, fulfilled, strict=True)
        ]
        session.add_all(rows)
        await session.flush()
        return [row.id for row in rows]


async def progress_left(database: Database, ids: list[str]) -> set[str]:
    async with database.reading() as session:
        found = await session.execute(select(RuleProgress.id).where(RuleProgress.id.in_(ids)))
        return set(found.scalars())


async def test_purge_deletes_progress_fulfilled_six_days_ago(
    client: AsyncClient, tenant: Tenant, database: Database, clock: Clock
) -> None:
    rule = await create_progress_rule(client, tenant)
    days = [None, 0, 1, 5, 6, 7, 30]
    ids = await create_progress(
        database,
        tenant,
        rule,
        [None if d is None else clock.now - timedelta(days=d) for d in days],
    )
    kept = {row_id for row_id, d in zip(ids, days, strict=True) if d is None or d < 6}
    purged = 0
    while True:  # in batches of 1, to see the batching end
        async with database.writing() as session:
            count = await scheduler.purge_fulfilled_progress(session, clock.now, 1)
        purged += count
        if count == 0:
            break
    assert purged >= 3
    assert await progress_left(database, ids) == kept
    # Idempotent: nothing more is due.
    async with database.writing() as session:
        assert await scheduler.purge_fulfilled_progress(session, clock.now, 100) == 0
    # The row fulfilled 5 days ago goes one day later.
    clock.advance(timedelta(days=1))
    async with database.writing() as session:
        assert await scheduler.purge_fulfilled_progress(session, clock.now, 100) >= 1
    assert await progress_left(database, ids) == {
        row_id for row_id, d in zip(ids, days, strict=True) if d is None or d < 5
    }


# ---- the worker pass -------------------------------------------------------------------


async def test_run_once_reports_jobs_outbox_and_purges(
    client: AsyncClient, tenant: Tenant, database: Database, kind: str, clock: Clock
) -> None:
    seen: list[str] = []

    @jobs.handler(kind)
    async def run(session: WriteSession, payload: dict[str, Any]) -> None:
        seen.append("job")

    @outbox.subscriber(kind)
    async def read(session: WriteSession, message: OutboxMessage) -> None:
        seen.append("message")

    rule = await create_progress_rule(client, tenant)
    [progress] = await create_progress(database, tenant, rule, [clock.now - timedelta(days=7)])
    async with database.writing() as session:
        await jobs.enqueue(session, kind, {})
        await outbox.publish(
            session,
            organization_id=tenant.organization_id,
            website_id=tenant.website_id,
            topic=kind,
            payload={},
        )
    done = await run_once(database)
    assert set(done) == {"approved", "expired", "jobs", "outbox", "purged", "swept"}
    assert done["jobs"] >= 1 and done["outbox"] >= 1 and done["purged"] >= 1
    assert sorted(seen) == ["job", "message"]
    assert await progress_left(database, [progress]) == set()
    await run_once(database)
    assert sorted(seen) == ["job", "message"]


# ---- several workers (PostgreSQL) ------------------------------------------------------


@pytest.fixture
async def second_database(settings: Settings) -> AsyncIterator[Database]:
    """Another connection pool on the test database, as another node would have."""
    other = Database.connect(settings.database_url, settings)
    yield other
    await other.dispose()


@postgres_only
async def test_two_workers_run_each_job_exactly_once(
    database: Database, second_database: Database, kind: str
) -> None:
    runs: list[tuple[int, str]] = []
    worker: ContextVar[str] = ContextVar("worker")

    @jobs.handler(kind)
    async def slow(session: WriteSession, payload: dict[str, Any]) -> None:
        runs.append((payload["n"], worker.get()))
        await asyncio.sleep(0.01)

    async with database.writing() as session:
        queued = [await jobs.enqueue(session, kind, {"n": n}) for n in range(50)]

    async def work(db: Database, name: str) -> int:
        worker.set(name)
        return await jobs.run_due(db, limit=ALL, worker_id=name)

    counts = await asyncio.gather(work(database, "a"), work(second_database, "b"))
    assert sum(counts) >= 50
    assert Counter(n for n, _ in runs) == Counter(range(50))
    # Both took part: the claims skip each other's locked rows instead of waiting.
    assert {name for _, name in runs} == {"a", "b"}
    async with database.reading() as reader:
        states = await reader.execute(
            select(Job.status, Job.attempts).where(Job.id.in_([j.id for j in queued]))
        )
        assert Counter(states.all()) == Counter({("done", 1): 50})


@postgres_only
async def test_two_nodes_purging_at_once_delete_each_row_once(
    client: AsyncClient,
    tenant: Tenant,
    database: Database,
    second_database: Database,
    clock: Clock,
) -> None:
    rule = await create_progress_rule(client, tenant)
    ids = await create_progress(database, tenant, rule, [clock.now - timedelta(days=7)] * 40)

    async def purge(db: Database) -> int:
        total = 0
        while True:
            async with db.writing() as session:
                count = await scheduler.purge_fulfilled_progress(session, clock.now, 5)
            total += count
            if count == 0:
                return total

    first, second = await asyncio.gather(purge(database), purge(second_database))
    assert first + second >= 40
    assert await progress_left(database, ids) == set()
