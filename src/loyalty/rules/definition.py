"""A rule as data: the common fields of seed 001, the metadata every rule type shares, and
the lenient parse that reports every bad field at once.

Parsing is pure. Every field is optional at the Pydantic level so that one bad value costs
only that field: the draft keeps every field that parsed, and the checks (``checks.py``) run
on it, skipping the fields that already failed. Required fields are a check like any other.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from loyalty.errors import FieldError, clean_message, field_path
from loyalty.kit.clock import iso
from loyalty.rules.vocabulary import (
    ClaimType,
    Frequency,
    Interval,
    MaxAmountInterval,
    Network,
    ProgressType,
    RewardLifetime,
    RewardType,
)

Number = Annotated[Decimal, Field(allow_inf_nan=False)]
Text = Annotated[str, Field(max_length=10_000)]


class Strict(BaseModel):
    """Unknown fields are refused, so a typo is reported rather than ignored."""

    model_config = ConfigDict(extra="forbid")


class Collection(Strict):
    address: Annotated[str, Field(min_length=1, max_length=255)]
    network: Network
    symbol: str | None = None
    multiplier: Number | None = None


class Range(Strict):
    startRange: Number
    endRange: Number
    amount: Number
    loyaltyBadgeId: str | None = None
    loyaltyMultiplierAmount: Number | None = None


class Cta(Strict):
    href: str | None = None
    label: str | None = None


class Metadata(Strict):
    """The metadata keys every rule type accepts; each type's model adds its own."""

    trackProgress: bool | None = None
    progressType: ProgressType | None = None
    range: list[Range] | None = None
    rewardBadgePerRange: bool | None = None
    skipMultiplier: bool | None = None
    imageUrl: str | None = None
    cta: Cta | None = None
    buttonText: str | None = None
    verifyPlaceHolderText: str | None = None
    isRetroactive: bool | None = None
    # The length of an ``interval: custom`` period, in days.
    customIntervalDays: int | None = Field(None, ge=1, le=3660)


# The most conditions a rule's chain may list, and ids a condition may name.
MAX_CONDITIONS = 50
MAX_ASSOCIATIONS = 100


class ChainAssociation(Strict):
    """What a chain condition is about: a rule, a currency, a badge or a rule group.
    ``id`` is kept when it is the rule's already; ``loyaltyRule`` is accepted (Snag shows
    it) and ignored."""

    id: str | None = None
    loyaltyRuleId: str | None = None
    loyaltyCurrencyId: str | None = None
    loyaltyBadgeId: str | None = None
    loyaltyRuleGroupId: str | None = None
    loyaltyRule: dict[str, Any] | None = None


class ChainCondition(Strict):
    """One prerequisite of a rule (Snag's ``loyaltyConditions`` item). ``type`` is checked
    against the supported ones by ``checks.py``; ``repeatCount`` and ``csvUrl`` are Snag
    fields nothing here uses, so only null is accepted."""

    id: str | None = None
    type: str
    amount: Number | None = None
    association: Annotated[list[ChainAssociation], Field(max_length=MAX_ASSOCIATIONS)] | None = None
    requiredCount: int | None = Field(None, ge=1, le=1_000_000)
    repeatCount: None = None
    csvUrl: None = None
    description: Text | None = None


class ChainEntry(Strict):
    """A named list of conditions (Snag's ``loyaltyRuleChain`` item); ``loyaltyRuleId`` is
    accepted and replaced by the rule's own id."""

    id: str | None = None
    name: Annotated[str, Field(max_length=255)] | None = None
    loyaltyRuleId: str | None = None
    loyaltyConditions: Annotated[list[ChainCondition], Field(max_length=MAX_CONDITIONS)]


