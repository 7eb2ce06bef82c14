"""Every check of a rule that needs no database, reported together.

``validate(raw)`` parses a rule body leniently, runs the common checks (required fields,
times, amounts, the capability table of its type, ranges, collections) and its type's own
checks, and returns the draft with every error found. References to other rows (currency,
badges, group, the rules of its chain) are listed by ``references`` for the service to look
up.
"""

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from loyalty.errors import FieldError
from loyalty.rules import ranges
from loyalty.rules.definition import (
    MAX_CONDITIONS,
    ChainCondition,
    Draft,
    Metadata,
    RuleFields,
    parse_lenient,
    without_nulls,
)
from loyalty.rules.registry import RuleType, registry, rule_type
from loyalty.rules.vocabulary import ULTRA_NETWORKS

MAX_NAME = 255
ULTRA_ADDRESS = re.compile(r"^[^:\s]+::[^:\s]+$")
# The fields a rule must be given (startTime may be null: active from creation).
REQUIRED = ("name", "type", "frequency", "loyaltyCurrencyId", "startTime")
# The chain conditions supported: the association key each names, and the kind of row.
CONDITIONS: dict[str, tuple[str, str]] = {
    "rule": ("loyaltyRuleId", "rule"),
    "rules": ("loyaltyRuleId", "rule"),
    "points": ("loyaltyCurrencyId", "currency"),
    "badge": ("loyaltyBadgeId", "badge"),
    "badges": ("loyaltyBadgeId", "badge"),
    "section": ("loyaltyRuleGroupId", "group"),
}
# Conditions about several rows (at least requiredCount of them); the others name one.
COUNTED = frozenset({"rules", "badges"})


@dataclass(frozen=True)
class Reference:
    """An id the rule names that must exist in its website."""

    path: str
    kind: str  # currency | badge | group | rule
    id: str


def validate(raw: Mapping[str, Any], *, creating: bool = True) -> tuple[Draft, RuleType | None]:
    fields, errors, bad = parse_lenient(RuleFields, raw)
    kind = rule_type(fields.type) if fields.type is not None else None
    if fields.type is not None and kind is None:
        errors.append(FieldError("type", _unknown_type(fields.type)))
        bad |= {"type"}
    metadata_model = kind.metadata if kind is not None else Metadata
    metadata, meta_errors, bad_meta = parse_lenient(
        metadata_model, without_nulls(fields.metadata or {}), ("metadata",)
    )
    if kind is None:
        # Without a type the metadata cannot be judged; only its shape was.
        meta_errors = [e for e in meta_errors if "not a field" not in e.message]
    draft = Draft(fields, metadata, raw, bad, bad_meta, creating, errors + meta_errors)
    draft.errors.extend(common_problems(draft, kind))
    if kind is not None:
        draft.errors.extend(kind.check(draft))
    return draft, kind


def _unknown_type(name: str) -> str:
    known = ", ".join(sorted(registry(), key=str.lower))
    return f"unknown or unsupported rule type {name!r}; supported: {known}"


def common_problems(draft: Draft, kind: RuleType | None) -> Iterator[FieldError]:
    f = draft.fields
    for name in REQUIRED:
        if name not in f.model_fields_set and name not in draft.bad:
            yield FieldError(name, "is required")
    for name in ("name", "loyaltyCurrencyId", "type", "frequency"):
        if name in f.model_fields_set and getattr(f, name) is None and name not in draft.bad:
            yield FieldError(name, "is required")
    if f.name is not None and not f.name.strip():
        yield FieldError("name", "must not be empty")
    if f.name is not None and len(f.name) > MAX_NAME:
        yield FieldError("name", f"must be at most {MAX_NAME} characters")
    yield from _times(f)
    yield from _amounts(draft, kind)
    if kind is not None:
        yield from capability_problems(draft, kind)
    yield from _collections(f)
    if draft.meta_given("range") and draft.metadata.range:
        yield from range_field_problems(draft)
    if draft.usable("loyaltyRuleChain"):
        yield from chain_problems(f)


def _times(f: RuleFields) -> Iterator[FieldError]:
    if f.startTime and f.endTime and f.endTime <= f.startTime:
        yield FieldError("endTime", "must be after startTime")
    if f.effectiveStartTime and f.effectiveEndTime and f.effectiveEndTime <= f.effectiveStartTime:
        yield FieldError("effectiveEndTime", "must be after effectiveStartTime")


