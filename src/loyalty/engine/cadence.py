"""Cadence rules: rules the system completes on its own, once every period of their
``frequency`` (``once``, ``daily``, ``weekly``, ``monthly``). ``immediately`` rules react to
triggers (a profile save) and are swept once, when they go live, for the users who were
already eligible; ``none`` is never swept.

A rule is a cadence rule when it is live, its ``claimType`` is ``auto`` and its type's
verifier has a ``sweep``: a function that says which users the rule is due for now (a
custom rewards API's answer; on-chain holders). The scheduler task ``schedule_sweeps``
enqueues one sweep job per rule and period (the ``rule_sweeps`` row makes it once, with any
number of workers); the job asks the sweep and completes the rule for every user it names
through the one earning pipeline, so the rule's ``interval``, cap and multipliers apply as
to any completion. Periods are calendar periods of the website's time zone, as intervals
are.
"""

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from loyalty.db import WriteSession, dialect_insert
from loyalty.engine import decide, periods
from loyalty.engine.completions import Ask, complete_many, view_of
from loyalty.engine.models import RuleSweep
from loyalty.engine.verify import VERIFIERS, Claim, Due
from loyalty.rules.models import Rule
from loyalty.tenancy.models import Website
from loyalty.users.identity import normalize_wallet
from loyalty.users.service import ids_for_wallets, wallets_by_ids
from loyalty.worker.jobs import enqueue, handler

SWEEP_JOB = "sweep_rule"
# The period of each swept frequency.
CADENCES = {
    "once": "once",
    "daily": "daily",
    "weekly": "weekly",
    "monthly": "monthly",
    "immediately": "once",
}
# Completions decided in one call of the pipeline while a sweep pays its users.
CHUNK = 500


def cadence_types() -> list[str]:
    return sorted(name for name, v in VERIFIERS.items() if v.sweep is not None)


async def schedule_sweeps(session: WriteSession, at: datetime, limit: int) -> int:
    """Enqueue the sweep of every cadence rule whose current period has none yet (at most
    ``limit``); returns how many were enqueued."""
    types = cadence_types()
    if not types:
        return 0
    # Run every worker pass: only the rules that are swept at all are read.
    rows = await session.execute(
        select(Rule, Website.time_zone)
        .join(Website, Website.id == Rule.website_id)
        .where(
            Rule.deleted_at.is_(None),
            Rule.type.in_(types),
            Rule.definition["claimType"].as_string() == "auto",
            Rule.definition["frequency"].as_string().in_(sorted(CADENCES)),
        )
        .order_by(Rule.id)
    )
    due: list[dict[str, object]] = []
    for rule, time_zone in rows.tuples():
        if decide.closed(view_of(rule), at) is not None:
            continue
        frequency = CADENCES[rule.definition["frequency"]]
        period = periods.period_key(frequency, at, ZoneInfo(time_zone), unique="")
        due.append({"rule_id": rule.id, "period": period, "created_at": at})
    if not due:
        return 0
    table = RuleSweep.__table__
    claimed = (
        dialect_insert(session)(table)
        .on_conflict_do_nothing()
        .returning(table.c.rule_id, table.c.period)
    )
    connection = await session.connection()
    enqueued = 0
    for start in range(0, len(due), limit):
        chunk = due[start : start + limit]
        for rule_id, period in await connection.execute(claimed, chunk):
            await enqueue(session, SWEEP_JOB, {"ruleId": rule_id, "period": period})
            enqueued += 1
        if enqueued >= limit:
            break
    return enqueued


@handler(SWEEP_JOB)
async def sweep_rule(session: WriteSession, payload: dict[str, object]) -> None:
    """Ask the rule's sweep who is due and complete the rule for each of them."""
    rule = await session.get(Rule, str(payload["ruleId"]))
    if rule is None or rule.deleted_at is not None:
        return
    verifier = VERIFIERS.get(rule.type)
    if verifier is None or verifier.sweep is None:
        return
    website = await session.get_one(Website, rule.website_id)
    found = await verifier.sweep(session, rule)
    claims = await _claims(session, website, found)
    for start in range(0, len(claims), CHUNK):
        asks = [Ask(rule, claim, record=False) for claim in claims[start : start + CHUNK]]
        await complete_many(session, website, asks, fresh=True)


async def _claims(session: WriteSession, website: Website, found: Sequence[Due]) -> list[Claim]:
    """A claim per user named (users named by a new wallet are created, as a ledger entry
    naming one does; user ids that are not the website's are left out)."""
    wallets = await ids_for_wallets(
        session,
        website.organization_id,
        website.id,
        {d.wallet_address for d in found if d.wallet_address},
    )
    known = await wallets_by_ids(session, website.id, {d.user_id for d in found if d.user_id})
    claims = []
    for d in found:
        user_id = d.user_id if d.user_id in known else wallets.get(_wallet(d.wallet_address))
        if user_id is not None:
            claims.append(Claim(user_id=user_id, amount=d.amount))
    return claims


def _wallet(address: str | None) -> str:
    return normalize_wallet(address) if address else ""
