"""Rules that count as a check-in (``metadata.autoCheckInRuleIds``): after a batch of
completions, each user who completed a named rule (any rule, with ``["any"]``) checks in
on the check_in rule, through the earning pipeline like any check-in. An already
checked-in period is simply no check-in; a check-in's own completion never counts as one.

A batch in a website with such rules locks its users before it writes anything (see
``wants_locks``), as a check-in does: the check-ins it triggers then never wait on a user
while holding balances another check-in of the same user is waiting for.

This runs after every batch that paid something, so the website's check_in rules that
name other rules are kept per process for ``AUTO_TTL`` seconds: a website without any costs
one cache lookup per batch. Saving a check_in rule forgets its website's entry in this
process; other processes see the change within the TTL. A rule read from the cache is
never decided on: the pipeline completes the rule's live version (or refuses a deleted one).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from loyalty.db import ReadSession, WriteSession
from loyalty.engine.completions import Ask, complete_many
from loyalty.engine.verify import Claim, Completed, WebsiteLike
from loyalty.kit.cache import TTLCache
from loyalty.rules.service import RuleSnapshot, live_rules_of_type
from loyalty.rules.types.check_in import ANY
from loyalty.streaks import repository

AUTO_TTL = 10.0


@dataclass(frozen=True)
class AutoCheckIn:
    """A check_in rule and the rules whose completions count as a check-in on it."""

    rule: RuleSnapshot
    triggers: frozenset[str]

    def counts(self, rule_id: str) -> bool:
        return ANY in self.triggers or rule_id in self.triggers


# By website.
_AUTO: TTLCache[str, tuple[AutoCheckIn, ...]] = TTLCache(AUTO_TTL)


async def check_in_on_completions(
    session: WriteSession, website: WebsiteLike, completed: Sequence[Completed]
) -> None:
    """The follow-up of a batch: the check-ins its completions count as."""
    triggers = [c for c in completed if c.view.type != repository.CHECK_IN]
    if not triggers:
        return
    asks = asks_for(await auto_check_ins(session, website.id), triggers)
    if not asks:
        return
    await complete_many(session, website, asks)


async def wants_locks(session: WriteSession, website: WebsiteLike) -> bool:
    """Whether a batch's completions may check its users in: the website has check_in
    rules that other rules' completions count for."""
    return bool(await auto_check_ins(session, website.id))


def asks_for(rules: Sequence[AutoCheckIn], triggers: Sequence[Completed]) -> list[Ask]:
    """One check-in per (check_in rule, user) the completions count for. No request row is
    recorded: the completion that triggered it is the record."""
    asks: dict[tuple[str, str], Ask] = {}
    for completed in triggers:
        for auto in rules:
            key = (auto.rule.id, completed.user_id)
            if auto.counts(completed.rule.id) and key not in asks:
                asks[key] = Ask(auto.rule, Claim(completed.user_id), record=False)
    return list(asks.values())


async def auto_check_ins(session: ReadSession, website_id: str) -> tuple[AutoCheckIn, ...]:
    """The website's check_in rules with ``autoCheckInRuleIds``, from the cache."""
    found = _AUTO.get(website_id)
    if found is None:
        found = await _load(session, website_id)
        _AUTO.put(website_id, found)
    return found


async def _load(session: ReadSession, website_id: str) -> tuple[AutoCheckIn, ...]:
    rules = await live_rules_of_type(session, website_id, repository.CHECK_IN)
    found = []
    for rule in rules.values():
        named = (rule.definition.get("metadata") or {}).get("autoCheckInRuleIds")
        if named:
            found.append(AutoCheckIn(rule, frozenset(named)))
    return tuple(sorted(found, key=lambda a: a.rule.id))


def forget(website_id: str) -> None:
    """Drop the website's entry in this process (a check_in rule of it was saved)."""
    _AUTO.forget(website_id)
