"""What a completion earns, decided without IO: the rule as the engine reads it, whether it
is open, which parts a claim pays (the whole rule, or the reached ranges of a progress
rule), and the cap. The service (``completions.py``) feeds it facts and writes the result.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from loyalty.kit.clock import instant
from loyalty.ledger.amounts import round_to_units
from loyalty.rules.vocabulary import INT64_MAX


@dataclass(frozen=True)
class Band:
    """One range of a rule's ``metadata.range``."""

    start: Decimal
    end: Decimal
    amount: Decimal
    badge_id: str | None = None
    multiplier: Decimal | None = None


# Types whose ``trackProgress`` follows their own processing (an airdrop's CSV), not a
# user's progress: the pipeline pays them as rules without progress.
PROCESSING_PROGRESS = frozenset({"points_airdrop"})


def tracks_user_progress(doc: Mapping[str, Any]) -> bool:
    """Whether a rule document tracks each user's progress (seed 000): ``trackProgress``,
    kept in metadata and shown at the top level too, on a type whose progress is a user's."""
    meta = doc.get("metadata")
    value = meta.get("trackProgress") if isinstance(meta, Mapping) else None
    if value is None:
        value = doc.get("trackProgress")
    return value is True and doc.get("type") not in PROCESSING_PROGRESS


@dataclass(frozen=True)
class RuleView:
    """What the engine needs of a stored rule document."""

    id: str
    type: str
    reward_type: str
    amount: Decimal | None
    currency_id: str
    badge_id: str | None
    interval: str
    claim_type: str
    start: datetime | None
    end: datetime | None
    custom_days: int | None = None
    max_amount: Decimal | None = None
    max_interval: str | None = None
    bands: Sequence[Band] = ()
    badge_per_band: bool = False
    track_progress: bool = False
    progress_type: str = "percentage"
    skip_multiplier: bool = False
    per_action: bool = False
    reset_on_claim: bool = False
    multiplier_currencies: Sequence[str] | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, rule_id: str, doc: Mapping[str, Any]) -> "RuleView":
        meta = doc.get("metadata") or {}
        return cls(
            id=rule_id,
            type=doc["type"],
            reward_type=doc.get("rewardType") or "points",
            amount=as_decimal(doc.get("amount")),
            currency_id=doc["loyaltyCurrencyId"],
            badge_id=doc.get("loyaltyBadgeId"),
            interval=doc.get("interval") or "once",
            claim_type=doc.get("claimType") or "manual",
            start=instant(doc.get("startTime")),
            end=instant(doc.get("endTime")),
            custom_days=meta.get("customIntervalDays"),
            max_amount=as_decimal(doc.get("maxAmountPerInterval")),
            max_interval=doc.get("maxAmountInterval"),
            bands=[
                Band(
                    Decimal(str(r["startRange"])),
                    Decimal(str(r["endRange"])),
                    Decimal(str(r["amount"])),
                    r.get("loyaltyBadgeId"),
                    as_decimal(r.get("loyaltyMultiplierAmount")),
                )
                for r in meta.get("range") or ()
            ],
            badge_per_band=bool(meta.get("rewardBadgePerRange")),
            track_progress=tracks_user_progress(doc),
            progress_type=meta.get("progressType") or "percentage",
            skip_multiplier=bool(meta.get("skipMultiplier")),
            per_action=bool(meta.get("rewardPerAction")),
            reset_on_claim=bool(meta.get("resetProgressOnClaim")),
            multiplier_currencies=meta.get("multiplierLoyaltyCurrencyIds"),
            metadata=meta,
        )

    @property
    def target(self) -> int:
        """Progress at which the rule completes (see ``progress_target``)."""
        return progress_target(self.progress_type, [b.end for b in self.bands])


PERCENT = 100


