"""check_in: the user checks in once per interval period, with optional streak bonuses."""

from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict, Field

from loyalty.errors import FieldError
from loyalty.rules.checks import Reference
from loyalty.rules.definition import Draft, Metadata, Number
from loyalty.rules.registry import MANUAL, NO_MULTIPLIER, Capabilities, RuleType

ANY = "any"
EVERY_TXN = (
    "cannot be honoured: this engine sees no platform transactions besides rule completions; "
    'set autoCheckInRuleIds to ["any"] to check in on every rule completion'
)


class Streak(BaseModel):
    model_config = ConfigDict(extra="forbid")

    streakMilestone: int = Field(ge=1, le=100_000)
    streakAmount: Number = Field(ge=0)


class CheckInMetadata(Metadata):
    enableStreaks: bool | None = None
    streakArray: list[Streak] | None = Field(None, max_length=100)
    autoCheckInRuleIds: list[str] | None = Field(None, max_length=100)
    isCheckInOnEveryTxn: bool | None = None

    def references(self) -> list[Reference]:
        """The rules of autoCheckInRuleIds must be live rules of the website."""
        return [
            Reference(f"metadata.autoCheckInRuleIds[{index}]", "rule", rule_id)
            for index, rule_id in enumerate(self.autoCheckInRuleIds or ())
            if rule_id != ANY
        ]


def check_check_in(draft: Draft) -> Iterator[FieldError]:
    m = draft.metadata
    assert isinstance(m, CheckInMetadata)
    seen: dict[int, int] = {}
    for index, streak in enumerate(m.streakArray or ()):
        if streak.streakMilestone in seen:
            yield FieldError(
                f"metadata.streakArray[{index}].streakMilestone",
                f"repeats streakArray[{seen[streak.streakMilestone]}]",
            )
        seen.setdefault(streak.streakMilestone, index)
    if m.streakArray and not m.enableStreaks:
        yield FieldError("metadata.enableStreaks", "must be true when streakArray is given")
    ids = m.autoCheckInRuleIds or []
    if ANY in ids and len(ids) > 1:
        yield FieldError("metadata.autoCheckInRuleIds", '"any" stands alone')
    for index, rule_id in enumerate(ids):
        if ids.index(rule_id) != index:
            yield FieldError(f"metadata.autoCheckInRuleIds[{index}]", "repeats an earlier id")
    if m.isCheckInOnEveryTxn:
        yield FieldError("metadata.isCheckInOnEveryTxn", EVERY_TXN)


TYPES = [
    RuleType(
        "check_in",
        "The user checks in once per period (day, week, month or custom days of the website's "
        "time zone); with enableStreaks, check-ins in consecutive periods make a streak, "
        "broken by a missed period, and each streakArray milestone pays its streakAmount "
        "once per streak.",
        CheckInMetadata,
        Capabilities(
            reward_types=NO_MULTIPLIER,
            claim_types=MANUAL,
            intervals=frozenset({"daily", "weekly", "monthly", "custom"}),
        ),
        check_check_in,
        "The user claims the check-in, or completes a rule of autoCheckInRuleIds (any rule "
        'with ["any"]), which checks them in: manual. Nothing else is verified: the '
        "completion's period key allows one check-in per period. isCheckInOnEveryTxn is "
        "refused.",
    )
]
