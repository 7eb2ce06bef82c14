"""Group commit of ledger writes.

Requests to write transactions wait in a queue (``kit.groupcommit``); a runner takes
everything waiting (up to ``max_batch``) and posts it in one database transaction with
set-based statements, so the round trips and the commit are shared by the batch instead of
paid per request.
A request is answered only after its batch committed. When any member of a batch is
refused (a bad field, an overdraft, a used idempotency key) or the batch fails at all,
it is rolled back and every member is run again on its own, so each gets exactly the
answer it would get alone. Correctness still rests on the database: this only groups
work; any number of processes may run their own batchers against one database.
"""

import asyncio
from dataclasses import dataclass

from loyalty.db import Database
from loyalty.errors import LoyaltyError
from loyalty.kit.groupcommit import GroupCommit
from loyalty.ledger.currencies import CurrencyCache
from loyalty.ledger.transfers import (
    Result,
    TransferRequest,
    create_transaction,
    create_transactions,
)


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
        self._group = GroupCommit(
            self._process, name="ledger", max_batch=max_batch, runners=runners
        )
        # Batches of several requests committed together, and those run again one by one.
        self.batches_committed = 0
        self.batches_split = 0

    async def submit(self, request: TransferRequest) -> Result:
        """Post one request; returns once it is committed, or raises its refusal."""
        job = _Job(request, asyncio.get_running_loop().create_future())
        self._group.put(job)
        return await job.future

    async def close(self) -> None:
        await self._group.close()

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
