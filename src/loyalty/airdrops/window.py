"""When an airdrop may pay, without IO: from the later of the rule's ``startTime`` and
``effectiveStartTime`` until the earlier of its ``endTime`` and ``effectiveEndTime`` (the
rule must be open for the earning pipeline to pay, and the airdrop effective)."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from loyalty.kit.clock import instant

TIMING = ("startTime", "endTime", "effectiveStartTime", "effectiveEndTime")


def opens_at(definition: Mapping[str, Any]) -> datetime | None:
    starts = _instants(definition, "startTime", "effectiveStartTime")
    return max(starts) if starts else None


def closes_at(definition: Mapping[str, Any]) -> datetime | None:
    ends = _instants(definition, "endTime", "effectiveEndTime")
    return min(ends) if ends else None


def timing_changed(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> bool:
    return before is not None and any(before.get(k) != after.get(k) for k in TIMING)


def _instants(definition: Mapping[str, Any], *names: str) -> list[datetime]:
    return [moment for name in names if (moment := instant(definition.get(name))) is not None]
