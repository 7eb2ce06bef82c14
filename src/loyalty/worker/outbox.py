"""The outbox: committed facts handed to the steps that follow them.

``publish`` writes a message in the same transaction as the fact it reports, so a message
exists if and only if the fact committed. ``drain`` (run by the worker) takes unprocessed
messages in id order (creation order: ids are UUIDv7), locked with ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL so several workers share them, calls every subscriber of each
message's topic in that transaction and marks the message processed: what the
subscribers wrote and "processed" commit together.

Subscribers do database work only (they may ``enqueue`` a job for anything that calls
another system, which then gets the queue's retries). A subscriber that raises has its
message's effects rolled back (a savepoint per message) and the message left unprocessed,
to be tried again by a later drain; the other messages go on. Order holds within one
drain; across several workers, messages are handled concurrently.
"""

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import insert, select, update

from loyalty.db import Database, WriteSession
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.worker.models import OutboxMessage

log = logging.getLogger(__name__)

# Messages taken per transaction by ``drain``.
BATCH = 100

Subscriber = Callable[[WriteSession, OutboxMessage], Awaitable[None]]

_subscribers: dict[str, list[Subscriber]] = {}


def subscriber(topic: str) -> Callable[[Subscriber], Subscriber]:
    """Register ``async def f(session, message) -> None`` for messages of ``topic``;
    subscribers of a topic are called in the order they were registered."""

    def register(fn: Subscriber) -> Subscriber:
        subscribers = _subscribers.setdefault(topic, [])
        if fn not in subscribers:
            subscribers.append(fn)
        return fn

    return register


def unsubscribe(topic: str, fn: Subscriber | None = None) -> None:
    """Remove one subscriber of ``topic``, or all of them (tests)."""
    if fn is None:
        _subscribers.pop(topic, None)
        return
    subscribers = _subscribers.get(topic, [])
    if fn in subscribers:
        subscribers.remove(fn)
    if not subscribers:
        _subscribers.pop(topic, None)


def subscribers_of(topic: str) -> list[Subscriber]:
    return list(_subscribers.get(topic, ()))


async def publish(
    session: WriteSession,
    *,
    organization_id: str,
    website_id: str,
    topic: str,
    payload: dict[str, Any],
) -> OutboxMessage:
    """Add a message in the caller's transaction (written at its next flush or commit)."""
    message = OutboxMessage(
        id=new_id(),
        organization_id=organization_id,
        website_id=website_id,
        topic=topic,
        payload=dict(payload),
        created_at=now(),
        processed_at=None,
    )
    session.add(message)
    return message


async def publish_many(session: WriteSession, messages: Sequence[Mapping[str, Any]]) -> None:
    """Add several messages (``organization_id``, ``website_id``, ``topic``, ``payload``)
    in the caller's transaction with one multi-row insert."""
    if not messages:
        return
    moment = now()
    rows = [
        {
            "id": new_id(),
            "organization_id": m["organization_id"],
            "website_id": m["website_id"],
            "topic": m["topic"],
            "payload": dict(m["payload"]),
            "created_at": moment,
            "processed_at": None,
        }
        for m in messages
    ]
    connection = await session.connection()
    await connection.execute(insert(OutboxMessage), rows)


async def drain(database: Database, *, limit: int) -> int:
    """Process up to ``limit`` unprocessed messages; returns how many were processed.

    Messages whose subscriber failed stay unprocessed and are not tried again by this
    call (the next one tries them again).
    """
    processed = 0
    after: str | None = None
    while processed < limit:
        async with database.writing() as session:
            messages = await _take(session, after, min(BATCH, limit - processed))
            if not messages:
                break
            after = messages[-1].id
            for message in messages:
                if await _deliver(session, message):
                    processed += 1
    return processed


async def _take(session: WriteSession, after: str | None, limit: int) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.processed_at.is_(None))
    if after is not None:
        query = query.where(OutboxMessage.id > after)
    query = query.order_by(OutboxMessage.id).limit(limit).with_for_update(skip_locked=True)
    result = await session.execute(query.execution_options(populate_existing=True))
    return list(result.scalars().all())


async def _deliver(session: WriteSession, message: OutboxMessage) -> bool:
    """Call the topic's subscribers and mark the message processed, or roll both back."""
    try:
        async with session.begin_nested():
            for fn in subscribers_of(message.topic):
                await fn(session, message)
            connection = await session.connection()
            await connection.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message.id)
                .values(processed_at=now())
            )
    except Exception:
        log.exception("outbox message %s (%s) failed", message.id, message.topic)
        return False
    return True
