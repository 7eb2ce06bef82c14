"""The check_in verifier and the hooks of the streaks family: a paid check-in grows the
user's streak, completions of other rules may count as check-ins, and a saved check_in
rule is checked against the rows it names and forgotten by the auto check-in cache."""

from typing import Any

from loyalty.db import WriteSession
from loyalty.engine.verify import ACCEPTED, Attempt, Verdict, follow_up, verifier
from loyalty.rules.models import Rule
from loyalty.rules.service import on_rule_saved
from loyalty.streaks import auto, service


@verifier("check_in", paid=service.grow_streak)
async def _check_in(_session: WriteSession, _attempt: Attempt) -> Verdict:
    """A check-in needs nothing but being the first of its period, which the completion's
    period key enforces."""
    return ACCEPTED


follow_up(auto.check_in_on_completions, locks=auto.wants_locks, active=auto.wants_locks)


@on_rule_saved
async def _check_in_rule_saved(
    session: WriteSession, rule: Rule, action: str, _previous: dict[str, Any] | None
) -> None:
    if rule.type != service.CHECK_IN:
        return
    auto.forget(rule.website_id)
    if action != "delete":
        await service.check_rule(session, rule)