class RuleFields(Strict):
    """The top-level fields of ``POST /api/loyalty/rules`` (Snag's ``RuleCreateParams``)."""

    organizationId: str | None = None
    websiteId: str | None = None
    name: str | None = None
    description: Text | None = None
    type: str | None = None
    frequency: Frequency | None = None
    interval: Interval | None = None
    startTime: AwareDatetime | None = None
    endTime: AwareDatetime | None = None
    effectiveStartTime: AwareDatetime | None = None
    effectiveEndTime: AwareDatetime | None = None
    rewardType: RewardType | None = None
    loyaltyCurrencyId: str | None = None
    amount: Number | None = None
    network: Network | None = None
    collections: list[Collection] | None = None
    collectionAddress: str | None = None
    claimType: ClaimType | None = None
    rewardLifetime: RewardLifetime | None = None
    maxAmountPerInterval: Number | None = None
    maxAmountInterval: MaxAmountInterval | None = None
    trackProgress: bool | None = None
    progressType: ProgressType | None = None
    hideInUi: bool | None = None
    isRequired: bool | None = None
    showBeforeStart: bool | None = None
    loyaltyRuleGroupId: str | None = None
    loyaltyBadgeId: str | None = None
    mediaUrl: str | None = None
    backgroundAssetUrl: str | None = None
    loyaltyUserAllotmentCsvUrl: str | None = None
    shopifyStoreUrl: str | None = None
    shopifyStoreAccessToken: str | None = None
    customRewardsApiUrl: str | None = None
    customRewardsCsvUrl: str | None = None
    oauthCredentialsId: str | None = None
    contractIds: list[str] | None = None
    externalIntegrationId: str | None = None
    duplicatedFromId: str | None = None
    functionId: None = None
    subscriptionId: None = None
    metadata: dict[str, Any] | None = None
    # Prerequisites: every condition of every entry must hold for the rule to be earned.
    loyaltyRuleChain: Annotated[list[ChainEntry], Field(max_length=MAX_CONDITIONS)] | None = None


M = TypeVar("M", bound=BaseModel)


def parse_lenient(
    model: type[M], data: Mapping[str, Any], prefix: tuple[str | int, ...] = ()
) -> tuple[M, list[FieldError], frozenset[str]]:
    """``model`` from ``data`` keeping every field that is valid; the errors of the others,
    with paths under ``prefix``, and the names of the fields that failed."""
    try:
        return model.model_validate(data), [], frozenset()
    except ValidationError as exc:
        errors = errors_of(exc, prefix)
        bad = frozenset(str(e["loc"][0]) for e in exc.errors() if e["loc"])
    kept = {key: value for key, value in data.items() if key not in bad}
    return model.model_validate(kept), errors, bad


def errors_of(exc: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[FieldError]:
    return [
        FieldError(field_path((*prefix, *_without_tags(error["loc"]))), _message(error))
        for error in exc.errors()
    ]


# The names Pydantic puts in an error's location for the member of a union that failed.
_TAGS = frozenset({"str", "int", "float", "bool", "decimal", "none", "list", "dict"})


def _without_tags(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    return tuple(
        part
        for part in loc
        if not (isinstance(part, str) and (part in _TAGS or "[" in part or "-" in part))
    )


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "is not a field of this rule"
    return clean_message(str(error["msg"]))


@dataclass
class Draft:
    """A rule as far as it parsed: its fields, its type's metadata, what failed."""

    fields: RuleFields
    metadata: Metadata
    raw: Mapping[str, Any]
    bad: frozenset[str] = frozenset()
    bad_metadata: frozenset[str] = frozenset()
    creating: bool = True
    errors: list[FieldError] = field(default_factory=list)

    def given(self, name: str) -> bool:
        """The field was sent (possibly as null) and did not fail to parse."""
        return name in self.fields.model_fields_set and name not in self.bad

    def meta_given(self, name: str) -> bool:
        return name in self.metadata.model_fields_set and name not in self.bad_metadata

    def usable(self, *names: str) -> bool:
        """None of these top-level fields failed to parse (so checks on them mean something)."""
        return not any(name in self.bad for name in names)

    @property
    def track_progress(self) -> bool:
        return bool(self.fields.trackProgress or self.metadata.trackProgress)

    @property
    def progress_type(self) -> str | None:
        return self.fields.progressType or self.metadata.progressType


def without_nulls(data: Mapping[str, Any]) -> dict[str, Any]:
    """Snag's SDK sends null for every optional metadata key it was not given."""
    return {key: value for key, value in data.items() if value is not None}


def decimal_to_json(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def jsonable(value: Any) -> Any:
    """Plain JSON of a dumped model: Decimals as numbers, datetimes as ISO 8601 with Z."""
    if isinstance(value, Decimal):
        return decimal_to_json(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return iso(value)
    return value


def dump(model: BaseModel, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """The fields that were set, as plain JSON."""
    return jsonable(model.model_dump(exclude_unset=True, exclude=set(exclude)))  # type: ignore[no-any-return]
