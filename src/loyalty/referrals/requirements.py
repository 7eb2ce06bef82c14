"""What a referral rule asks of the referred user (``metadata.referralRequirements``) and
what it shares of their earnings, decided on plain values: no IO."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from loyalty.engine.decide import as_decimal
from loyalty.ledger.amounts import round_to_units

# The profile fields a complete profile has (Snag's names).
PROFILE_FIELDS = ("displayName", "emailAddress", "logoUrl", "bio")
CONNECTIONS = {
    "connectTwitter": ("twitterUser", "a Twitter account connected"),
    "connectDiscord": ("discordUser", "a Discord account connected"),
    "connectEmail": ("emailAddress", "an email address"),
}
PERCENT = Decimal(100)


@dataclass(frozen=True)
class Requirements:
    """``referralRequirements`` of a rule; ``points_currency_id`` defaults to the rule's."""

    points: Decimal | None = None
    points_currency_id: str | None = None
    complete_profile: bool = False
    connections: tuple[str, ...] = ()

    @classmethod
    def of(cls, metadata: Mapping[str, Any], currency_id: str) -> "Requirements":
        asked = metadata.get("referralRequirements") or {}
        points = asked.get("points") or {}
        needed = as_decimal(points.get("amount")) if asked.get("achievePoints") else None
        return cls(
            points=needed,
            points_currency_id=(points.get("loyaltyCurrecyId") or currency_id) if needed else None,
            complete_profile=bool(asked.get("completeProfile")),
            connections=tuple(name for name in CONNECTIONS if asked.get(name)),
        )


def unmet(requirements: Requirements, profile: Mapping[str, Any], earned: Decimal) -> list[str]:
    """What the referred user still lacks, in words (empty: the referral is eligible).
    ``profile`` holds the user's profile fields by Snag's names; ``earned`` is what the
    user earned in all time in the points currency, in currency units."""
    missing = []
    if requirements.points is not None and earned < requirements.points:
        missing.append(f"{requirements.points} points earned ({earned} so far)")
    if requirements.complete_profile and not all(_filled(profile, f) for f in PROFILE_FIELDS):
        missing.append("a complete profile (" + ", ".join(PROFILE_FIELDS) + ")")
    for name in requirements.connections:
        field, words = CONNECTIONS[name]
        if not _filled(profile, field):
            missing.append(words)
    return missing


def _filled(profile: Mapping[str, Any], field: str) -> bool:
    value = profile.get(field)
    return value is not None and str(value).strip() != ""


def share(units: int, percent: Decimal | None) -> int:
    """``percent`` of ``units`` (smallest units), rounded down: a share never over-credits."""
    if not percent or units <= 0:
        return 0
    return round_to_units(Decimal(units) * percent / PERCENT, 0)
