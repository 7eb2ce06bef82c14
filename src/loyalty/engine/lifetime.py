"""``rewardLifetime: dynamic``: a badge or multiplier a rule awarded is taken back when the
condition that earned it stops holding, and may be earned again when it holds again.

For a rule that tracks progress the condition is the progress: a range's reward holds while
progress is at least the range's start, the rule's own reward while progress is at its
target. Points are never taken back this way (a dynamic lifetime is refused for points
rules), so deleting the completion of a revoked reward, which lets it be claimed again,
can never pay points twice.
"""

from sqlalchemy import delete, select

from loyalty.badges.service import revoke_badge
from loyalty.db import WriteSession
from loyalty.engine.decide import RuleView
from loyalty.engine.models import Completion
from loyalty.multipliers.service import revoke_rule_multipliers
from loyalty.rules.models import Rule
from loyalty.users.repository import lock_users


def unmet_parts(view: RuleView, progress: int) -> set[str]:
    """The parts of a progress rule whose condition does not hold at ``progress``."""
    parts = {f"range:{i}" for i, band in enumerate(view.bands) if progress < band.start}
    if progress < view.target:
        parts.add("")
    return parts


def is_dynamic(rule: Rule) -> bool:
    return rule.definition.get("rewardLifetime") == "dynamic"


async def revoke_unmet(session: WriteSession, rule: Rule, user_id: str, progress: int) -> list[str]:
    """Take back what the user holds from this rule that ``progress`` no longer earns;
    returns the parts revoked ("" is the rule's own reward)."""
    if not is_dynamic(rule):
        return []
    view = RuleView.of(rule.id, rule.definition)
    if view.reward_type == "points":
        return []
    # The same lock a completion takes: a claim and a revocation never interleave.
    await lock_users(session, [user_id])
    wanted = unmet_parts(view, progress)
    held = (
        await session.execute(
            select(Completion.id, Completion.part).where(
                Completion.rule_id == rule.id,
                Completion.user_id == user_id,
                Completion.part.in_(wanted),
            )
        )
    ).all()
    if not held:
        return []
    for _, part in held:
        badge = _badge_of(view, part)
        if badge is not None:
            await revoke_badge(session, badge_id=badge, user_id=user_id)
    if view.reward_type == "multiplier":
        await revoke_rule_multipliers(session, rule_id=rule.id, user_id=user_id)
    await session.execute(delete(Completion).where(Completion.id.in_([i for i, _ in held])))
    return sorted(part for _, part in held)


def _badge_of(view: RuleView, part: str) -> str | None:
    if part == "":
        return None if view.bands else view.badge_id
    band = view.bands[int(part.removeprefix("range:"))]
    if band.badge_id and (view.badge_per_band or view.reward_type == "badge"):
        return band.badge_id
    return None