def progress_target(progress_type: str, range_ends: Sequence[Decimal]) -> int:
    """The progress that completes a rule: 100 for a percentage, the highest range end
    (whole units, at most 2**63 - 1) for a counter; a counter without ranges (the rule
    checks refuse one) counts to 100."""
    if progress_type != "counter" or not range_ends:
        return PERCENT
    return max(0, min(int(max(range_ends)), INT64_MAX))  # int() of a Decimal rounds toward 0


def as_decimal(value: Any) -> Decimal | None:
    """A JSON number (or None) as an exact Decimal."""
    return None if value is None else Decimal(str(value))


@dataclass(frozen=True)
class Refusal:
    """Why a completion pays nothing: a machine code and a message for people."""

    code: str
    message: str


def closed(rule: RuleView, moment: datetime) -> Refusal | None:
    if rule.start is not None and moment < rule.start:
        return Refusal("rule_not_started", "This rule has not started yet")
    if rule.end is not None and moment >= rule.end:
        return Refusal("rule_ended", "This rule has ended")
    return None


@dataclass(frozen=True)
class Part:
    """One thing a completion pays: the rule itself (``key`` "") or one of its ranges
    ("range:N"). ``amount`` is in currency units before multipliers."""

    key: str
    amount: Decimal
    badge_id: str | None = None
    multiplier: Decimal | None = None


def whole_rule(
    rule: RuleView, *, range_value: Decimal | None, actions: int, override: Decimal | None
) -> list[Part] | Refusal:
    """The part a rule without progress tracking pays: its amount, or the amount of the range
    ``range_value`` falls in; times the number of actions for ``rewardPerAction``;
    ``override`` (a server key's ``amount``) replaces the amount."""
    amount, badge, multiplier = rule.amount or Decimal(0), rule.badge_id, None
    if rule.bands:
        if range_value is None:
            return Refusal(
                "range_value_required", "rangeValue is required: this rule pays by range"
            )
        index = band_of(rule.bands, range_value)
        if index is None:
            return Refusal("range_not_matched", "rangeValue is outside every range of this rule")
        band = rule.bands[index]
        amount, multiplier = band.amount, band.multiplier
        if band.badge_id and (rule.badge_per_band or rule.reward_type == "badge"):
            badge = band.badge_id
    if rule.per_action:
        amount *= actions
    if override is not None:
        amount = override
    return [Part("", amount, badge, multiplier)]


def band_of(bands: Sequence[Band], value: Decimal) -> int | None:
    for index, band in enumerate(bands):
        if band.start <= value <= band.end:
            return index
    return None


def progress_claim(rule: RuleView, progress: int, paid: set[str]) -> list[Part] | Refusal:
    """A claim on a progress rule pays every reached, unpaid range (a range is reached once
    progress is at least its start), and the rule itself only at the target."""
    parts = []
    for index, band in enumerate(rule.bands):
        key = f"range:{index}"
        if progress >= band.start and key not in paid:
            badge = band.badge_id if (rule.badge_per_band or rule.reward_type == "badge") else None
            parts.append(Part(key, band.amount, badge, band.multiplier))
    at_target = progress >= rule.target
    if at_target and "" not in paid:
        amount = Decimal(0) if rule.bands else (rule.amount or Decimal(0))
        parts.append(Part("", amount, None if rule.bands else rule.badge_id))
    if parts:
        return parts
    if at_target:
        return Refusal("rule_already_completed", "You have already completed this rule")
    if any(progress >= band.start for band in rule.bands):
        return Refusal("nothing_to_claim", "Every reward reached so far has been claimed")
    return Refusal(
        "progress_incomplete", f"Progress is {progress} of {rule.target}: nothing to claim yet"
    )


def capped(units: int, earned: int, cap: int | None) -> int:
    """What may still be paid of ``units`` when ``earned`` was paid in the cap's window."""
    if cap is None:
        return units
    return max(0, min(units, cap - earned))


def points_units(amount: Decimal, factor: Decimal, decimals: int) -> int:
    """Points in stored units after multipliers, rounded toward zero (never over-credit)."""
    return round_to_units(amount * factor, decimals)
