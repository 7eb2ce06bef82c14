"""Periodic work, safe when several nodes run it at once.

Each task is ``async def task(session, at, limit) -> int``: it does at most ``limit``
units of what is due at ``at`` in the caller's transaction and returns how many it did,
so the worker repeats it until it returns less than ``limit``. Tasks are set-based and
idempotent; on PostgreSQL the rows a task takes are locked with ``SKIP LOCKED``, so two
nodes running the same task take different rows instead of waiting on each other, and a
row changed meanwhile is checked again before it is touched.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from loyalty.db import WriteSession
from loyalty.engine.cadence import schedule_sweeps
from loyalty.engine.models import RuleProgress

Task = Callable[[WriteSession, datetime, int], Awaitable[int]]

# Seed 000: "After reward fulfillment (claim completion), the user's progress data is
# preserved for 6 days."
KEEP_FULFILLED_PROGRESS = timedelta(days=6)


async def purge_fulfilled_progress(session: WriteSession, at: datetime, limit: int) -> int:
    """Delete up to ``limit`` progress rows fulfilled at least 6 days before ``at``."""
    cutoff = at - KEEP_FULFILLED_PROGRESS
    due = RuleProgress.fulfilled_at <= cutoff
    batch = (
        select(RuleProgress.id)
        .where(due)
        .order_by(RuleProgress.fulfilled_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    connection = await session.connection()
    # The condition is repeated outside the batch: a row is only deleted if it is still
    # due when it is deleted.
    result = await connection.execute(
        delete(RuleProgress)
        .where(RuleProgress.id.in_(batch), due)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


# The worker's periodic tasks, by the name its report gives their counts.
TASKS: tuple[tuple[str, Task], ...] = (
    ("purged", purge_fulfilled_progress),
    ("swept", schedule_sweeps),
)
