"""Events (``POST /api/loyalty/events``): facts the customer's backend reports, and the
rules they trigger.

A batch is written with one multi-row ``INSERT ... ON CONFLICT DO NOTHING RETURNING``: an
event id the website has seen before (or that a concurrent request is inserting) is not
returned, and only the transaction that inserted an event processes it, so a re-delivered
batch, or the same batch sent twice at once, pays once.

Each new event is matched against the website's live external rules whose
``metadata.trigger`` names it. A rule that tracks progress advances (by one, or by the
number in the data field ``progressFrom``), which never rewards by itself; any other rule is
completed through the earning pipeline, all the batch's completions at once; no
completion request is recorded for them (the event's row, unique per website, already makes
each happen once, and the answer lists what each event earned). One event's refusal (a
once-rule already completed, a blocked user) is its result, not an error of the batch.

Lock order, the same in every transaction so concurrent batches never deadlock: users
created (wallets, then external identifiers, each sorted), events inserted (sorted by id),
then the rows of the users whose events are new (sorted by id) for the whole batch.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import or_, select

from loyalty.db import WriteSession, dialect_insert
from loyalty.engine import conditions, lifetime, progress
from loyalty.engine.completions import Ask, Outcome, complete_many, stateful, view_of
from loyalty.engine.conditions import Group, Scalar
from loyalty.engine.decide import tracks_user_progress
from loyalty.engine.models import Event
from loyalty.engine.verify import Claim
from loyalty.errors import FieldError, raise_if_any
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.ledger.amounts import from_units
from loyalty.ledger.currencies import currency_terms
from loyalty.rules.models import Rule
from loyalty.tenancy.models import Website
from loyalty.users import repository as users_repository
from loyalty.users.models import User
from loyalty.users.service import ids_for_wallets

EXTERNAL_RULE = "external_rule"


@dataclass(frozen=True)
class EventIn:
    """One event as sent (checked by the API): exactly one of ``user_id``, ``wallet``
    (normalised) and ``external_id`` names its user."""

    id: str
    name: str
    timestamp: datetime
    data: Mapping[str, Scalar] = field(default_factory=dict)
    user_id: str | None = None
    wallet: str | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class Earned:
    """What one rule did with one event."""

    rule_id: str
    status: Literal["completed", "failed", "progressed"]
    amount: int | float | None = None
    message: str | None = None
    progress: int | None = None


@dataclass(frozen=True)
class EventResult:
    id: str
    status: Literal["processed", "duplicate"]
    earned: list[Earned] = field(default_factory=list)


@dataclass(frozen=True)
class Trigger:
    """A rule's ``metadata.trigger`` as the engine reads it."""

    event: str
    conditions: Group | None
    progress_from: str | None


@dataclass(frozen=True)
class Triggered:
    rule: Rule
    trigger: Trigger
    tracks_progress: bool


def trigger_of(definition: Mapping[str, Any]) -> Trigger | None:
    """The rule's trigger, or None when it has none (or one that does not read)."""
    metadata = definition.get("metadata")
    raw = metadata.get("trigger") if isinstance(metadata, Mapping) else None
    if not isinstance(raw, Mapping) or not isinstance(raw.get("event"), str):
        return None
    group, problems = conditions.parse(raw.get("conditions"))
    if problems:
        return None
    source = raw.get("progressFrom")
    return Trigger(raw["event"], group, source if isinstance(source, str) else None)


def progress_step(trigger: Trigger, data: Mapping[str, Scalar]) -> int | str:
    """By how much an event advances a progress rule, or why it cannot."""
    if trigger.progress_from is None:
        return 1
    name = trigger.progress_from
    value = data.get(name)
    if value is None:
        return f"data.{name} is missing: it gives the progress to add"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"data.{name} must be a number: it gives the progress to add"
    if isinstance(value, float) and not value.is_integer():
        return f"data.{name} must be a whole number: progress counts in whole steps"
    return int(value)


