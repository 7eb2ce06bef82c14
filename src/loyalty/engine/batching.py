"""Group commit of completions, as the ledger's batcher does for transactions.

Completion requests wait in a queue (``kit.groupcommit``); a runner takes everything
waiting (up to ``max_batch``) and decides and writes it in one database transaction with
``complete_many``, which gives every ask its own outcome (a refusal is an outcome, recorded
on its request, not an error of the batch). Should the batch fail as a whole, every ask is
run again on its own, so each gets the answer it would get alone. Correctness rests on the
database (user locks, the completions' unique key): this only shares round trips and the
commit, and any number of processes may run their own batchers against one database.
"""

import asyncio
from dataclasses import dataclass

from loyalty.db import Database
from loyalty.engine.completions import Ask, Outcome, complete_many
from loyalty.engine.verify import WebsiteLike
from loyalty.kit.cache import TTLCache
from loyalty.kit.groupcommit import GroupCommit
from loyalty.rules.service import RuleCache
from loyalty.tenancy.service import WebsiteCache


@dataclass
class _Job:
    website: WebsiteLike
    ask: Ask
    future: "asyncio.Future[Outcome]"


# How long this process trusts its copies of rules and websites; the pipeline checks each
# rule's version as it writes, so a stale copy is never decided on.
LOOKUP_SECONDS = 10.0
USER_SECONDS = 600.0


class CompletionBatcher:
    def __init__(self, database: Database, *, max_batch: int = 64, runners: int = 2) -> None:
        self.database = database
        self.rules = RuleCache(LOOKUP_SECONDS)
        self.websites = WebsiteCache(LOOKUP_SECONDS)
        # User ids by (website, wallet or id): users are never deleted and a wallet always
        # names the same user, so these never go stale (a blocked user is refused by the
        # pipeline, which reads the user's state as it decides).
        self.users: TTLCache[tuple[str, str], str] = TTLCache(USER_SECONDS, 100_000)
        self._group = GroupCommit(
            self._process, name="completion", max_batch=max_batch, runners=runners
        )
        self.batches_committed = 0
        self.batches_split = 0

    async def submit(self, website: WebsiteLike, ask: Ask) -> Outcome:
        """Complete one ask; returns its outcome once committed, or raises its error."""
        job = _Job(website, ask, asyncio.get_running_loop().create_future())
        self._group.put(job)
        return await job.future

    async def close(self) -> None:
        await self._group.close()

    async def _process(self, batch: list[_Job]) -> None:
        if len(batch) == 1 or not await self._together(batch):
            for job in batch:
                await self._alone(job)

    async def _together(self, batch: list[_Job]) -> bool:
        by_website: dict[str, list[_Job]] = {}
        for job in batch:
            by_website.setdefault(job.website.id, []).append(job)
        results: list[tuple[_Job, Outcome]] = []
        try:
            async with self.database.writing() as session:
                for jobs in by_website.values():
                    outcomes = await complete_many(
                        session, jobs[0].website, [job.ask for job in jobs]
                    )
                    results += zip(jobs, outcomes, strict=True)
        except Exception:
            self.batches_split += 1
            return False
        self.batches_committed += 1
        for job, outcome in results:
            if not job.future.done():
                job.future.set_result(outcome)
        return True

    async def _alone(self, job: _Job) -> None:
        try:
            async with self.database.writing() as session:
                (outcome,) = await complete_many(session, job.website, [job.ask])
        except Exception as exc:
            if not job.future.done():
                job.future.set_exception(exc)
        else:
            if not job.future.done():
                job.future.set_result(outcome)
