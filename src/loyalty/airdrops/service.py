"""Airdrop use cases: an airdrop per CSV of a points_airdrop rule (uploaded, or read from
``loyaltyUserAllotmentCsvUrl`` by the worker whenever a rule is created with a URL or its
URL changes), its lines stored as read, its status, and its end when the rule is deleted.
Paying the lines is ``payout.py``'s, in worker jobs."""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from loyalty.airdrops import csvfile, window
from loyalty.airdrops.models import Airdrop, AirdropLine
from loyalty.db import ReadSession, WriteSession
from loyalty.errors import BusinessRefusal, FieldError, NotFound, ValidationFailed
from loyalty.kit.clock import now
from loyalty.kit.csvtext import FileProblem
from loyalty.kit.ids import new_id
from loyalty.ledger.currencies import currency_terms
from loyalty.rules.models import Rule
from loyalty.rules.service import on_rule_saved, rule_for
from loyalty.tenancy.principal import Principal
from loyalty.users.service import wallets_by_ids
from loyalty.worker.jobs import enqueue

TYPE = "points_airdrop"
URL = "loyaltyUserAllotmentCsvUrl"
FETCH_JOB = "airdrop_fetch"
PAY_JOB = "airdrop_pay"
LIVE = ("pending", "processing")
# Reads of the URL before the airdrop fails, and the wait before the second one.
FETCH_TRIES = 3
FETCH_RETRY = timedelta(seconds=30)
RULE_DELETED = "The rule was deleted"


class NotAnAirdropRule(BusinessRefusal):
    code = "not_an_airdrop_rule"


class AirdropEnded(BusinessRefusal):
    code = "airdrop_ended"


class AirdropNotFound(NotFound):
    code = "airdrop_not_found"


class CurrencyGone(BusinessRefusal):
    code = "currency_not_found"


async def airdrop_rule(session: ReadSession, principal: Principal, rule_id: str) -> Rule:
    """A points_airdrop rule of the key's (404 for no rule, 422 for another type)."""
    rule = await rule_for(session, principal, rule_id)
    if rule.type != TYPE:
        raise NotAnAirdropRule(f"This is a {rule.type} rule: only points_airdrop rules airdrop")
    return rule


async def upload(session: WriteSession, rule: Rule, data: bytes) -> Airdrop:
    """A new airdrop of the rule from an uploaded CSV: read now (400 naming ``file`` when
    the file as a whole is unreadable), paid by the worker."""
    closes = window.closes_at(rule.definition)
    if closes is not None and now() >= closes:
        raise AirdropEnded("This airdrop has ended: nothing more can be paid")
    try:
        rows = await parse_for(session, rule, csvfile.decode(data))
    except FileProblem as problem:
        raise ValidationFailed([FieldError("file", f"the CSV {problem}")]) from problem
    airdrop = _new_airdrop(rule, "upload", None)
    session.add(airdrop)
    await session.flush()
    await store_lines(session, airdrop, rule.definition, rows)
    return airdrop


async def parse_for(session: ReadSession, rule: Rule, text: str) -> list[csvfile.Row]:
    """The lines of a CSV for this rule: amounts in its currency's decimals, required
    unless the rule rewards a badge."""
    terms = await currency_terms(session, rule.organization_id, None, [rule.currency_id])
    if rule.currency_id not in terms:
        raise CurrencyGone("The rule's currency no longer exists")
    points = (rule.definition.get("rewardType") or "points") == "points"
    return csvfile.parse(text, decimals=terms[rule.currency_id].decimals, amount_required=points)


def _new_airdrop(rule: Rule, source: str, url: str | None) -> Airdrop:
    moment = now()
    return Airdrop(
        id=new_id(),
        organization_id=rule.organization_id,
        website_id=rule.website_id,
        rule_id=rule.id,
        source=source,
        csv_url=url,
        state="pending",
        fetch_attempts=0,
        rows_total=0,
        rows_paid=0,
        rows_failed=0,
        created_at=moment,
        updated_at=moment,
    )


async def store_lines(
    session: WriteSession,
    airdrop: Airdrop,
    definition: Mapping[str, Any],
    rows: Sequence[csvfile.Row],
) -> None:
    """Keep the lines (a user id naming nobody of the website is a bad line) and schedule
    the first payment at the airdrop's start."""
    named = {row.user_id for row in rows if row.user_id}
    known = set(await wallets_by_ids(session, airdrop.website_id, named))
    moment = now()
    values = [_line(airdrop, row, known, moment) for row in rows]
    await session.execute(insert(AirdropLine), values)
    airdrop.rows_total = len(values)
    airdrop.rows_failed = sum(1 for v in values if v["state"] == "failed")
    airdrop.parsed_at = airdrop.updated_at = moment
    await schedule_payment(session, airdrop, definition)


def _line(airdrop: Airdrop, row: csvfile.Row, known: set[str], moment: datetime) -> dict[str, Any]:
    code, message = row.code, row.message
    if code is None and row.user_id is not None and row.user_id not in known:
        code, message = "user_not_found", "userId names no user of this website"
    return {
        "id": new_id(),
        "airdrop_id": airdrop.id,
        "website_id": airdrop.website_id,
        "line": row.line,
        "wallet": row.wallet,
        "user_id": row.user_id,
        "amount": row.amount,
        "state": "pending" if code is None else "failed",
        "code": code,
        "message": message,
        "updated_at": moment,
    }