def _amounts(draft: Draft, kind: RuleType | None) -> Iterator[FieldError]:
    f = draft.fields
    reward = f.rewardType or "points"
    has_ranges = bool(draft.metadata.range)
    if f.amount is not None and f.amount < 0:
        yield FieldError("amount", "must be 0 or more")
    if reward == "multiplier" and f.amount is not None and f.amount <= 0:
        yield FieldError("amount", "a multiplier must be greater than 0")
    amount_needed = (
        reward in ("points", "multiplier")
        and not has_ranges
        and not (kind is not None and kind.capabilities.amount_optional)
    )
    if amount_needed and f.amount is None and draft.usable("amount", "rewardType"):
        yield FieldError("amount", f"is required for {reward} rewards without metadata.range")
    badge_needed = reward == "badge" and not (has_ranges and draft.metadata.rewardBadgePerRange)
    if badge_needed and f.loyaltyBadgeId is None and draft.usable("loyaltyBadgeId"):
        yield FieldError(
            "loyaltyBadgeId",
            "is required for badge rewards (or metadata.range with rewardBadgePerRange)",
        )
    per, interval = f.maxAmountPerInterval, f.maxAmountInterval
    if per is not None and per <= 0:
        yield FieldError("maxAmountPerInterval", "must be greater than 0")
    if per is not None and interval is None and draft.usable("maxAmountInterval"):
        yield FieldError("maxAmountInterval", "is required with maxAmountPerInterval")
    if interval is not None and per is None and draft.usable("maxAmountPerInterval"):
        yield FieldError("maxAmountPerInterval", "is required with maxAmountInterval")


def capability_problems(draft: Draft, kind: RuleType) -> Iterator[FieldError]:
    f, caps, name = draft.fields, kind.capabilities, kind.name
    reward = f.rewardType or "points"
    offered = (
        ("rewardType", reward, caps.reward_types),
        ("claimType", f.claimType, caps.claim_types),
        ("rewardLifetime", f.rewardLifetime, caps.reward_lifetimes),
        ("frequency", f.frequency, caps.frequencies),
        ("interval", f.interval, caps.intervals),
    )
    refused = set()
    for field_name, value, allowed in offered:
        if value is not None and value not in allowed:
            refused.add(field_name)
            yield FieldError(
                field_name, f"{value} is not supported by {name} rules; use {_or(allowed)}"
            )
    if f.rewardLifetime == "dynamic" and reward == "points" and "rewardLifetime" not in refused:
        yield FieldError("rewardLifetime", "dynamic applies to badge and multiplier rewards only")
    if f.interval == "custom" and "interval" not in refused and f.frequency not in (None, "none"):
        yield FieldError("interval", "custom is supported only with frequency none")
    custom = f.interval == "custom" and "interval" not in refused and draft.usable("metadata")
    days_missing = "customIntervalDays" not in draft.bad_metadata
    if (
        custom
        and f.frequency in (None, "none")
        and draft.metadata.customIntervalDays is None
        and days_missing
    ):
        yield FieldError("metadata.customIntervalDays", "is required with interval custom")
    if caps.needs_network and f.network is None and draft.usable("network"):
        yield FieldError("network", f"is required for {name} rules")
    if draft.metadata.range and draft.usable("metadata"):
        if not caps.ranges:
            yield FieldError("metadata.range", f"range rewards are not supported by {name} rules")
        elif caps.ranges_need and not _flag(draft, caps.ranges_need):
            yield FieldError(
                "metadata.range", f"range rewards of {name} rules need metadata.{caps.ranges_need}"
            )
    if draft.track_progress and not caps.progress:
        yield FieldError(
            "metadata.trackProgress", f"progress tracking is not supported by {name} rules"
        )
    if draft.progress_type is not None and not draft.track_progress:
        yield FieldError("metadata.progressType", "needs trackProgress")
    if draft.progress_type == "counter" and not draft.metadata.range:
        yield FieldError(
            "metadata.range", "a counter needs ranges: its target is the highest endRange"
        )
    for name_ in ("trackProgress", "progressType"):
        top, meta = getattr(f, name_), getattr(draft.metadata, name_)
        if top is not None and meta is not None and top != meta:
            yield FieldError(name_, f"differs from metadata.{name_}")


def _flag(draft: Draft, name: str) -> bool:
    if name == "trackProgress":
        return draft.track_progress
    return bool(getattr(draft.metadata, name, None))


def _or(values: frozenset[str]) -> str:
    ordered = sorted(values)
    return ordered[0] if len(ordered) == 1 else ", ".join(ordered[:-1]) + " or " + ordered[-1]


def _collections(f: RuleFields) -> Iterator[FieldError]:
    for index, collection in enumerate(f.collections or ()):
        if collection.network in ULTRA_NETWORKS and not ULTRA_ADDRESS.match(collection.address):
            yield FieldError(
                f"collections[{index}].address",
                "on Ultra networks the address is account::SYMBOL (e.g. accountname::TOKEN)",
            )


