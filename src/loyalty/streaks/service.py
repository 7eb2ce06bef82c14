"""Streaks of check_in rules: a check-in grows (or restarts) the user's streak and pays
the milestone bonuses it reaches, once per streak; account streaks read them back.

A check-in's streak is updated in the check_in verifier's ``paid`` hook, in the
completion's transaction, while the pipeline holds the user's row lock: a user's
check-ins are serialised, and the streak row is read and rewritten without a race. The
completion's own period key (unique per rule, user and period) says which period the
check-in counts for, so a streak and the completions it counts never disagree.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from loyalty.db import ReadSession, WriteSession
from loyalty.engine.verify import Attempt, PaidPart
from loyalty.errors import BusinessRefusal, FieldError, raise_if_any
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.ledger.amounts import round_to_units
from loyalty.ledger.currencies import TERMS, currency_in_website, currency_terms
from loyalty.ledger.rows import Line
from loyalty.ledger.service import NewTransaction, post_transactions
from loyalty.rules.models import Rule
from loyalty.rules.service import RuleNotFound, RuleSnapshot, live_rules
from loyalty.rules.types.check_in import ANY
from loyalty.streaks import logic, repository
from loyalty.streaks.logic import Milestone, StreakState
from loyalty.streaks.models import Streak
from loyalty.tenancy.principal import Principal

CHECK_IN = repository.CHECK_IN
# The ledger transaction type of streak bonuses: not "loyalty_rule", which counts as a
# completion of the rule (rule chains count those).
STREAK_BONUS = "loyalty_rule_streak"


class RuleNotCheckIn(BusinessRefusal):
    code = "rule_not_check_in"


# --- check-ins --------------------------------------------------------------------------


async def grow_streak(
    session: WriteSession, attempt: Attempt, parts: Sequence[PaidPart]
) -> list[dict[str, Any]]:
    """The streak after a paid check-in, and the records of the bonuses it paid (added
    to what the completion reports it paid). Rules without ``enableStreaks`` keep none."""
    metadata = attempt.view.metadata
    rule_part = next((p for p in parts if p.key == ""), None)
    if not metadata.get("enableStreaks") or rule_part is None:
        return []
    period = rule_part.period
    row = await repository.lock_streak(session, attempt.rule.id, attempt.user_id)
    state = logic.checked_in(_state(row), period)
    bonuses = logic.due(state, logic.milestones(metadata.get("streakArray")))
    row = _saved(session, row, attempt, state, bonuses)
    return await _pay(session, attempt, row, state, bonuses) if bonuses else []


def _state(row: Streak | None) -> StreakState | None:
    if row is None:
        return None
    reached = tuple(int(m["streakMilestone"]) for m in row.milestones)
    return StreakState(row.count, row.started_period, row.last_period, reached)


def _saved(
    session: WriteSession,
    row: Streak | None,
    attempt: Attempt,
    state: StreakState,
    bonuses: Sequence[Milestone],
) -> Streak:
    """The streak row written as ``state`` (a new streak forgets the milestones paid)."""
    moment = now()
    if row is None:
        rule = attempt.rule
        row = Streak(
            id=new_id(),
            organization_id=rule.organization_id,
            website_id=rule.website_id,
            rule_id=rule.id,
            user_id=attempt.user_id,
            created_at=moment,
        )
        session.add(row)
    kept = row.milestones if row.started_period == state.started else []
    row.count = state.count
    row.started_period = state.started
    row.last_period = state.last
    row.expires_at = logic.expiry(state.last, ZoneInfo(attempt.website.time_zone))
    row.milestones = [*kept, *(dict(m.stated) for m in bonuses)]
    row.updated_at = moment
    return row


async def _pay(
    session: WriteSession,
    attempt: Attempt,
    row: Streak,
    state: StreakState,
    bonuses: Sequence[Milestone],
) -> list[dict[str, Any]]:
    """The bonuses in the rule's currency, in one ledger transaction (in a savepoint: a
    credit the currency's maximum refuses pays no bonus, and the check-in stands)."""
    rule = attempt.rule
    # The terms the pipeline has just credited the check-in with, from the process's cache.
    terms = await currency_terms(session, rule.organization_id, None, {rule.currency_id}, TERMS)
    units = [round_to_units(m.amount, terms[rule.currency_id].decimals) for m in bonuses]
    lines = [
        Line(
            attempt.user_id,
            rule.currency_id,
            "credit",
            amount,
            f"streak:{row.id}:{state.started}:{m.count}",
            source="rule",
        )
        for m, amount in zip(bonuses, units, strict=True)
        if amount > 0
    ]
    refusal = None
    if lines:
        description = f"{rule.name}: streak of {state.count}"
        new = NewTransaction(
            rule.organization_id, rule.website_id, description, STREAK_BONUS, lines, rule.id
        )
        try:
            async with session.begin_nested():
                await post_transactions(session, [new], terms)
        except BusinessRefusal as refused:
            refusal = refused.code
    return [
        _record(m, 0 if refusal else amount, state, refusal)
        for m, amount in zip(bonuses, units, strict=True)
    ]


