"""Rule chains: the prerequisites a rule lists (``loyaltyRuleChain``), checked before it
is earned. Every condition of every chain entry must hold; ``unmet`` answers with a message
for the first one that does not.

"Completed" means the user has a completion row for the rule, a completed request for it,
or a ledger credit it paid: rules paying points without limit leave no completion row, only
their ledger entries, and events record no request.
"""

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from loyalty.badges.models import Badge, BadgeUser
from loyalty.db import ReadSession
from loyalty.engine.models import Completion, CompletionRequest
from loyalty.ledger.amounts import scale
from loyalty.ledger.models import Account, Currency, Entry, Transaction
from loyalty.rules.models import Rule, RuleGroup


def conditions(definition: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every condition of a rule document's chain, in order."""
    return [
        condition
        for entry in definition.get("loyaltyRuleChain") or ()
        for condition in entry.get("loyaltyConditions") or ()
    ]


async def unmet(
    session: ReadSession, rule_definition: Mapping[str, Any], user_id: str, website_id: str
) -> str | None:
    """What the user must do first, for the first condition of the rule's chain that does
    not hold; None when they all hold."""
    chain = rule_definition.get("loyaltyRuleChain") or []
    own = {entry.get("loyaltyRuleId") for entry in chain}
    for condition in conditions(rule_definition):
        message = await _unmet(session, condition, user_id, website_id, own)
        if message is not None:
            return message
    return None


async def _unmet(
    session: ReadSession,
    condition: Mapping[str, Any],
    user_id: str,
    website_id: str,
    own: set[Any],
) -> str | None:
    kind = condition["type"]
    association = condition.get("association") or []
    count = condition.get("requiredCount")
    if kind in ("rule", "rules"):
        ids = [a["loyaltyRuleId"] for a in association]
        needed = (count or 1) if kind == "rule" else (count or len(ids))
        done = await times_completed(session, website_id, user_id, ids)
        if kind == "rule":
            if done.get(ids[0], 0) >= needed:
                return None
            names = await _rule_names(session, ids)
            times = "" if needed == 1 else f" {needed} times"
            return f"Complete {names[0]}{times} first"
        if sum(1 for i in ids if done.get(i, 0) > 0) >= needed:
            return None
        return f"Complete {_some(needed, await _rule_names(session, ids))} first"
    if kind == "points":
        return await _points(session, user_id, association[0]["loyaltyCurrencyId"], condition)
    if kind in ("badge", "badges"):
        ids = [a["loyaltyBadgeId"] for a in association]
        needed = 1 if kind == "badge" else (count or len(ids))
        if len(await _held(session, user_id, ids)) >= needed:
            return None
        names = await _badge_names(session, ids)
        if kind == "badge":
            return f"Earn the {names[0]} badge first"
        return f"Earn {_some(needed, names, 'the badges ')} first"
    if kind == "section":
        return await _section(session, website_id, user_id, association[0], own)
    # The rule's checks refuse any other type; a document from elsewhere fails closed.
    return f"This rule needs a {kind} condition that cannot be checked"


async def times_completed(
    session: ReadSession, website_id: str, user_id: str, rule_ids: Iterable[str]
) -> dict[str, int]:
    """How many times the user completed each of these rules (as far as it shows: the most
    of its completion periods, completed requests and ledger credits)."""
    wanted = sorted(set(rule_ids))
    found: dict[str, int] = {}
    if not wanted:
        return found
    queries = (
        select(Completion.rule_id, func.count(func.distinct(Completion.period)))
        .where(Completion.user_id == user_id, Completion.rule_id.in_(wanted))
        .group_by(Completion.rule_id),
        select(CompletionRequest.rule_id, func.count())
        .where(
            CompletionRequest.user_id == user_id,
            CompletionRequest.rule_id.in_(wanted),
            CompletionRequest.status == "completed",
        )
        .group_by(CompletionRequest.rule_id),
        select(Transaction.rule_id, func.count())
        .select_from(Entry)
        .join(Transaction, Transaction.id == Entry.transaction_id)
        .where(
            Entry.user_id == user_id,
            Entry.website_id == website_id,
            Entry.direction == "credit",
            Entry.status != "declined",
            Transaction.type == "loyalty_rule",
            Transaction.rule_id.in_(wanted),
        )
        .group_by(Transaction.rule_id),
    )
    for query in queries:
        for rule_id, count in (await session.execute(query)).tuples():
            if rule_id is not None:
                found[rule_id] = max(found.get(rule_id, 0), int(count))
    return found


async def _points(
    session: ReadSession, user_id: str, currency_id: str, condition: Mapping[str, Any]
) -> str | None:
    amount = Decimal(str(condition["amount"]))
    currency = await session.get(Currency, currency_id)
    decimals = currency.decimals if currency is not None else 0
    approved = await session.scalar(
        select(func.coalesce(func.sum(Account.approved), 0)).where(
            Account.user_id == user_id, Account.currency_id == currency_id
        )
    )
    if Decimal(int(approved or 0)) >= amount * scale(decimals):
        return None
    unit = currency.symbol if currency is not None else "points"
    return f"Reach {amount.normalize():f} {unit} first"


async def _held(session: ReadSession, user_id: str, badge_ids: Sequence[str]) -> set[str]:
    rows = await session.scalars(
        select(BadgeUser.badge_id).where(
            BadgeUser.user_id == user_id,
            BadgeUser.badge_id.in_(sorted(set(badge_ids))),
            BadgeUser.status == "active",
        )
    )
    return set(rows)


async def _section(
    session: ReadSession,
    website_id: str,
    user_id: str,
    association: Mapping[str, Any],
    own: set[Any],
) -> str | None:
    group_id = association["loyaltyRuleGroupId"]
    rows = await session.execute(
        select(Rule.id).where(
            Rule.website_id == website_id, Rule.group_id == group_id, Rule.deleted_at.is_(None)
        )
    )
    # The chained rule itself may be one of the section's: it cannot wait for itself.
    ids = [rule_id for (rule_id,) in rows.tuples() if rule_id not in own]
    done = await times_completed(session, website_id, user_id, ids)
    if all(done.get(rule_id, 0) > 0 for rule_id in ids):
        return None
    name = await session.scalar(select(RuleGroup.name).where(RuleGroup.id == group_id))
    return f"Complete every rule of {_quoted(name or 'the section')} first"


async def _rule_names(session: ReadSession, ids: Sequence[str]) -> list[str]:
    rows = await session.execute(select(Rule.id, Rule.name).where(Rule.id.in_(sorted(set(ids)))))
    names = dict(rows.tuples().all())
    return [_quoted(names.get(i, "a deleted rule")) for i in ids]


async def _badge_names(session: ReadSession, ids: Sequence[str]) -> list[str]:
    rows = await session.execute(select(Badge.id, Badge.name).where(Badge.id.in_(sorted(set(ids)))))
    names = dict(rows.tuples().all())
    return [_quoted(names.get(i, "a deleted badge")) for i in ids]


def _quoted(name: str) -> str:
    return f"\u201c{name}\u201d"


def _some(needed: int, names: Sequence[str], what: str = "") -> str:
    """ "“A” and “B”" when all are needed, "2 of “A”, “B”, “C”" otherwise."""
    if needed < len(names):
        return f"{needed} of {what}{', '.join(names)}"
    return what + (names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1])
