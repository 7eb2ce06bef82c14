"""The earning pipeline's service: a completion request goes through verify, eligibility,
reward and write in one transaction (or, when its verifier calls out, in a worker job).

Every completion of one user is serialised by a lock on the user's row, so the interval,
the cap and progress claims are decided on facts no one else is changing; the unique key
of ``completions`` (rule, user, period, part) backs this up: a rule can never pay twice for
the same period.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update

from loyalty.badges.service import award_badge
from loyalty.db import WriteSession, dialect_insert
from loyalty.engine import decide, periods
from loyalty.engine.decide import Part, Refusal, RuleView
from loyalty.engine.models import Completion, CompletionRequest, RuleProgress
from loyalty.engine.verify import VERIFIERS, Claim
from loyalty.errors import NotFound
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.ledger.currencies import CurrencyTerms, currency_terms
from loyalty.ledger.rows import Line
from loyalty.ledger.service import post_transaction
from loyalty.multipliers.service import active_factor, grant_multiplier
from loyalty.rules.models import Rule
from loyalty.tenancy.models import Website
from loyalty.users.models import User
from loyalty.users.service import UserNotFound
from loyalty.worker.jobs import enqueue, handler
from loyalty.worker.outbox import publish

QUEUED = "Completion request added to queue"
VERIFY_JOB = "verify_completion"
CAP_WORDS = {"daily": "per day", "weekly": "per week", "monthly": "per month", "lifetime": "in all"}


@dataclass
class Outcome:
    """The answer to a completion request: its row (None when nothing was recorded) and,
    when it pays nothing, why."""

    request: CompletionRequest | None
    refusal: Refusal | None = None
    verified_only: bool = False
    paid: list[dict[str, Any]] = field(default_factory=list)


async def request_completion(
    session: WriteSession,
    rule: Rule,
    website: Website,
    claim: Claim,
    *,
    idempotency_key: str | None,
    verify_only: bool,
    request: dict[str, Any],
) -> Outcome:
    view = RuleView.of(rule.id, rule.definition)
    found = VERIFIERS.get(view.type)
    if found is None:
        return Outcome(
            None,
            Refusal(
                "completion_not_supported",
                f"{view.type} rules cannot be completed through the API: no verifier is "
                "installed for them",
            ),
        )
    if idempotency_key is not None:
        earlier = await _by_key(session, website.id, idempotency_key)
        if earlier is not None:
            return _replayed(earlier)
    if verify_only:
        refusal = await _judge(session, rule, view, website, claim)
        return Outcome(None, refusal if isinstance(refusal, Refusal) else None, verified_only=True)
    row = await _insert_request(session, rule, claim.user_id, idempotency_key, request)
    if row is None:  # the same key, committed by a concurrent request meanwhile
        earlier = await _by_key(session, website.id, idempotency_key or "")
        assert earlier is not None
        return _replayed(earlier)
    if not found.local:
        row.status = "pending"
        await enqueue(session, VERIFY_JOB, {"requestId": row.id})
        return Outcome(row)
    return await settle(session, row, rule, website, claim)


def _replayed(row: CompletionRequest) -> Outcome:
    refusal = None
    if row.status == "failed":
        refusal = Refusal((row.result or {}).get("code", "failed"), row.message or "failed")
    return Outcome(row, refusal, paid=list((row.result or {}).get("paid", [])))


async def _by_key(session: WriteSession, website_id: str, key: str) -> CompletionRequest | None:
    found: CompletionRequest | None = await session.scalar(
        select(CompletionRequest).where(
            CompletionRequest.website_id == website_id, CompletionRequest.idempotency_key == key
        )
    )
    return found


async def _insert_request(
    session: WriteSession,
    rule: Rule,
    user_id: str,
    key: str | None,
    request: dict[str, Any],
) -> CompletionRequest | None:
    moment = now()
    statement = (
        dialect_insert(session)(CompletionRequest)
        .values(
            id=new_id(),
            organization_id=rule.organization_id,
            website_id=rule.website_id,
            rule_id=rule.id,
            user_id=user_id,
            status="processing",
            idempotency_key=key,
            request=request,
            created_at=moment,
            updated_at=moment,
        )
        .on_conflict_do_nothing()
        .returning(CompletionRequest.id)
    )
    inserted = (await session.execute(statement)).scalar_one_or_none()
    if inserted is None:
        return None
    return await session.get_one(CompletionRequest, inserted)


async def settle(
    session: WriteSession,
    request: CompletionRequest,
    rule: Rule,
    website: Website,
    claim: Claim,
) -> Outcome:
    """Decide and write a completion request: completed with what it paid, or failed with
    why. Nothing is paid when it fails."""
    judged = await _judge(session, rule, RuleView.of(rule.id, rule.definition), website, claim)
    moment = now()
    request.updated_at = moment
    if isinstance(judged, Refusal):
        request.status, request.message = "failed", judged.message
        request.result = {"code": judged.code}
        return Outcome(request, judged)
    paid = await _pay(session, request, rule, website, judged)
    if isinstance(paid, Refusal):
        request.status, request.message, request.result = (
            "failed",
            paid.message,
            {"code": paid.code},
        )
        return Outcome(request, paid)
    if not paid:
        refusal = Refusal("rule_already_completed", "You have already completed this rule")
        request.status, request.message, request.result = (
            "failed",
            refusal.message,
            {"code": refusal.code},
        )
        return Outcome(request, refusal)
    request.status, request.message = "completed", "Completed"
    request.fulfilled_at = moment
    request.result = {"paid": paid}
    await publish(
        session,
        organization_id=rule.organization_id,
        website_id=rule.website_id,
        topic="completion",
        payload={
            "requestId": request.id,
            "ruleId": rule.id,
            "userId": request.user_id,
            "paid": paid,
        },
    )
    return Outcome(request, paid=paid)


@dataclass(frozen=True)
class Judged:
    """A claim that passed verification and eligibility: what it pays, in which period."""

    view: RuleView
    parts: list[Part]
    period: str
    user_id: str
    progress: RuleProgress | None = None


async def _judge(
    session: WriteSession, rule: Rule, view: RuleView, website: Website, claim: Claim
) -> Judged | Refusal:
    # FOR NO KEY UPDATE: serialises this user's completions without blocking the rows that
    # merely reference the user (their foreign keys take KEY SHARE locks).
    user = await session.scalar(
        select(User).where(User.id == claim.user_id).with_for_update(key_share=True)
    )
    if user is None:
        raise UserNotFound("User not found")
    moment = now()
    if (refusal := decide.closed(view, moment)) is not None:
        return refusal
    if user.state == "blocked":
        return Refusal("user_blocked", "This user is blocked")
    verdict = await VERIFIERS[view.type].check(session, view, claim)
    if not verdict.ok:
        return Refusal(verdict.code, verdict.message)
    zone = ZoneInfo(website.time_zone)
    period = periods.period_key(
        view.interval, moment, zone, unique=new_id(), custom_days=view.custom_days
    )
    progress = None
    if view.track_progress:
        progress = await session.scalar(
            select(RuleProgress)
            .where(RuleProgress.rule_id == rule.id, RuleProgress.user_id == user.id)
            .with_for_update()
        )
        value = progress.progress if progress is not None else 0
        cycle = progress.cycle if progress is not None else 0
        period = f"{period}#c{cycle}"
        paid = set(
            await session.scalars(
                select(Completion.part).where(
                    Completion.rule_id == rule.id,
                    Completion.user_id == user.id,
                    Completion.period == period,
                )
            )
        )
        parts: list[Part] | Refusal = decide.progress_claim(view, value, paid)
    else:
        actions = int(claim.range_value) if view.per_action and claim.range_value else 1
        parts = decide.whole_rule(
            view,
            range_value=None if view.per_action else claim.range_value,
            actions=actions,
            override=claim.amount,
        )
        if not isinstance(parts, Refusal):
            done = await session.scalar(
                select(Completion.id).where(
                    Completion.rule_id == rule.id,
                    Completion.user_id == user.id,
                    Completion.period == period,
                    Completion.part == "",
                )
            )
            if done is not None:
                return _already(view)
    if isinstance(parts, Refusal):
        return parts
    return Judged(view, parts, period, user.id, progress)


def _already(view: RuleView) -> Refusal:
    when = {
        "once": "",
        "daily": " today",
        "weekly": " this week",
        "monthly": " this month",
        "custom": " in this period",
    }.get(view.interval, "")
    return Refusal("rule_already_completed", f"You have already completed this rule{when}")


async def _pay(
    session: WriteSession,
    request: CompletionRequest,
    rule: Rule,
    website: Website,
    judged: Judged,
) -> list[dict[str, Any]] | Refusal:
    view, moment = judged.view, now()
    terms = (await currency_terms(session, rule.organization_id, None, [view.currency_id])).get(
        view.currency_id
    )
    if terms is None:
        raise NotFound("The rule's currency no longer exists", code="currency_not_found")
    factor = Decimal(1)
    if view.reward_type == "points" and not view.skip_multiplier:
        factor = await active_factor(session, judged.user_id, view.currency_id)
    room = await _cap_room(session, rule, website, judged, terms, moment)
    if room == 0 and view.reward_type == "points":
        per = CAP_WORDS.get(view.max_interval or "", "")
        return Refusal("rule_limit_reached", f"The most this rule pays {per} has been earned")
    lines: list[Line] = []
    paid: list[dict[str, Any]] = []
    for part in judged.parts:
        units = 0
        if view.reward_type == "points":
            units = decide.capped(decide.points_units(part.amount, factor, terms.decimals), 0, room)
            if room is not None:
                room -= units
        completion_id = await _insert_completion(session, request, rule, judged, part, units, terms)
        if completion_id is None:
            continue  # paid meanwhile (the unique key), never twice
        record: dict[str, Any] = {"part": part.key or "rule", "amount": units}
        if units > 0:
            lines.append(
                Line(
                    judged.user_id,
                    view.currency_id,
                    "credit",
                    units,
                    f"completion:{completion_id}",
                    source="rule",
                )
            )
        if part.badge_id is not None or (view.reward_type == "badge" and view.badge_id):
            badge = part.badge_id or view.badge_id
            assert badge is not None
            await award_badge(
                session,
                organization_id=rule.organization_id,
                website_id=rule.website_id,
                badge_id=badge,
                user_id=judged.user_id,
                rule_id=rule.id,
            )
            record["badgeId"] = badge
        if view.reward_type == "multiplier":
            factor_given = part.multiplier or part.amount
            granted = await grant_multiplier(
                session,
                organization_id=rule.organization_id,
                website_id=rule.website_id,
                user_id=judged.user_id,
                factor=factor_given,
                rule_id=rule.id,
                currency_ids=list(view.multiplier_currencies)
                if view.multiplier_currencies
                else None,
                title=rule.name,
            )
            record["multiplierId"] = granted.id
        paid.append(record)
    if lines:
        posted = await post_transaction(
            session,
            organization_id=rule.organization_id,
            website_id=rule.website_id,
            description=rule.name,
            type="loyalty_rule",
            lines=lines,
            currencies={terms.id: terms},
            rule_id=rule.id,
        )
        transaction_id = posted.transaction["id"]
        await session.execute(
            update(Completion)
            .where(Completion.request_id == request.id)
            .values(transaction_id=transaction_id)
        )
    if paid and judged.progress is not None and any(r["part"] == "rule" for r in paid):
        await _fulfil(session, judged.progress, view, moment)
    return paid


async def _cap_room(
    session: WriteSession,
    rule: Rule,
    website: Website,
    judged: Judged,
    terms: CurrencyTerms,
    moment: datetime,
) -> int | None:
    """Units still allowed by maxAmountPerInterval in its window (None: no cap)."""
    view = judged.view
    if view.max_amount is None or view.max_interval is None:
        return None
    start, end = periods.window(view.max_interval, moment, ZoneInfo(website.time_zone))
    query = select(func.coalesce(func.sum(Completion.amount), 0)).where(
        Completion.rule_id == rule.id,
        Completion.user_id == judged.user_id,
        Completion.created_at < end,
    )
    if start is not None:
        query = query.where(Completion.created_at >= start)
    earned = int(await session.scalar(query) or 0)
    cap = decide.points_units(view.max_amount, Decimal(1), terms.decimals)
    return max(0, cap - earned)


async def _insert_completion(
    session: WriteSession,
    request: CompletionRequest,
    rule: Rule,
    judged: Judged,
    part: Part,
    units: int,
    terms: CurrencyTerms,
) -> str | None:
    statement = (
        dialect_insert(session)(Completion)
        .values(
            id=new_id(),
            organization_id=rule.organization_id,
            website_id=rule.website_id,
            rule_id=rule.id,
            user_id=judged.user_id,
            period=judged.period,
            part=part.key,
            amount=units,
            currency_id=terms.id,
            request_id=request.id,
            created_at=now(),
        )
        .on_conflict_do_nothing()
        .returning(Completion.id)
    )
    found: str | None = (await session.execute(statement)).scalar_one_or_none()
    return found


async def _fulfil(
    session: WriteSession, progress: RuleProgress, view: RuleView, moment: datetime
) -> None:
    """The rule completed at its target: the progress is kept 6 days (then purged by the
    worker), or removed at once with resetProgressOnClaim."""
    if view.reset_on_claim:
        await session.execute(delete(RuleProgress).where(RuleProgress.id == progress.id))
    else:
        progress.fulfilled_at = moment
        progress.updated_at = moment


@handler(VERIFY_JOB)
async def _verify_in_worker(session: WriteSession, payload: dict[str, Any]) -> None:
    """A completion whose verifier calls out, settled by the worker."""
    request = await session.scalar(
        select(CompletionRequest)
        .where(CompletionRequest.id == payload["requestId"])
        .with_for_update()
    )
    if request is None or request.status not in ("pending", "processing"):
        return
    rule = await session.get_one(Rule, request.rule_id)
    website = await session.get_one(Website, request.website_id)
    asked = request.request
    claim = Claim(
        user_id=request.user_id,
        verification_code=asked.get("verificationCode"),
        content_url=asked.get("contentUrl"),
        question_choice_id=asked.get("loyaltyQuestionChoiceId"),
        range_value=_decimal(asked.get("rangeValue")),
        amount=_decimal(asked.get("amount")),
    )
    request.status = "processing"
    await settle(session, request, rule, website, claim)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))