def _record(m: Milestone, units: int, state: StreakState, refusal: str | None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "part": f"streak:{m.count}",
        "amount": units,
        "streakMilestone": m.count,
        "streakCount": state.count,
    }
    if refusal is not None:
        record["refusal"] = refusal
    return record


# --- check_in rules ---------------------------------------------------------------------


async def check_rule(session: ReadSession, rule: Rule) -> None:
    """What a check_in rule names beyond its own document, checked when it is saved (400):
    the rules of ``autoCheckInRuleIds`` must not be check-ins (a check-in never counts as
    another), and streak bonuses must fit the decimals of the rule's currency."""
    metadata = rule.definition.get("metadata") or {}
    errors = await _auto_check_in_problems(session, metadata.get("autoCheckInRuleIds") or [])
    errors += await _bonus_problems(session, rule, metadata.get("streakArray") or [])
    raise_if_any(errors)


async def _auto_check_in_problems(session: ReadSession, named: list[str]) -> list[FieldError]:
    # The rule's references were checked first: every id named is a live rule of its website.
    rules = await live_rules(session, set(named) - {ANY})
    check_ins = {rule_id for rule_id, found in rules.items() if found.type == CHECK_IN}
    return [
        FieldError(
            f"metadata.autoCheckInRuleIds[{index}]",
            "names a check_in rule: a check-in never counts as another check-in",
        )
        for index, rule_id in enumerate(named)
        if rule_id in check_ins
    ]


async def _bonus_problems(
    session: ReadSession, rule: Rule, ladder: list[dict[str, Any]]
) -> list[FieldError]:
    currency = await currency_in_website(session, rule.website_id, rule.currency_id)
    if currency is None or not ladder:
        return []
    step = Decimal(1).scaleb(-currency.decimals)
    return [
        FieldError(
            f"metadata.streakArray[{index}].streakAmount",
            f"has more decimal places than the currency's {currency.decimals}",
        )
        for index, milestone in enumerate(ladder)
        if Decimal(str(milestone["streakAmount"])) % step != 0
    ]


# --- account streaks --------------------------------------------------------------------


@dataclass(frozen=True)
class AccountStreak:
    """A user's streak on a rule as the API shows it; ``row`` None: no streak yet."""

    rule_id: str
    user_id: str
    wallet: str | None
    row: Streak | None
    moment: datetime

    @property
    def alive(self) -> bool:
        return self.row is not None and logic.alive(self.row.expires_at, self.moment)

    @property
    def count(self) -> int:
        """Periods in the streak; 0 once it has broken (its expiry has passed)."""
        return self.row.count if self.row is not None and self.alive else 0

    @property
    def milestones(self) -> list[dict[str, Any]]:
        return list(self.row.milestones) if self.row is not None and self.alive else []


async def check_in_rules(
    session: ReadSession,
    principal: Principal,
    rule_ids: Sequence[str],
    scope: frozenset[str] | None,
) -> list[RuleSnapshot]:
    """The named rules, in the order named: each must be a live check_in rule of the key's
    websites within ``scope`` (404 ``rule_not_found``, 422 ``rule_not_check_in``)."""
    wanted = list(dict.fromkeys(rule_ids))
    found = {
        r.id: r
        for r in (await live_rules(session, wanted)).values()
        if r.organization_id == principal.organization_id
        and principal.may_use(r.website_id)
        and (scope is None or r.website_id in scope)
    }
    if missing := [i for i in wanted if i not in found]:
        raise RuleNotFound(f"Loyalty rule {missing[0]} not found")
    if other := [found[i] for i in wanted if found[i].type != CHECK_IN]:
        raise RuleNotCheckIn(
            f"Loyalty rule {other[0].id} is a {other[0].type} rule: "
            "only check_in rules have streaks"
        )
    return [found[i] for i in wanted]


async def streaks_of_user(
    session: ReadSession, rules: Sequence[RuleSnapshot], *, user_id: str | None, wallet: str | None
) -> list[AccountStreak]:
    """One item per rule for the user named (in the rule's website), with or without a
    streak; none for a rule of a website where nobody has that id and wallet."""
    websites = {r.website_id for r in rules}
    users = {
        u.website_id: u
        for u in await repository.users_named(session, websites, user_id=user_id, wallet=wallet)
    }
    streaks = await repository.streaks_of(
        session, [r.id for r in rules], [u.id for u in users.values()]
    )
    by_rule = {s.rule_id: s for s in streaks}
    moment = now()
    return [
        AccountStreak(r.id, user.id, user.wallet_address, by_rule.get(r.id), moment)
        for r in rules
        if (user := users.get(r.website_id)) is not None
    ]


async def streaks_of_rules(
    session: ReadSession, rules: Sequence[RuleSnapshot], *, starting_after: str | None, limit: int
) -> list[AccountStreak]:
    """Every user's streaks on the rules, in creation order, a page at a time."""
    rows = await repository.page_of_streaks(
        session, [r.id for r in rules], starting_after=starting_after, limit=limit
    )
    moment = now()
    return [AccountStreak(s.rule_id, s.user_id, wallet, s, moment) for s, wallet in rows]
