"""external_rule: completed by the customer's backend (the server key), optionally with
progress tracking (seed 000) and range rewards along the way.

``metadata.trigger`` makes the rule react to events (``POST /api/loyalty/events``): an event
of that name whose data meets the conditions completes the rule for its user (claimType
auto), or, when the rule tracks progress, advances the progress by one or by the number in
the data field ``progressFrom``.
"""

from collections.abc import Iterator, Mapping
from typing import Annotated, Any

from pydantic import Field

from loyalty.engine import conditions
from loyalty.errors import FieldError
from loyalty.rules.definition import Draft, Metadata, Strict
from loyalty.rules.registry import ANY_LIFETIME, BOTH, Capabilities, RuleType

Name = Annotated[str, Field(min_length=1, max_length=255)]
TRIGGER = "metadata.trigger"


class Trigger(Strict):
    """The event that triggers the rule, the conditions its data must meet, and the data
    field whose number advances the rule's progress."""

    event: Name
    # A condition group (see ``loyalty.engine.conditions``), checked by ``check_external``
    # so that every problem is reported with its own path.
    conditions: Any = None
    progressFrom: Name | None = None


class ExternalMetadata(Metadata):
    conditionDescription: str | None = None
    rewardPerAction: bool | None = None
    resetProgressOnClaim: bool | None = None
    customRewardsApiKey: str | None = None
    trigger: Trigger | None = None


def check_external(draft: Draft) -> Iterator[FieldError]:
    m = draft.metadata
    assert isinstance(m, ExternalMetadata)
    if m.rewardPerAction and m.range:
        yield FieldError("metadata.rewardPerAction", "cannot be combined with range rewards")
    if m.resetProgressOnClaim and not draft.track_progress:
        yield FieldError("metadata.resetProgressOnClaim", "needs trackProgress")
    yield from trigger_problems(draft)
    yield from custom_rewards_problems(draft)


# Frequencies a custom rewards API is asked at (see ``loyalty.engine.cadence``).
CADENCES = ("once", "daily", "weekly", "monthly")


def custom_rewards_problems(draft: Draft) -> Iterator[FieldError]:
    """A custom rewards API is asked by the system, every period of the rule's frequency:
    the rule must be completed by the system (auto) and have such a frequency."""
    f = draft.fields
    if not f.customRewardsApiUrl:
        return
    if (f.claimType or "manual") != "auto" and draft.usable("claimType"):
        yield FieldError("claimType", "must be auto when customRewardsApiUrl is set")
    if f.frequency not in CADENCES and draft.usable("frequency"):
        yield FieldError(
            "frequency",
            "must be once, daily, weekly or monthly when customRewardsApiUrl is set "
            "(how often the API is asked)",
        )


def trigger_problems(draft: Draft) -> Iterator[FieldError]:
    """Every problem of ``metadata.trigger``, read from the body as sent so that they are
    reported together with the type errors of its other fields."""
    raw = _raw_trigger(draft.raw)
    if raw is None:
        return
    if raw.get("conditions") is not None:
        _, problems = conditions.parse(raw["conditions"], f"{TRIGGER}.conditions")
        yield from (FieldError(p.path, p.message) for p in problems)
    if raw.get("progressFrom") is not None and not draft.track_progress:
        yield FieldError(f"{TRIGGER}.progressFrom", "needs trackProgress")
    claim_type = draft.fields.claimType or "manual"
    if not draft.track_progress and claim_type != "auto" and draft.usable("claimType"):
        yield FieldError(
            TRIGGER,
            "an event completes the rule only with claimType auto; "
            "set claimType auto, or trackProgress to have events advance progress",
        )


def _raw_trigger(raw: Mapping[str, Any]) -> Mapping[str, Any] | None:
    metadata = raw.get("metadata")
    trigger = metadata.get("trigger") if isinstance(metadata, Mapping) else None
    return trigger if isinstance(trigger, Mapping) else None


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
        "once progress reaches the target (manual). Dynamic lifetime: your backend revokes. "
        "With `metadata.trigger` (`event`, `conditions`, `progressFrom`) an event of that name "
        "sent to `POST /api/loyalty/events` whose data meets the conditions completes the rule "
        "(claimType auto) or advances its progress (by 1, or by the number in the data field "
        "`progressFrom`).",
    )
]
