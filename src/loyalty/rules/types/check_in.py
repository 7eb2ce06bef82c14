"""check_in: the user checks in once per interval period, with optional streak bonuses."""

from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict, Field

from loyalty.errors import FieldError
from loyalty.rules.definition import Draft, Metadata, Number
from loyalty.rules.registry import MANUAL, NO_MULTIPLIER, Capabilities, RuleType


class Streak(BaseModel):
    model_config = ConfigDict(extra="forbid")

    streakMilestone: int = Field(ge=1)
    streakAmount: Number = Field(ge=0)


class CheckInMetadata(Metadata):
    enableStreaks: bool | None = None
    streakArray: list[Streak] | None = None
    autoCheckInRuleIds: list[str] | None = None
    isCheckInOnEveryTxn: bool | None = None


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
    if "any" in ids and len(ids) > 1:
        yield FieldError("metadata.autoCheckInRuleIds", '"any" stands alone')


TYPES = [
    RuleType(
        "check_in",
        "The user checks in once per period; consecutive periods make a streak.",
        CheckInMetadata,
        Capabilities(
            reward_types=NO_MULTIPLIER,
            claim_types=MANUAL,
            intervals=frozenset({"daily", "weekly", "monthly", "custom"}),
        ),
        check_check_in,
        "The user claims the check-in (or completes a rule of autoCheckInRuleIds): manual.",
    )
]