def chain_problems(f: RuleFields) -> Iterator[FieldError]:
    """Each condition of the chain: a supported type, and the fields that type needs."""
    chain = f.loyaltyRuleChain or []
    if sum(len(entry.loyaltyConditions) for entry in chain) > MAX_CONDITIONS:
        yield FieldError("loyaltyRuleChain", f"at most {MAX_CONDITIONS} conditions in all")
    for i, entry in enumerate(chain):
        if not entry.loyaltyConditions:
            yield FieldError(
                f"loyaltyRuleChain[{i}].loyaltyConditions", "must list at least one condition"
            )
        for j, condition in enumerate(entry.loyaltyConditions):
            yield from _condition_problems(
                f"loyaltyRuleChain[{i}].loyaltyConditions[{j}]", condition
            )


def _condition_problems(path: str, c: ChainCondition) -> Iterator[FieldError]:
    if c.type not in CONDITIONS:
        supported = ", ".join(CONDITIONS)
        yield FieldError(
            f"{path}.type",
            f"unknown or unsupported condition type {c.type!r}; supported: {supported}",
        )
        return
    key, noun = CONDITIONS[c.type]
    noun = "rule group" if noun == "group" else noun
    if c.type == "points":
        if c.amount is None:
            yield FieldError(f"{path}.amount", "is required for points conditions")
        elif c.amount <= 0:
            yield FieldError(f"{path}.amount", "must be greater than 0")
    elif c.amount is not None:
        yield FieldError(f"{path}.amount", "applies to points conditions only")
    association = c.association or []
    if not association:
        yield FieldError(f"{path}.association", f"is required: name the {noun} ({key})")
        return
    if c.type not in COUNTED and len(association) > 1:
        yield FieldError(f"{path}.association", f"a {c.type} condition names one {noun}")
    ids = []
    for k, item in enumerate(association):
        value = getattr(item, key)
        if value is None:
            yield FieldError(
                f"{path}.association[{k}].{key}", f"is required for {c.type} conditions"
            )
        elif value in ids:
            yield FieldError(f"{path}.association[{k}].{key}", f"names the same {noun} twice")
        else:
            ids.append(value)
    count = c.requiredCount
    if count is not None and c.type in COUNTED and count > len(association):
        yield FieldError(
            f"{path}.requiredCount", f"cannot be more than the {len(association)} {noun}s named"
        )
    elif count not in (None, 1) and c.type not in COUNTED | {"rule"}:
        yield FieldError(
            f"{path}.requiredCount", "applies to rule, rules and badges conditions only"
        )


def range_field_problems(draft: Draft) -> Iterator[FieldError]:
    spans = draft.metadata.range or []
    for problem in ranges.range_problems([ranges.Span(r.startRange, r.endRange) for r in spans]):
        yield FieldError(f"metadata.range[{problem.index}].{problem.field}", problem.message)
    for index, item in enumerate(spans):
        if item.amount < 0:
            yield FieldError(f"metadata.range[{index}].amount", "must be 0 or more")
        if draft.metadata.rewardBadgePerRange and not item.loyaltyBadgeId:
            yield FieldError(
                f"metadata.range[{index}].loyaltyBadgeId", "is required with rewardBadgePerRange"
            )
    if draft.progress_type == "percentage" or (
        draft.track_progress and draft.progress_type is None
    ):
        for index, item in enumerate(spans):
            if item.endRange > 100:
                yield FieldError(
                    f"metadata.range[{index}].endRange", "progress in percent ends at 100"
                )


def references(draft: Draft) -> list[Reference]:
    """The ids of other rows the rule names, each with the field that names it."""
    f, found = draft.fields, []
    if f.loyaltyCurrencyId and draft.usable("loyaltyCurrencyId"):
        found.append(Reference("loyaltyCurrencyId", "currency", f.loyaltyCurrencyId))
    if f.loyaltyBadgeId:
        found.append(Reference("loyaltyBadgeId", "badge", f.loyaltyBadgeId))
    if f.loyaltyRuleGroupId and f.loyaltyRuleGroupId != "no-section":
        found.append(Reference("loyaltyRuleGroupId", "group", f.loyaltyRuleGroupId))
    for index, item in enumerate(draft.metadata.range or ()):
        if item.loyaltyBadgeId:
            found.append(
                Reference(f"metadata.range[{index}].loyaltyBadgeId", "badge", item.loyaltyBadgeId)
            )
    if draft.usable("loyaltyRuleChain"):
        found.extend(chain_references(f))
    extra = getattr(draft.metadata, "references", None)
    if callable(extra):
        found.extend(extra())
    return found


def chain_references(f: RuleFields) -> Iterator[Reference]:
    for i, entry in enumerate(f.loyaltyRuleChain or ()):
        for j, condition in enumerate(entry.loyaltyConditions):
            if condition.type not in CONDITIONS:
                continue
            key, kind = CONDITIONS[condition.type]
            for k, item in enumerate(condition.association or ()):
                if (value := getattr(item, key)) is not None:
                    path = f"loyaltyRuleChain[{i}].loyaltyConditions[{j}].association[{k}].{key}"
                    yield Reference(path, kind, value)


def whole(value: Decimal) -> bool:
    return value == value.to_integral_value()