# ---------------------------------------------------------------------------- IO


async def ingest(
    session: WriteSession, website: Website, events: Sequence[EventIn]
) -> list[EventResult]:
    """Record the batch and apply the new events to the rules they trigger; a result per
    event, in the order sent. An id seen before (in an earlier batch, or earlier in this
    one) is a duplicate and changes nothing."""
    users = await _users(session, website, events)
    first: dict[str, int] = {}
    for index, event in enumerate(events):
        first.setdefault(event.id, index)
    inserted = await _insert(session, website, [(events[i], users[i]) for i in first.values()])
    fresh = [i for i in first.values() if events[i].id in inserted]
    by_name = await _triggered(session, website, {events[i].name for i in fresh})
    # Only users whose events reach a rule that depends on their history are locked;
    # completions of independent rules (points, unlimited, uncapped) need no lock.
    locked_names = {
        name
        for name, items in by_name.items()
        if any(item.tracks_progress or stateful(view_of(item.rule)) for item in items)
    }
    await users_repository.lock_users(
        session, {users[i] for i in fresh if events[i].name in locked_names}
    )
    currencies = {t.rule.currency_id for rules in by_name.values() for t in rules}
    terms = await currency_terms(session, website.organization_id, None, currencies)
    decimals = {currency: found.decimals for currency, found in terms.items()}
    earned: dict[int, list[Earned | Ask]] = {}
    for index in sorted(fresh):
        event = events[index]
        earned[index] = [
            await _apply(session, item, event, users[index])
            for item in by_name.get(event.name, ())
            if conditions.matches(item.trigger.conditions, event.data)
        ]
    # Every completion of the batch through the pipeline at once, in event order.
    asks = [e for index in sorted(earned) for e in earned[index] if isinstance(e, Ask)]
    outcomes = iter(await complete_many(session, website, asks, fresh=True))
    results: dict[int, list[Earned]] = {
        index: [
            e if isinstance(e, Earned) else _completed(e, next(outcomes), decimals) for e in items
        ]
        for index, items in earned.items()
    }
    return [
        EventResult(event.id, "processed", results[index])
        if index in results
        else EventResult(event.id, "duplicate")
        for index, event in enumerate(events)
    ]


async def _users(session: WriteSession, website: Website, events: Sequence[EventIn]) -> list[str]:
    """The user of every event: a wallet or external identifier nobody has yet creates its
    user; a ``userId`` must be one of the website's (400 naming the events otherwise)."""
    named = {e.user_id for e in events if e.user_id is not None}
    known = (
        {u.id for u in await users_repository.by_ids(session, website.id, named)}
        if named
        else set()
    )
    raise_if_any(
        [
            FieldError(f"events[{index}].userId", "no such user in this website")
            for index, event in enumerate(events)
            if event.user_id is not None and event.user_id not in known
        ]
    )
    wallets = sorted({e.wallet for e in events if e.wallet is not None})
    by_wallet = (
        await ids_for_wallets(session, website.organization_id, website.id, wallets)
        if wallets
        else {}
    )
    by_external = await _ids_for_externals(
        session, website, {e.external_id for e in events if e.external_id is not None}
    )
    found = []
    for event in events:
        if event.user_id is not None:
            found.append(event.user_id)
        elif event.wallet is not None:
            found.append(by_wallet[event.wallet])
        else:
            assert event.external_id is not None
            found.append(by_external[event.external_id])
    return found


async def _ids_for_externals(
    session: WriteSession, website: Website, externals: set[str]
) -> dict[str, str]:
    """User ids by external identifier, creating users for those nobody has yet."""
    if not externals:
        return {}
    found = await _by_externals(session, website.id, externals)
    missing = sorted(externals - found.keys())
    if missing:
        moment = now()
        rows = [
            {
                "id": new_id(),
                "organization_id": website.organization_id,
                "website_id": website.id,
                "external_identifier": external,
                "state": "enrolled",
                "created_at": moment,
                "updated_at": moment,
            }
            for external in missing
        ]
        statement = dialect_insert(session)(User).on_conflict_do_nothing(
            index_elements=["website_id", "external_identifier"]
        )
        await session.execute(statement, rows)
        found |= await _by_externals(session, website.id, set(missing))
    return found


