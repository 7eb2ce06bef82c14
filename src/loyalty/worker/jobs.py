"""The job queue: work asked for in one transaction and done later by the worker.

``enqueue`` adds a job in the caller's transaction, so a job exists if and only if the
work that asked for it committed. ``run_due`` runs due jobs one at a time, each in its own
transaction that first claims the job row (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
workers on any number of nodes share the queue and never run the same job at once), then
runs its handler and marks the job done: a job's effects and its "done" commit together.

A handler that raises has its effects rolled back (a savepoint around the handler) and the
failure recorded while the row is still locked: ``attempts`` goes up, ``last_error`` keeps
the error, and the job waits ``2 ** attempts`` seconds (at most an hour) before its next
try; after ``MAX_ATTEMPTS`` tries it is ``failed`` and left alone.

Handlers hold the job's transaction while they run (on SQLite: the single writer), so
they keep it short and write through the session they are given (opening another write
transaction would wait on their own on SQLite). An unknown kind counts as a failed try,
not a permanent failure, so a node still running older code during a rolling deploy does
not fail jobs that a newer node can run. ``worker_id`` only names the worker in the logs.
"""

import logging
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from loyalty.db import Database, WriteSession
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.worker.models import Job

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
MAX_BACKOFF = timedelta(hours=1)
# How much of an error's text is kept on the job.
ERROR_CHARS = 4000

Handler = Callable[[WriteSession, dict[str, Any]], Awaitable[None]]

_handlers: dict[str, Handler] = {}


class UnknownJobKind(LookupError):
    """No handler is registered for a job's kind (in this process)."""


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register ``async def f(session, payload) -> None`` as the handler of ``kind``."""

    def register(fn: Handler) -> Handler:
        existing = _handlers.get(kind)
        if existing is not None and existing is not fn:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        _handlers[kind] = fn
        return fn

    return register


def unregister(kind: str) -> None:
    """Forget the handler of ``kind`` (tests)."""
    _handlers.pop(kind, None)


def registered(kind: str) -> Handler | None:
    return _handlers.get(kind)


async def enqueue(
    session: WriteSession,
    kind: str,
    payload: dict[str, Any],
    *,
    run_after: datetime | None = None,
) -> Job:
    """Add a job in the caller's transaction; it becomes due at ``run_after`` (now if None).

    The job is written with the transaction's next flush or its commit.
    """
    moment = now()
    job = Job(
        id=new_id(),
        kind=kind,
        payload=dict(payload),
        status="queued",
        run_after=run_after or moment,
        attempts=0,
        last_error=None,
        created_at=moment,
        updated_at=moment,
    )
    session.add(job)
    return job


def backoff(attempts: int) -> timedelta:
    """How long a job waits after its ``attempts``-th failed try."""
    if attempts >= 12:  # 2 ** 12 s is over the cap already; avoid huge powers
        return MAX_BACKOFF
    return min(timedelta(seconds=2**attempts), MAX_BACKOFF)


async def run_due(database: Database, *, limit: int, worker_id: str) -> int:
    """Run up to ``limit`` due jobs, one transaction each; returns how many were run
    (whether they succeeded or failed)."""
    count = 0
    while count < limit:
        if not await _run_next(database, worker_id):
            break
        count += 1
    return count


@dataclass(frozen=True)
class _Claim:
    id: str
    kind: str
    attempts: int


async def _run_next(database: Database, worker_id: str) -> bool:
    """Claim one due job and run it; False when none is due (or all are claimed)."""
    claim: _Claim | None = None
    try:
        async with database.writing() as session:
            claimed = await _claim_one(session, now())
            if claimed is None:
                return False
            claim, payload = claimed
            fn = _handlers.get(claim.kind)
            try:
                if fn is None:
                    raise UnknownJobKind(f"no handler is registered for job kind {claim.kind!r}")
                async with session.begin_nested():
                    await fn(session, payload)
            except Exception as exc:
                log.warning("job %s (%s) failed on %s: %s", claim.id, claim.kind, worker_id, exc)
                await _record_failure(session, claim, _describe(exc))
            else:
                await _mark_done(session, claim)
                log.debug("job %s (%s) done on %s", claim.id, claim.kind, worker_id)
    except Exception as exc:
        if claim is None:
            raise
        # The job's transaction itself failed (its commit, or the connection): nothing of
        # it was kept, so record the failed try in a transaction of its own.
        log.exception("job %s (%s) transaction failed on %s", claim.id, claim.kind, worker_id)
        async with database.writing() as session:
            await _record_failure(session, claim, _describe(exc))
    return True


async def _claim_one(session: WriteSession, at: datetime) -> tuple[_Claim, dict[str, Any]] | None:
    """Lock the next due job nobody holds (the lock lasts until the transaction ends)."""
    connection = await session.connection()
    row = (
        await connection.execute(
            select(Job.id, Job.kind, Job.payload, Job.attempts)
            .where(Job.status == "queued", Job.run_after <= at)
            .order_by(Job.run_after, Job.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
    ).first()
    if row is None:
        return None
    return _Claim(row.id, row.kind, row.attempts), dict(row.payload or {})


async def _mark_done(session: WriteSession, claim: _Claim) -> None:
    connection = await session.connection()
    await connection.execute(
        update(Job)
        .where(Job.id == claim.id)
        .values(status="done", attempts=claim.attempts + 1, last_error=None, updated_at=now())
    )


async def _record_failure(session: WriteSession, claim: _Claim, error: str) -> None:
    """Count the failed try: retried after a backoff, or ``failed`` after the last one.
    Only the try that was claimed is counted (a no-op if the job moved on meanwhile)."""
    moment = now()
    attempts = claim.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "last_error": error, "updated_at": moment}
    if attempts >= MAX_ATTEMPTS:
        values["status"] = "failed"
        log.error("job %s (%s) failed for good after %d tries", claim.id, claim.kind, attempts)
    else:
        values["run_after"] = moment + backoff(attempts)
    connection = await session.connection()
    await connection.execute(
        update(Job)
        .where(Job.id == claim.id, Job.status == "queued", Job.attempts == claim.attempts)
        .values(**values)
    )


def _describe(exc: BaseException) -> str:
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return text[:ERROR_CHARS]
