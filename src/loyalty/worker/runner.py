"""The worker loop. One pass approves due pending entries, expires due lots, runs due
jobs, drains the outbox and runs the periodic tasks (purges), each until nothing is due.
Every step is safe when several worker processes, on any number of nodes, run at once."""

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable

# Modules whose job handlers and outbox subscribers a worker process must know.
import loyalty.families  # noqa: F401
from loyalty.db import Database
from loyalty.kit.clock import now
from loyalty.ledger import settlement
from loyalty.worker import jobs, outbox, scheduler

log = logging.getLogger(__name__)

BATCH = 200

# Names this process in the logs of the jobs it runs.
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


async def run_once(database: Database) -> dict[str, int]:
    """Work until nothing is due; returns how many entries were approved and expired, jobs
    run, outbox messages processed, fulfilled progress rows purged and cadence rules swept."""
    done = {"approved": 0, "expired": 0, "jobs": 0, "outbox": 0, "purged": 0, "swept": 0}
    for name, step in (
        ("approved", settlement.approve_due),
        ("expired", settlement.expire_due),
    ):
        done[name] += await _repeat(database, step)
    done["jobs"] += await _until_short(
        lambda: jobs.run_due(database, limit=BATCH, worker_id=WORKER_ID)
    )
    done["outbox"] += await _until_short(lambda: outbox.drain(database, limit=BATCH))
    for name, task in scheduler.TASKS:
        done[name] = done.get(name, 0) + await _repeat(database, task)
    return done


async def _repeat(database: Database, step: scheduler.Task) -> int:
    """Run a batch step, one transaction per batch, until a batch comes back short."""

    async def batch() -> int:
        async with database.writing() as session:
            return await step(session, now(), BATCH)

    return await _until_short(batch)


async def _until_short(batch: Callable[[], Awaitable[int]]) -> int:
    total = 0
    while True:
        count = await batch()
        total += count
        if count < BATCH:
            return total


async def run_forever(database: Database, interval: float) -> None:
    while True:
        try:
            done = await run_once(database)
            if any(done.values()):
                log.info("worker pass: %s", done)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("worker pass failed")
        await asyncio.sleep(interval)
