"""Group commit of ledger writes.

Requests to write transactions wait in a queue; a runner takes everything waiting (up to
``max_batch``) and posts it in one database transaction with set-based statements, so
the round trips and the commit are shared by the batch instead of paid per request.
A request is answered only after its batch committed. When any member of a batch is
refused (a bad field, an overdraft, a used idempotency key) or the batch fails at all,
it is rolled back and every member is run again on its own, so each gets exactly the
answer it would get alone. Correctness still rests on the database: this only groups
work; any number of processes may run their own batchers against one database.
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from loyalty.db import Database
from loyalty.errors import LoyaltyError
from loyalty.ledger.currencies import CurrencyCache
from loyalty.ledger.transfers import (
    Result,
    TransferRequest,
    create_transaction,
    create_transactions,
)

log = logging.getLogger(__name__)


@dataclass
class _Job:
    request: TransferRequest
    future: "asyncio.Future[Result]"


class _Split(Exception):
    """A member of the batch was refused: run every member on its own."""


class TransferBatcher:
    def __init__(
        self,
        database: Database,
        cache: CurrencyCache | None = None,
        *,
        max_batch: int = 64,
        runners: int = 2,
    ) -> None:
        self.database = database
        self.cache = cache
        self.max_batch = max_batch
        self.runners = runners
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        # Batches of several requests committed together, and those run again one by one.
        self.batches_committed = 0
        self.batches_split = 0

    async def submit(self, request: TransferRequest) -> Result:
        """Post one request; returns once it is committed, or raises its refusal."""
        self._start()
        job = _Job(request, asyncio.get_running_loop().create_future())
        self._queue.put_nowait(job)
        return await job.future

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def _start(self) -> None:
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._run()) for _ in range(self.runners)]

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._process(batch)
            except Exception:  # never let one batch stop the runner
                log.exception("ledger batch failed")

    async def _process(self, batch: list[_Job]) -> None:
        if len(batch) > 1 and await self._together(batch):
            return
        for job in batch:
            await self._alone(job)

    async def _together(self, batch: list[_Job]) -> bool:
        try:
            async with self.database.writing() as session:
                outcomes = await create_transactions(
                    session, [job.request for job in batch], self.cache
                )
                if any(isinstance(outcome, LoyaltyError) for outcome in outcomes):
                    raise _Split
        except Exception:
            self.batches_split += 1
            return False
        self.batches_committed += 1
        for job, outcome in zip(batch, outcomes, strict=True):
            if not job.future.done() and not isinstance(outcome, LoyaltyError):
                job.future.set_result(outcome)
        return True

    async def _alone(self, job: _Job) -> None:
        try:
            async with self.database.writing() as session:
                result = await create_transaction(session, job.request, self.cache)
        except Exception as exc:
            if not job.future.done():
                job.future.set_exception(exc)
        else:
            if not job.future.done():
                job.future.set_result(result)
