"""The referral rules of a website, as the completion path reads them.

Every batch of completions asks whether its website runs a referral program (shares of
earnings, requirements on points earned). Most websites do not, and the answer must cost
them nothing: the rules are kept per website in a per-process cache for a few seconds,
dropped at once in this process when a referral rule is saved; other processes see a
change within ``TTL_SECONDS``.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from loyalty.db import ReadSession, WriteSession
from loyalty.engine.completions import view_of
from loyalty.engine.decide import RuleView, as_decimal, closed
from loyalty.kit.cache import TTLCache
from loyalty.kit.clock import now
from loyalty.referrals.requirements import Requirements
from loyalty.rules.models import Rule
from loyalty.rules.service import RuleSnapshot, live_rules_of_type, on_rule_saved

REFERRED_USER = "referred_user"
TTL_SECONDS = 5.0


@dataclass(frozen=True)
class Program:
    """A live referral rule: the rule, and what it asks and shares."""

    rule: RuleSnapshot
    view: RuleView
    requirements: Requirements
    first_share: Decimal | None
    second_share: Decimal | None

    @classmethod
    def of(cls, rule: RuleSnapshot) -> "Program":
        view = view_of(rule)
        meta = view.metadata
        return cls(
            rule,
            view,
            Requirements.of(meta, view.currency_id),
            as_decimal(meta.get("firstReferralReward")),
            as_decimal(meta.get("secondReferralReward")),
        )

    @property
    def open(self) -> bool:
        """Within its start and end time (checked at use: the cache may be seconds old)."""
        return closed(self.view, now()) is None

    @property
    def shares(self) -> bool:
        return bool(self.first_share or self.second_share)


# By website; saving a referral rule forgets its website's entry in this process.
_PROGRAMS: TTLCache[str, dict[str, Program]] = TTLCache(TTL_SECONDS)


async def programs(session: ReadSession, website_id: str) -> dict[str, Program]:
    """The website's live referral rules by id (deleted ones stop paying at once: the
    cache forgets a rule when it is saved)."""
    found = _PROGRAMS.get(website_id)
    if found is None:
        rules = await live_rules_of_type(session, website_id, REFERRED_USER)
        found = {rule_id: Program.of(rule) for rule_id, rule in rules.items()}
        _PROGRAMS.put(website_id, found)
    return found


def needing_points(found: dict[str, Program]) -> Sequence[Program]:
    """The programs whose requirements a referred user's earnings can change."""
    return [p for p in found.values() if p.requirements.points is not None]


@on_rule_saved
async def _forget(_session: WriteSession, rule: Rule, _action: str, _previous: Any) -> None:
    if rule.type == REFERRED_USER:
        _PROGRAMS.forget(rule.website_id)
