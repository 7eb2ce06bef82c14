"""The earning pipeline's service: completion requests go through verify, eligibility,
reward and write, a whole batch of them in one transaction with set-based statements (a
single request is a batch of one; an events batch completes many rules at once), or, when
a verifier calls out, in a worker job.

The users of a batch are locked first (``FOR NO KEY UPDATE``, in id order), so a user's
completions are serialised and the interval, the cap and progress claims are decided on
facts nobody else is changing; rows that merely reference the user are not blocked. Within
a batch the asks are decided in order against state kept in memory (periods used, caps,
ranges paid, multipliers granted). The unique key of ``completions`` (rule, user, period,
part) backs this up: a rule can never pay twice for the same period.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, delete, func, insert, select, tuple_, update

from loyalty.badges.service import award_badge
from loyalty.db import WriteSession, dialect_insert
from loyalty.engine import chains, decide, periods
from loyalty.engine.decide import Part, Refusal, RuleView, as_decimal
from loyalty.engine.models import Completion, CompletionRequest, RuleProgress
from loyalty.engine.verify import (
    FOLLOW_UPS,
    VERIFIERS,
    Attempt,
    Claim,
    Completed,
    PaidPart,
    RuleLike,
    WebsiteLike,
    follow_ups_lock,
)
from loyalty.errors import BusinessRefusal, NotFound
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.ledger.currencies import TERMS, CurrencyTerms, currency_terms
from loyalty.ledger.rows import Line
from loyalty.ledger.service import NewTransaction, post_transactions
from loyalty.multipliers.models import Multiplier
from loyalty.multipliers.service import (
    IS_LIVE,
    Factors,
    combined_factor,
    grant_multiplier,
    live_multipliers,
)
from loyalty.rules.models import Rule
from loyalty.rules.service import live_rules, live_versions
from loyalty.tenancy.models import Website
from loyalty.users import repository as users_repository
from loyalty.users.models import User
from loyalty.users.service import UserNotFound
from loyalty.worker.jobs import enqueue, handler
from loyalty.worker.outbox import publish_many

VERIFY_JOB = "verify_completion"
CAP_WORDS = {"daily": "per day", "weekly": "per week", "monthly": "per month", "lifetime": "in all"}


# Parsed rule documents by (rule id, version): a new version is a new key, never stale.
_VIEWS: dict[tuple[str, int], RuleView] = {}
_VIEWS_MAX = 10_000


def view_of(rule: RuleLike) -> RuleView:
    key = (rule.id, rule.version)
    found = _VIEWS.get(key)
    if found is None:
        if len(_VIEWS) >= _VIEWS_MAX:
            _VIEWS.clear()
        found = _VIEWS[key] = RuleView.of(rule.id, rule.definition)
    return found


@dataclass
class Outcome:
    """The answer to one completion request: its row's id and status (None when nothing
    was recorded) and, when it pays nothing, why."""

    request_id: str | None
    status: str | None = None
    refusal: Refusal | None = None
    verified_only: bool = False
    paid: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Ask:
    """One completion to decide: a rule, a claim for a user, and how it was asked."""

    rule: RuleLike
    claim: Claim
    idempotency_key: str | None = None
    request: Mapping[str, Any] = field(default_factory=dict)
    # A request recorded earlier (pending on a verifier that calls out): settle that one.
    request_id: str | None = None
    # False: no request row (an event's completion: the event's own row, unique per
    # website, already makes it happen once).
    record: bool = True


@dataclass
class _Work:
    """An ask while it is decided and written."""

    index: int
    ask: Ask
    view: RuleView
    request_id: str = ""
    # The row exists already (an idempotency key reserved it, or the worker settles it).
    recorded: bool = False
    period: str = ""
    parts: list[Part] = field(default_factory=list)
    units: list[int] = field(default_factory=list)
    completion_ids: list[str] = field(default_factory=list)
    transaction_id: str | None = None
    progress: RuleProgress | None = None
    terms: CurrencyTerms | None = None
    refusal: Refusal | None = None
    paid: list[dict[str, Any]] = field(default_factory=list)
    attempt: Attempt | None = None

    @property
    def user_id(self) -> str:
        return self.ask.claim.user_id


async def complete_many(
    session: WriteSession,
    website: WebsiteLike,
    asks: Sequence[Ask],
    *,
    verify_only: bool = False,
    fresh: bool = False,
) -> list[Outcome]:
    """Decide and write a batch of completions of one website: an outcome per ask, in
    order. Asks are decided in order, each seeing what the ones before it paid. ``fresh``:
    the asks' rules were read in this transaction, not from a cache (no need to read them
    again)."""
    outcomes: list[Outcome | None] = [None] * len(asks)
    works: list[_Work] = []
    for index, ask in enumerate(asks):
        view = view_of(ask.rule)
        if view.type not in VERIFIERS:
            outcomes[index] = Outcome(None, refusal=_unsupported(view.type))
        else:
            works.append(
                _Work(index, ask, view, ask.request_id or new_id(), ask.request_id is not None)
            )
    if not fresh:
        await _current_rules(session, works)
    repeats: list[tuple[_Work, _Work]] = []
    if not verify_only:
        works, repeats = await _reserve_keys(session, website.id, works, outcomes)
        works = await _defer_remote(session, works, outcomes)
    lock = any(stateful(w.view) for w in works)
    if not lock and works and not verify_only:
        lock = await follow_ups_lock(session, website)
    states, factors = await _user_states(session, {w.user_id for w in works}, lock=lock)
    await _judge(session, website, works, states, factors, verify_only=verify_only)
    if verify_only:
        for w in works:
            outcomes[w.index] = Outcome(None, refusal=w.refusal, verified_only=True)
    else:
        await _write(session, works)
        await _follow_ups(session, website, works)
        for w in works:
            status = "failed" if w.refusal is not None else "completed"
            request_id = w.request_id if w.ask.record else None
            outcomes[w.index] = Outcome(request_id, status, w.refusal, paid=w.paid)
    for repeat, original in repeats:
        outcomes[repeat.index] = outcomes[original.index]
    return [o if o is not None else Outcome(None) for o in outcomes]


async def _current_rules(session: WriteSession, works: list[_Work]) -> None:
    """Every ask against its rule as it is now: a rule read from a cache may have changed
    (decided on its new version) or been deleted since (refused)."""
    versions = await live_versions(session, {w.ask.rule.id for w in works})
    changed = {
        w.ask.rule.id
        for w in works
        if versions.get(w.ask.rule.id, w.ask.rule.version) != w.ask.rule.version
    }
    current = await live_rules(session, changed) if changed else {}
    for w in works:
        rule_id = w.ask.rule.id
        if rule_id not in versions:
            w.refusal = Refusal("rule_not_found", "This loyalty rule no longer exists")
        elif rule_id in changed:
            found = current.get(rule_id)
            if found is None:  # deleted since its version was read
                w.refusal = Refusal("rule_not_found", "This loyalty rule no longer exists")
            else:
                w.ask = replace(w.ask, rule=found)
                w.view = view_of(found)


def _unsupported(kind: str) -> Refusal:
    return Refusal(
        "completion_not_supported",
        f"{kind} rules cannot be completed through the API: no verifier is installed for them",
    )


async def _reserve_keys(
    session: WriteSession, website_id: str, works: list[_Work], outcomes: list[Outcome | None]
) -> tuple[list[_Work], list[tuple[_Work, _Work]]]:
    """Record the requests that carry an idempotency key before anything else: a key used
    before (or by a concurrent request, which this insert waits for) answers the first
    request's outcome and pays nothing again. Returns the asks to decide, and the asks that
    repeat a key of this batch with the ask whose outcome they share."""
    keyed = [w for w in works if w.ask.idempotency_key is not None and not w.recorded]
    if not keyed:
        return works, []
    first: dict[str, _Work] = {}
    repeats: list[tuple[_Work, _Work]] = []
    for w in keyed:
        key = w.ask.idempotency_key or ""
        if key in first:
            repeats.append((w, first[key]))
        else:
            first[key] = w
    moment = now()
    table = CompletionRequest.__table__
    statement = (
        dialect_insert(session)(table).on_conflict_do_nothing().returning(table.c.idempotency_key)
    )
    rows = [_request_row(w, "processing", None, None, moment) for w in first.values()]
    connection = await session.connection()
    reserved = set((await connection.execute(statement, rows)).scalars())
    earlier = [key for key in first if key not in reserved]
    for row in await _requests_by_keys(session, website_id, earlier):
        outcomes[first[row.idempotency_key or ""].index] = _replayed(row)
    for key, w in first.items():
        w.recorded = key in reserved
    dropped = {first[key].index for key in earlier} | {w.index for w, _ in repeats}
    return [w for w in works if w.index not in dropped], repeats


async def _requests_by_keys(
    session: WriteSession, website_id: str, keys: Sequence[str]
) -> Sequence[CompletionRequest]:
    if not keys:
        return []
    return (
        await session.scalars(
            select(CompletionRequest).where(
                CompletionRequest.website_id == website_id,
                CompletionRequest.idempotency_key.in_(keys),
            )
        )
    ).all()


def _replayed(row: CompletionRequest) -> Outcome:
    result = row.result or {}
    refusal = None
    if row.status == "failed":
        refusal = Refusal(result.get("code", "failed"), row.message or "failed")
    return Outcome(row.id, row.status, refusal, paid=list(result.get("paid", [])))


async def _defer_remote(
    session: WriteSession, works: list[_Work], outcomes: list[Outcome | None]
) -> list[_Work]:
    """Asks whose verifier calls out are recorded as pending and left to the worker."""
    live = []
    pending_rows = []
    moment = now()
    for w in works:
        if VERIFIERS[w.view.type].local or w.ask.request_id is not None:
            live.append(w)
            continue
        if w.recorded:
            await session.execute(
                update(CompletionRequest)
                .where(CompletionRequest.id == w.request_id)
                .values(status="pending", updated_at=moment)
            )
        else:
            pending_rows.append(_request_row(w, "pending", None, None, moment))
        delay = VERIFIERS[w.view.type].delay
        await enqueue(session, VERIFY_JOB, {"requestId": w.request_id}, run_after=moment + delay)
        outcomes[w.index] = Outcome(w.request_id, "pending")
    if pending_rows:
        await session.execute(insert(CompletionRequest), pending_rows)
    return live


def stateful(view: RuleView) -> bool:
    """Whether completing the rule depends on what the user completed before (its interval,
    cap or progress) or grants something held once (a badge, a multiplier). Completions of
    other rules (points, unlimited, uncapped) are independent of one another."""
    return (
        view.interval != "unlimited"
        or view.max_amount is not None
        or view.track_progress
        or view.reward_type != "points"
    )


# Statements of the hot path, built once and run on the connection (no ORM bookkeeping).
_STATES_AND_FACTORS = (
    select(User.id, User.state, Multiplier.multiplier, Multiplier.currency_ids)
    .outerjoin(Multiplier, and_(Multiplier.user_id == User.id, IS_LIVE))
    .where(User.id.in_(bindparam("ids", expanding=True)))
)


async def _user_states(
    session: WriteSession, user_ids: set[str], *, lock: bool
) -> tuple[dict[str, str], Factors | None]:
    """The users' states and, unless ``lock``, their live multipliers, in one query. With
    ``lock``, the rows are locked as ``lock_users`` does and the multipliers are read
    afterwards, by ``_judge``: a statement that waited for a lock must not decide on what it
    read before the wait (a multiplier the lock's holder granted)."""
    if not user_ids:
        return {}, {}
    factors: Factors | None = None
    if lock:
        states = await users_repository.lock_users(session, user_ids)
    else:
        connection = await session.connection()
        rows = await connection.execute(_STATES_AND_FACTORS, {"ids": sorted(user_ids)})
        states, factors = {}, {}
        for user_id, state, factor, currency_ids in rows.tuples():
            states[user_id] = state
            found = factors.setdefault(user_id, [])
            if factor is not None:
                found.append((factor, currency_ids))
    if states.keys() != user_ids:
        raise UserNotFound("User not found")
    return states, factors


async def _judge(
    session: WriteSession,
    website: WebsiteLike,
    works: list[_Work],
    states: Mapping[str, str],
    factors: Factors | None,
    *,
    verify_only: bool,
) -> None:
    """Decide every ask in order: eligibility, verification, the parts it pays and how
    much, against the state of the database and of the asks before it."""
    if not works:
        return
    moment = now()
    zone = ZoneInfo(website.time_zone)
    for w in works:
        if w.refusal is None:
            w.refusal = decide.closed(w.view, moment)
        if w.refusal is None and states[w.user_id] == "blocked":
            w.refusal = Refusal("user_blocked", "This user is blocked")
        if w.refusal is None and not w.ask.claim.skip_chain:
            definition = w.ask.rule.definition
            if definition.get("loyaltyRuleChain"):
                unmet = await chains.unmet(session, definition, w.user_id, website.id)
                if unmet is not None:
                    w.refusal = Refusal("rule_chain_unmet", unmet)
        if w.refusal is None:
            verifier = VERIFIERS[w.view.type]
            w.attempt = Attempt(w.ask.rule, w.view, w.ask.claim, website, w.request_id, verify_only)
            verdict = await verifier.check(session, w.attempt)
            if not verdict.ok:
                w.refusal = Refusal(verdict.code, verdict.message)
                if verifier.refused is not None and not verify_only:
                    await verifier.refused(session, w.attempt, verdict)
        # A progress rule's claims share their cycle's period, however often it may be
        # earned: each range is paid once per cycle.
        unique = "" if w.view.track_progress else w.request_id
        w.period = periods.period_key(
            w.view.interval, moment, zone, unique=unique, custom_days=w.view.custom_days
        )
    live = [w for w in works if w.refusal is None]
    progress = await _progress_rows(session, [w for w in live if w.view.track_progress])
    for w in live:
        if w.view.track_progress:
            w.progress = progress.get((w.ask.rule.id, w.user_id))
            w.period = f"{w.period}#c{w.progress.cycle if w.progress else 0}"
    done = await _completed_parts(session, live)
    terms = await _terms(session, website, {w.view.currency_id for w in live})
    if factors is None:
        factors = await live_multipliers(
            session, {w.user_id for w in live if w.view.reward_type == "points"}
        )
    room = await _cap_rooms(session, live, zone, moment, terms)
    for w in live:
        _decide(w, done, terms, factors, room)


async def _progress_rows(
    session: WriteSession, works: list[_Work]
) -> dict[tuple[str, str], RuleProgress]:
    pairs = sorted({(w.ask.rule.id, w.user_id) for w in works})
    if not pairs:
        return {}
    rows = await session.scalars(
        select(RuleProgress)
        .where(tuple_(RuleProgress.rule_id, RuleProgress.user_id).in_(pairs))
        .order_by(RuleProgress.id)
        .with_for_update()
    )
    return {(r.rule_id, r.user_id): r for r in rows}


async def _completed_parts(
    session: WriteSession, works: list[_Work]
) -> dict[tuple[str, str, str], set[str]]:
    """(rule, user, period, part) of the completions already written for these asks'
    periods (an unlimited rule's period is new for every ask: nothing to look up)."""
    wanted = [w for w in works if w.view.track_progress or not w.period.startswith("u:")]
    found: dict[tuple[str, str, str], set[str]] = {}
    if not wanted:
        return found
    rows = await session.execute(
        select(Completion.rule_id, Completion.user_id, Completion.period, Completion.part).where(
            Completion.rule_id.in_(sorted({w.ask.rule.id for w in wanted})),
            Completion.user_id.in_(sorted({w.user_id for w in wanted})),
            Completion.period.in_(sorted({w.period for w in wanted})),
        )
    )
    for rule_id, user_id, period, part in rows.tuples():
        found.setdefault((rule_id, user_id, period), set()).add(part)
    return found


async def _terms(
    session: WriteSession, website: WebsiteLike, currency_ids: set[str]
) -> dict[str, CurrencyTerms]:
    found = await currency_terms(session, website.organization_id, None, currency_ids, TERMS)
    if missing := currency_ids - found.keys():
        raise NotFound(
            f"The currency {sorted(missing)[0]} no longer exists", code="currency_not_found"
        )
    return found


async def _cap_rooms(
    session: WriteSession,
    works: list[_Work],
    zone: ZoneInfo,
    moment: datetime,
    terms: Mapping[str, CurrencyTerms],
) -> dict[tuple[str, str], int]:
    """Units still allowed by each capped rule for each user in its current window."""
    capped = [w for w in works if w.view.max_amount is not None and w.view.max_interval]
    room: dict[tuple[str, str], int] = {}
    for rule_id in sorted({w.ask.rule.id for w in capped}):
        group = [w for w in capped if w.ask.rule.id == rule_id]
        view = group[0].view
        assert view.max_amount is not None and view.max_interval is not None
        start, end = periods.window(view.max_interval, moment, zone)
        query = (
            select(Completion.user_id, func.coalesce(func.sum(Completion.amount), 0))
            .where(
                Completion.rule_id == rule_id,
                Completion.user_id.in_(sorted({w.user_id for w in group})),
                Completion.created_at < end,
            )
            .group_by(Completion.user_id)
        )
        if start is not None:
            query = query.where(Completion.created_at >= start)
        earned = dict((await session.execute(query)).tuples().all())
        cap = decide.points_units(view.max_amount, Decimal(1), terms[view.currency_id].decimals)
        for w in group:
            room[(rule_id, w.user_id)] = max(0, cap - int(earned.get(w.user_id, 0)))
    return room


def _decide(
    w: _Work,
    done: dict[tuple[str, str, str], set[str]],
    terms: Mapping[str, CurrencyTerms],
    factors: Factors,
    room: dict[tuple[str, str], int],
) -> None:
    """The parts one ask pays and their units, updating the batch's state for the next."""
    rule_id, view = w.ask.rule.id, w.view
    paid = done.setdefault((rule_id, w.user_id, w.period), set())
    if view.track_progress:
        value = w.progress.progress if w.progress is not None else 0
        found: list[Part] | Refusal = decide.progress_claim(view, value, paid)
    else:
        claim = w.ask.claim
        actions = int(claim.range_value) if view.per_action and claim.range_value else 1
        found = decide.whole_rule(
            view,
            range_value=None if view.per_action else claim.range_value,
            actions=actions,
            override=claim.amount,
        )
        if not isinstance(found, Refusal) and "" in paid:
            found = _already(view)
    if isinstance(found, Refusal):
        w.refusal = found
        return
    factor = Decimal(1)
    if view.reward_type == "points" and not view.skip_multiplier:
        factor = combined_factor(factors.get(w.user_id, ()), view.currency_id)
    left = room.get((rule_id, w.user_id))
    if left == 0 and view.reward_type == "points":
        per = CAP_WORDS.get(view.max_interval or "", "")
        w.refusal = Refusal("rule_limit_reached", f"The most this rule pays {per} has been earned")
        return
    w.terms = terms[view.currency_id]
    decimals = w.terms.decimals
    w.parts = found
    for part in found:
        units = 0
        if view.reward_type == "points":
            units = decide.capped(decide.points_units(part.amount, factor, decimals), 0, left)
            if left is not None:
                left -= units
        w.units.append(units)
        paid.add(part.key)
    if left is not None:
        room[(rule_id, w.user_id)] = left
    if view.reward_type == "multiplier":
        # Later asks of this batch earn with the factor this one grants.
        for part in found:
            factors.setdefault(w.user_id, []).append(
                (part.multiplier or part.amount, _currencies(view))
            )


def _currencies(view: RuleView) -> list[str] | None:
    return list(view.multiplier_currencies) if view.multiplier_currencies else None


def _already(view: RuleView) -> Refusal:
    when = {
        "daily": " today",
        "weekly": " this week",
        "monthly": " this month",
        "custom": " in this period",
    }.get(view.interval, "")
    return Refusal("rule_already_completed", f"You have already completed this rule{when}")


async def _write(session: WriteSession, works: list[_Work]) -> None:
    """Completions, ledger entries, badges, multipliers, progress, outbox and request rows
    of the batch."""
    paying = [w for w in works if w.refusal is None]
    if any(_refusable(w) for w in paying):
        await _write_guarded(session, paying)
    else:
        # Credits of independent rules under no maximum: nothing can refuse them, so no
        # savepoint (should anything fail, the whole transaction rolls back).
        await _write_paid(session, paying)
    paying = [w for w in paying if w.refusal is None]
    for w in paying:
        await _after_paid(session, w)
    if paying:
        first = paying[0].ask.rule
        completed = [
            {
                "requestId": w.request_id if w.ask.record else None,
                "ruleId": w.ask.rule.id,
                "userId": w.user_id,
                "currencyId": w.view.currency_id,
                "paid": w.paid,
            }
            for w in paying
        ]
        await publish_many(
            session,
            [
                {
                    "organization_id": first.organization_id,
                    "website_id": first.website_id,
                    "topic": "completions",
                    "payload": {"completions": completed},
                }
            ],
        )
    await _record(session, works)


def _refusable(w: _Work) -> bool:
    """Whether writing the ask can be refused: a completion row may conflict, or a credit
    may pass its currency's maximum."""
    return stateful(w.view) or (w.terms is not None and w.terms.maximum_value is not None)


async def _write_guarded(session: WriteSession, paying: list[_Work]) -> None:
    """The batch in a savepoint; if the ledger refuses one of its asks, the asks are written
    again one by one, each in its own savepoint, so that only that ask fails."""
    try:
        async with session.begin_nested():
            await _write_paid(session, paying)
    except BusinessRefusal:
        for w in paying:
            try:
                async with session.begin_nested():
                    await _write_paid(session, [w])
            except BusinessRefusal as refusal:
                w.refusal = Refusal(refusal.code, refusal.message)


async def _write_paid(session: WriteSession, works: list[_Work]) -> None:
    """The completions, and the ledger entries of the points they pay: one ledger
    transaction per rule of the batch, an entry per completion part that pays."""
    moment = now()
    rows: list[dict[str, Any]] = []
    rules: dict[str, RuleLike] = {}
    lines: dict[str, list[Line]] = {}
    transaction_ids: dict[str, str] = {}
    for w in works:
        rule = w.ask.rule
        w.completion_ids = [new_id() for _ in w.parts]
        if any(w.units):
            rules[rule.id] = rule
            w.transaction_id = transaction_ids.setdefault(rule.id, new_id())
        # A completion of a rule no later decision depends on (points, unlimited, uncapped)
        # leaves no completion row: its ledger entry, which names the rule, is its record.
        kept = stateful(w.view)
        for part, units, completion_id in zip(w.parts, w.units, w.completion_ids, strict=True):
            if kept:
                rows.append(
                    {
                        "id": completion_id,
                        "organization_id": rule.organization_id,
                        "website_id": rule.website_id,
                        "rule_id": rule.id,
                        "user_id": w.user_id,
                        "period": w.period,
                        "part": part.key,
                        "amount": units,
                        "currency_id": w.view.currency_id,
                        "transaction_id": w.transaction_id if units > 0 else None,
                        "request_id": w.request_id if w.ask.record else None,
                        "created_at": moment,
                    }
                )
            if units > 0:
                key = f"completion:{completion_id}"
                line = Line(w.user_id, w.view.currency_id, "credit", units, key, source="rule")
                lines.setdefault(rule.id, []).append(line)
    if rows:
        # The users are locked and the periods checked: a conflict here is a bug, and the
        # savepoint rolls the batch back rather than pay twice.
        table = Completion.__table__
        statement = dialect_insert(session)(table).on_conflict_do_nothing().returning(table.c.id)
        connection = await session.connection()
        inserted = (await connection.execute(statement, rows)).scalars().all()
        if len(inserted) != len(rows):
            raise CompletionConflict("A completion of this period was written concurrently")
    if lines:
        terms = {w.terms.id: w.terms for w in works if w.terms is not None}
        transactions = [
            NewTransaction(
                rule.organization_id,
                rule.website_id,
                rule.name,
                "loyalty_rule",
                lines[rule_id],
                rule_id,
                transaction_ids[rule_id],
            )
            for rule_id, rule in rules.items()
        ]
        await post_transactions(session, transactions, terms)


class CompletionConflict(BusinessRefusal):
    code = "rule_already_completed"


async def _after_paid(session: WriteSession, w: _Work) -> None:
    """Badges, multipliers and progress of one paid ask; what it paid, for its answer."""
    rule, view = w.ask.rule, w.view
    for part, units in zip(w.parts, w.units, strict=True):
        record: dict[str, Any] = {"part": part.key or "rule", "amount": units}
        badge = part.badge_id
        if badge is not None:
            await award_badge(
                session,
                organization_id=rule.organization_id,
                website_id=rule.website_id,
                badge_id=badge,
                user_id=w.user_id,
                rule_id=rule.id,
            )
            record["badgeId"] = badge
        if view.reward_type == "multiplier":
            granted = await grant_multiplier(
                session,
                organization_id=rule.organization_id,
                website_id=rule.website_id,
                user_id=w.user_id,
                factor=part.multiplier or part.amount,
                rule_id=rule.id,
                currency_ids=_currencies(view),
                title=rule.name,
            )
            record["multiplierId"] = granted.id
        w.paid.append(record)
    paid_hook = VERIFIERS[view.type].paid
    if paid_hook is not None and w.attempt is not None:
        parts = [
            PaidPart(part.key, completion_id, units, w.period)
            for part, completion_id, units in zip(w.parts, w.completion_ids, w.units, strict=True)
        ]
        w.paid.extend(await paid_hook(session, w.attempt, parts))
    if w.progress is not None and any(p.key == "" for p in w.parts):
        moment = now()
        if view.reset_on_claim:
            await session.execute(delete(RuleProgress).where(RuleProgress.id == w.progress.id))
        else:
            w.progress.fulfilled_at = moment
            w.progress.updated_at = moment


async def _follow_ups(session: WriteSession, website: WebsiteLike, works: list[_Work]) -> None:
    """The follow-ups of what the batch paid (see ``verify.follow_up``)."""
    hooks = [h for h in FOLLOW_UPS if h.active is None or await h.active(session, website)]
    if not hooks:
        return
    completed = [
        Completed(
            w.ask.rule, w.view, w.user_id, sum(w.units), w.request_id if w.ask.record else None
        )
        for w in works
        if w.refusal is None
    ]
    if completed:
        for hook in hooks:
            await hook.run(session, website, completed)


def _request_row(
    w: _Work, status: str, message: str | None, result: dict[str, Any] | None, moment: datetime
) -> dict[str, Any]:
    rule = w.ask.rule
    return {
        "id": w.request_id,
        "organization_id": rule.organization_id,
        "website_id": rule.website_id,
        "rule_id": rule.id,
        "user_id": w.user_id,
        "status": status,
        "message": message,
        "idempotency_key": w.ask.idempotency_key,
        "request": dict(w.ask.request),
        "result": result,
        "created_at": moment,
        "updated_at": moment,
        "fulfilled_at": moment if status == "completed" else None,
    }


_SETTLE = (
    update(CompletionRequest)
    .where(CompletionRequest.id == bindparam("rid"))
    .values(
        status=bindparam("status"),
        message=bindparam("message"),
        result=bindparam("result"),
        updated_at=bindparam("moment"),
        fulfilled_at=bindparam("fulfilled"),
    )
)


async def _record(session: WriteSession, works: list[_Work]) -> None:
    """The outcome of every ask on its request row: new rows in one insert, rows recorded
    earlier (idempotency keys, the worker's) in one executemany update."""
    moment = now()
    new, settled = [], []
    for w in works:
        result: dict[str, Any]
        if w.refusal is not None:
            status, message, result = "failed", w.refusal.message, {"code": w.refusal.code}
        else:
            status, message, result = "completed", "Completed", {"paid": w.paid}
        if not w.ask.record:
            continue
        if w.recorded:
            fulfilled = moment if status == "completed" else None
            settled.append(
                {
                    "rid": w.request_id,
                    "status": status,
                    "message": message,
                    "result": result,
                    "moment": moment,
                    "fulfilled": fulfilled,
                }
            )
        else:
            new.append(_request_row(w, status, message, result, moment))
    connection = await session.connection()
    if new:
        await connection.execute(insert(CompletionRequest), new)
    if settled:
        await connection.execute(_SETTLE, settled)


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
        range_value=as_decimal(asked.get("rangeValue")),
        amount=as_decimal(asked.get("amount")),
        skip_chain=bool(asked.get("skipChainOrRequiredCheck")),
    )
    ask = Ask(rule, claim, request.idempotency_key, asked, request_id=request.id)
    await complete_many(session, website, [ask])
