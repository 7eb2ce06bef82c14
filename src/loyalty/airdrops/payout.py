"""Paying an airdrop, one batch of lines per worker job, through the earning pipeline.

Each batch is one transaction: the airdrop row is locked (its jobs run one at a time),
its next pending lines are locked and paid by ``complete_many``, and the lines, the
counters and the job of the next batch are written with the completions. A crash loses
at most the batch in flight, which is then paid by the job that is still queued. Nothing
pays twice: a line's completion request carries the key ``airdrop:<line id>`` (a batch
run again answers the first outcome), and the rule completes once per user (the
completions' unique key), so a user another airdrop of the rule paid is reported, not paid.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from loyalty.airdrops import service, window
from loyalty.airdrops.models import Airdrop, AirdropLine
from loyalty.db import WriteSession
from loyalty.engine.completions import Ask, Outcome, complete_many
from loyalty.engine.models import Completion
from loyalty.engine.verify import Claim
from loyalty.errors import LoyaltyError
from loyalty.kit.clock import now
from loyalty.rules.service import RuleSnapshot, live_rules
from loyalty.tenancy.models import Website
from loyalty.users.service import ids_for_wallets
from loyalty.worker.jobs import enqueue

DEFAULT_BATCH = 500
ENDED = ("airdrop_ended", "The airdrop ended before this line was paid")


async def pay_next_batch(session: WriteSession, airdrop_id: str) -> None:
    """Pay the airdrop's next batch, or wait for its start, or end it."""
    airdrop = await service.locked_airdrop(session, airdrop_id)
    if airdrop is None or airdrop.state not in service.LIVE or airdrop.parsed_at is None:
        return
    rule = (await live_rules(session, [airdrop.rule_id])).get(airdrop.rule_id)
    if rule is None:
        await service.end_for_deleted_rule(session, airdrop)
        return
    opens, closes = window.opens_at(rule.definition), window.closes_at(rule.definition)
    moment = now()
    if opens is not None and moment < opens:
        await enqueue(session, service.PAY_JOB, {"airdropId": airdrop.id}, run_after=opens)
        return
    if closes is not None and moment >= closes:
        ended = "The airdrop ended before every line was paid"
        await service.finish(session, airdrop, "completed", ended, ENDED)
        return
    size = batch_size(rule.definition)
    lines = await _pending_lines(session, airdrop.id, size + 1)
    if lines:
        _processing(airdrop)
        await _pay(session, airdrop, rule, lines[:size])
    if airdrop.state not in service.LIVE:
        return  # the batch could not be paid, which ended the airdrop
    if len(lines) > size:
        await enqueue(session, service.PAY_JOB, {"airdropId": airdrop.id})
    else:
        await service.finish(session, airdrop, "completed")


def batch_size(definition: dict[str, Any]) -> int:
    metadata = definition.get("metadata") or {}
    if metadata.get("rewardByBatch") and metadata.get("batchSize"):
        return int(metadata["batchSize"])
    return DEFAULT_BATCH


def _processing(airdrop: Airdrop) -> None:
    airdrop.state = "processing"
    airdrop.message = None
    airdrop.started_at = airdrop.started_at or now()
    airdrop.updated_at = now()


async def _pending_lines(session: WriteSession, airdrop_id: str, limit: int) -> list[AirdropLine]:
    rows = await session.scalars(
        select(AirdropLine)
        .where(AirdropLine.airdrop_id == airdrop_id, AirdropLine.state == "pending")
        .order_by(AirdropLine.line)
        .limit(limit)
        .with_for_update()
    )
    return list(rows)


async def _pay(
    session: WriteSession, airdrop: Airdrop, rule: RuleSnapshot, lines: Sequence[AirdropLine]
) -> None:
    await _name_users(session, airdrop, lines)
    users = {line.user_id for line in lines if line.user_id is not None}
    paid_before = await _paid_users(session, rule.id, users)
    asks: list[tuple[AirdropLine, Ask]] = []
    for line in lines:
        if line.user_id in paid_before:
            _settle(airdrop, line, "already_airdropped", "This user was already paid this airdrop")
        else:
            asks.append((line, _ask(airdrop, rule, line)))
    if not asks:
        return
    website = await session.get_one(Website, airdrop.website_id)
    try:
        async with session.begin_nested():
            outcomes = await complete_many(session, website, [ask for _, ask in asks])
    except LoyaltyError as refusal:
        # The batch as a whole cannot be paid (the rule's currency was deleted): nothing
        # of it was written, and no later batch could be paid either.
        reason = (refusal.code, refusal.message)
        await service.finish(session, airdrop, "failed", refusal.message, reason)
        return
    for (line, _), outcome in zip(asks, outcomes, strict=True):
        _record(airdrop, line, outcome)


async def _name_users(
    session: WriteSession, airdrop: Airdrop, lines: Sequence[AirdropLine]
) -> None:
    """The users of the lines that name a wallet, created for wallets nobody has yet (as
    a ledger entry naming a new wallet does)."""
    wallets = {line.wallet for line in lines if line.wallet is not None}
    if not wallets:
        return
    ids = await ids_for_wallets(session, airdrop.organization_id, airdrop.website_id, wallets)
    for line in lines:
        if line.wallet is not None:
            line.user_id = ids[line.wallet]


async def _paid_users(session: WriteSession, rule_id: str, user_ids: set[str]) -> set[str]:
    rows = await session.scalars(
        select(Completion.user_id).where(
            Completion.rule_id == rule_id,
            Completion.user_id.in_(sorted(user_ids)),
            Completion.part == "",
        )
    )
    return set(rows)


def _ask(airdrop: Airdrop, rule: RuleSnapshot, line: AirdropLine) -> Ask:
    assert line.user_id is not None
    claim = Claim(user_id=line.user_id, verification_code=line.id, amount=line.amount)
    request = {"airdropId": airdrop.id, "airdropLine": line.line}
    return Ask(rule, claim, f"airdrop:{line.id}", request)


def _record(airdrop: Airdrop, line: AirdropLine, outcome: Outcome) -> None:
    line.request_id = outcome.request_id
    if outcome.refusal is None:
        line.state = "paid"
        line.updated_at = now()
        airdrop.rows_paid += 1
    else:
        _settle(airdrop, line, outcome.refusal.code, outcome.refusal.message)


def _settle(airdrop: Airdrop, line: AirdropLine, code: str, message: str) -> None:
    line.state, line.code, line.message = "failed", code, message
    line.updated_at = now()
    airdrop.rows_failed += 1