async def schedule_payment(
    session: WriteSession, airdrop: Airdrop, definition: Mapping[str, Any]
) -> None:
    """A payment job at the airdrop's start (now when it has started)."""
    opens = window.opens_at(definition)
    run_after = opens if opens is not None and opens > now() else None
    await enqueue(session, PAY_JOB, {"airdropId": airdrop.id}, run_after=run_after)


async def fetch_failed(session: WriteSession, airdrop: Airdrop, reason: str) -> None:
    """Try the URL again later, or fail the airdrop after the last try."""
    airdrop.fetch_attempts += 1
    airdrop.updated_at = now()
    if airdrop.fetch_attempts >= FETCH_TRIES:
        await finish(session, airdrop, "failed", reason)
        return
    airdrop.message = f"{reason}; it will be read again"
    wait = FETCH_RETRY * 2 ** (airdrop.fetch_attempts - 1)
    await enqueue(session, FETCH_JOB, {"airdropId": airdrop.id}, run_after=now() + wait)


async def finish(
    session: WriteSession,
    airdrop: Airdrop,
    state: str,
    message: str | None = None,
    lines: tuple[str, str] | None = None,
) -> None:
    """End the airdrop; its lines still pending fail with ``lines`` (code, message)."""
    if lines is not None:
        await fail_pending(session, airdrop, *lines)
    airdrop.state = state
    airdrop.message = message
    airdrop.completed_at = airdrop.updated_at = now()


async def end_for_deleted_rule(session: WriteSession, airdrop: Airdrop) -> None:
    await finish(session, airdrop, "failed", RULE_DELETED, ("rule_deleted", RULE_DELETED))


async def fail_pending(session: WriteSession, airdrop: Airdrop, code: str, message: str) -> None:
    result = await session.execute(
        update(AirdropLine)
        .where(AirdropLine.airdrop_id == airdrop.id, AirdropLine.state == "pending")
        .values(state="failed", code=code, message=message, updated_at=now())
        .execution_options(synchronize_session=False)
    )
    airdrop.rows_failed += int(getattr(result, "rowcount", 0) or 0)


async def locked_airdrop(session: WriteSession, airdrop_id: str) -> Airdrop | None:
    """The airdrop, locked until the transaction ends: its jobs run one at a time."""
    query = select(Airdrop).where(Airdrop.id == airdrop_id).with_for_update()
    found: Airdrop | None = (await session.scalars(query)).first()
    return found


async def _live_airdrops(session: WriteSession, rule_id: str) -> Sequence[Airdrop]:
    return (
        await session.scalars(
            select(Airdrop)
            .where(Airdrop.rule_id == rule_id, Airdrop.state.in_(LIVE))
            .order_by(Airdrop.id)
            .with_for_update()
        )
    ).all()


@on_rule_saved
async def _rule_saved(
    session: WriteSession, rule: Rule, action: str, previous: dict[str, Any] | None
) -> None:
    """A new URL starts an airdrop (replacing one of the old URL not paying yet); new
    times reschedule the airdrops waiting; a deleted rule ends its airdrops."""
    if rule.type != TYPE:
        return
    if action == "delete":
        for airdrop in await _live_airdrops(session, rule.id):
            await end_for_deleted_rule(session, airdrop)
        return
    url = rule.definition.get(URL)
    if url and (previous is None or previous.get(URL) != url):
        await _replace_url_airdrops(session, rule.id)
        airdrop = _new_airdrop(rule, "url", url)
        session.add(airdrop)
        await session.flush()
        await enqueue(session, FETCH_JOB, {"airdropId": airdrop.id})
    elif window.timing_changed(previous, rule.definition):
        for airdrop in await _live_airdrops(session, rule.id):
            if airdrop.parsed_at is not None:
                await schedule_payment(session, airdrop, rule.definition)


async def _replace_url_airdrops(session: WriteSession, rule_id: str) -> None:
    for airdrop in await _live_airdrops(session, rule_id):
        if airdrop.source == "url" and airdrop.state == "pending":
            message = "Replaced by a new loyaltyUserAllotmentCsvUrl"
            await finish(session, airdrop, "failed", message, ("airdrop_replaced", message))


async def latest_airdrop(session: ReadSession, rule: Rule) -> Airdrop:
    found = await session.scalar(
        select(Airdrop).where(Airdrop.rule_id == rule.id).order_by(Airdrop.id.desc()).limit(1)
    )
    if found is None:
        raise AirdropNotFound("This rule has no airdrop yet")
    return found


async def airdrop_of(session: ReadSession, rule: Rule, airdrop_id: str) -> Airdrop:
    found = await session.scalar(
        select(Airdrop).where(Airdrop.id == airdrop_id, Airdrop.rule_id == rule.id)
    )
    if found is None:
        raise AirdropNotFound("Airdrop not found")
    return found


async def failed_lines(
    session: ReadSession, airdrop_id: str, *, after_line: int | None, limit: int
) -> Sequence[AirdropLine]:
    """The failed lines in file order after ``after_line``, ``limit + 1`` of them."""
    query = select(AirdropLine).where(
        AirdropLine.airdrop_id == airdrop_id, AirdropLine.state == "failed"
    )
    if after_line is not None:
        query = query.where(AirdropLine.line > after_line)
    return (await session.scalars(query.order_by(AirdropLine.line).limit(limit + 1))).all()
