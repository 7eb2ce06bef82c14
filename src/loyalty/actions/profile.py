"""When a profile is complete for a profile_completed rule, decided without IO: the
service hands it the profile's fields by Snag's names."""

from collections.abc import Mapping
from typing import Any

from loyalty.rules.types.actions import PROFILE_FIELDS


def required(metadata: Mapping[str, Any]) -> list[str]:
    """The condition names a rule's metadata sets to true, in its order."""
    conditions = metadata.get("completeProfileConditions") or {}
    return [name for name, wanted in conditions.items() if wanted]


def missing(names: list[str], fields: Mapping[str, Any]) -> list[str]:
    """The names among ``names`` whose profile field is not filled in."""
    return [name for name in names if not filled(fields.get(PROFILE_FIELDS.get(name, name)))]


def filled(value: Any) -> bool:
    """Set, and not blank: a profile field cleared to "" or "  " is not filled in."""
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None


def incomplete_message(names: list[str]) -> str:
    return f"Profile not complete: fill in {', '.join(names)}"
