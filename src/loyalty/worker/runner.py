"""The worker loop: one pass approves due pending entries and expires due lots."""

import asyncio
import logging

from loyalty.db import Database
from loyalty.kit.clock import now
from loyalty.ledger import settlement

log = logging.getLogger(__name__)

BATCH = 200


async def run_once(database: Database) -> dict[str, int]:
    """Work until nothing is due; returns how many entries were approved and expired."""
    done = {"approved": 0, "expired": 0}
    for name, step in (
        ("approved", settlement.approve_due),
        ("expired", settlement.expire_due),
    ):
        while True:
            async with database.writing() as session:
                count = await step(session, now(), BATCH)
            done[name] += count
            if count < BATCH:
                break
    return done


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
