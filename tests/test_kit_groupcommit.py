"""Group commit's runners: batches as large as what waits, and no small batch started
while another is in flight."""

import asyncio

from loyalty.kit.groupcommit import GroupCommit


class Recorder:
    """A ``process`` that records each batch and holds it until released."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.release = asyncio.Event()

    async def __call__(self, batch: list[int]) -> None:
        self.batches.append(list(batch))
        await self.release.wait()
        if -1 in batch:
            raise RuntimeError("a failing batch")


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_small_batch_waits_for_the_one_in_flight_or_for_enough_jobs() -> None:
    recorder = Recorder()
    group: GroupCommit[int] = GroupCommit(recorder, name="t", runners=2, min_batch=4)
    try:
        group.put(1)
        await settle()
        assert recorder.batches == [[1]]
        group.put(2)
        group.put(3)
        await settle()
        # The second runner holds 2 and 3 and waits: fewer than 4, and a batch in flight.
        assert recorder.batches == [[1]]
        group.put(4)
        group.put(5)
        await settle()
        assert recorder.batches == [[1], [2, 3, 4, 5]]
    finally:
        recorder.release.set()
        await group.close()


async def test_a_waiting_runner_starts_when_the_batch_in_flight_ends() -> None:
    recorder = Recorder()
    group: GroupCommit[int] = GroupCommit(recorder, name="t", runners=2, min_batch=4)
    try:
        group.put(1)
        await settle()
        group.put(2)
        await settle()
        assert recorder.batches == [[1]]
        recorder.release.set()
        await settle()
        assert recorder.batches == [[1], [2]]
    finally:
        await group.close()


async def test_batches_are_capped_and_a_failure_stops_no_runner() -> None:
    recorder = Recorder()
    recorder.release.set()
    group: GroupCommit[int] = GroupCommit(recorder, name="t", max_batch=3, runners=1)
    try:
        for job in (-1, 2, 3, 4, 5):
            group.put(job)
        await settle()
        assert recorder.batches == [[-1, 2, 3], [4, 5]]
        group.put(6)
        await settle()
        assert recorder.batches[-1] == [6]
    finally:
        await group.close()
