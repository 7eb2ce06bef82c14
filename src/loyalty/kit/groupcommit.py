"""The queue and runners of group commit, shared by the ledger's and the completions'
batchers.

Requests wait in a queue; a runner takes everything waiting (up to ``max_batch``) and hands
it to ``process``, which writes it in one database transaction. Several runners overlap
their batches' round trips. A batch costs about the same whatever its size (its round
trips and commit), so a runner does not start a small batch while another runner's is in
flight: it waits, gathering requests, until it holds ``min_batch`` of them or no batch is
in flight. Without that wait, a runner freed while the other held most of the requests
started batches of one or two (a third of all batches, measured), which cost as much as
full ones and delayed everything queued behind them.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

J = TypeVar("J")

# Below this many requests a runner waits for the batch in flight rather than start one.
MIN_BATCH = 8


class GroupCommit(Generic[J]):
    def __init__(
        self,
        process: Callable[[list[J]], Awaitable[None]],
        *,
        name: str,
        max_batch: int = 64,
        runners: int = 2,
        min_batch: int = MIN_BATCH,
    ) -> None:
        self.process = process
        self.name = name
        self.max_batch = max_batch
        self.runners = runners
        self.min_batch = min(min_batch, max_batch)
        self._queue: asyncio.Queue[J] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._busy = 0
        self._changed = asyncio.Event()

    def put(self, job: J) -> None:
        """Queue a job (starting the runners on first use: they need the running loop)."""
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._run()) for _ in range(self.runners)]
        self._queue.put_nowait(job)
        self._changed.set()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def _take(self, batch: list[J]) -> None:
        while len(batch) < self.max_batch and not self._queue.empty():
            batch.append(self._queue.get_nowait())

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            self._take(batch)
            while len(batch) < self.min_batch and self._busy > 0:
                self._changed.clear()
                await self._changed.wait()
                self._take(batch)
            self._busy += 1
            try:
                await self.process(batch)
            except Exception:  # never let one batch stop the runner
                log.exception("%s batch failed", self.name)
            finally:
                self._busy -= 1
                self._changed.set()