async def _by_externals(
    session: WriteSession, website_id: str, externals: set[str]
) -> dict[str, str]:
    rows = await session.execute(
        select(User.external_identifier, User.id).where(
            User.website_id == website_id, User.external_identifier.in_(sorted(externals))
        )
    )
    return {external: user_id for external, user_id in rows.tuples() if external is not None}


async def _insert(
    session: WriteSession, website: Website, events: Sequence[tuple[EventIn, str]]
) -> set[str]:
    """Insert the events in one statement; the ids of those that were new."""
    if not events:
        return set()
    moment = now()
    rows = [
        {
            "id": new_id(),
            "organization_id": website.organization_id,
            "website_id": website.id,
            "external_id": event.id,
            "name": event.name,
            "user_id": user_id,
            "occurred_at": event.timestamp,
            "data": dict(event.data),
            "created_at": moment,
        }
        for event, user_id in sorted(events, key=lambda pair: pair[0].id)
    ]
    table = Event.__table__
    statement = (
        dialect_insert(session)(table)
        .on_conflict_do_nothing(index_elements=["website_id", "external_id"])
        .returning(table.c.external_id)
    )
    # One executemany: rows go in batches of multi-row inserts, in the order given.
    connection = await session.connection()
    return set((await connection.execute(statement, rows)).scalars())


async def _triggered(
    session: WriteSession, website: Website, names: set[str]
) -> dict[str, list[Triggered]]:
    """The website's live external rules triggered by these event names, by name, in
    creation order."""
    if not names:
        return {}
    moment = now()
    rules = await session.scalars(
        select(Rule)
        .where(
            Rule.website_id == website.id,
            Rule.type == EXTERNAL_RULE,
            Rule.deleted_at.is_(None),
            or_(Rule.start_time.is_(None), Rule.start_time <= moment),
            or_(Rule.end_time.is_(None), Rule.end_time > moment),
        )
        .order_by(Rule.id)
    )
    found: dict[str, list[Triggered]] = {}
    for rule in rules:
        trigger = trigger_of(rule.definition)
        if trigger is not None and trigger.event in names:
            tracked = tracks_user_progress(rule.definition)
            found.setdefault(trigger.event, []).append(Triggered(rule, trigger, tracked))
    return found


async def _apply(
    session: WriteSession, item: Triggered, event: EventIn, user_id: str
) -> Earned | Ask:
    """Advance a progress rule now; a rule to complete becomes an ask of the batch."""
    rule = item.rule
    if item.tracks_progress:
        step = progress_step(item.trigger, event.data)
        if isinstance(step, str):
            return Earned(rule.id, "failed", message=step)
        goal = progress.target(rule.definition)
        row = await progress.update_progress(
            session, rule, user_id, inc=max(-goal, min(goal, step))
        )
        await lifetime.revoke_unmet(session, rule, user_id, row.progress)
        return Earned(rule.id, "progressed", progress=row.progress)
    # No request row: the event's own row, unique per website, makes it happen once.
    return Ask(rule, Claim(user_id=user_id), record=False)


def _completed(ask: Ask, outcome: Outcome, decimals: Mapping[str, int]) -> Earned:
    rule = ask.rule
    if outcome.refusal is not None:
        return Earned(rule.id, "failed", message=outcome.refusal.message)
    units = sum(int(paid.get("amount") or 0) for paid in outcome.paid)
    amount = from_units(units, decimals.get(rule.currency_id, 0))
    return Earned(rule.id, "completed", amount=amount)
