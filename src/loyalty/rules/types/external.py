"""external_rule: completed by the customer's backend (the server key), optionally with
progress tracking (seed 000) and range rewards along the way."""

from collections.abc import Iterator

from loyalty.errors import FieldError
from loyalty.rules.definition import Draft, Metadata
from loyalty.rules.registry import ANY_LIFETIME, BOTH, Capabilities, RuleType


class ExternalMetadata(Metadata):
    conditionDescription: str | None = None
    rewardPerAction: bool | None = None
    resetProgressOnClaim: bool | None = None
    customRewardsApiKey: str | None = None


def check_external(draft: Draft) -> Iterator[FieldError]:
    m = draft.metadata
    assert isinstance(m, ExternalMetadata)
    if m.rewardPerAction and m.range:
        yield FieldError("metadata.rewardPerAction", "cannot be combined with range rewards")
    if m.resetProgressOnClaim and not draft.track_progress:
        yield FieldError("metadata.resetProgressOnClaim", "needs trackProgress")


TYPES = [
    RuleType(
        "external_rule",
        "Completed by your backend through the API; can track progress with reward ranges.",
        ExternalMetadata,
        Capabilities(
            claim_types=BOTH,
            reward_lifetimes=ANY_LIFETIME,
            ranges=True,
            ranges_need="trackProgress",
            progress=True,
        ),
        check_external,
        "Your backend decides: it completes the rule for the user (auto) or the user claims "
        "once progress reaches the target (manual). Dynamic lifetime: your backend revokes.",
    )
]
