"""Simple actions on the website: clicking a link, submitting a text, creating an account
with a partner, completing one's profile."""

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from loyalty.errors import FieldError
from loyalty.rules.definition import Draft, Metadata
from loyalty.rules.registry import (
    BOTH,
    MANUAL,
    NO_MULTIPLIER,
    Capabilities,
    RuleType,
    no_checks,
)

ONCE = frozenset({"once"})
PERIODS = frozenset({"once", "daily", "weekly", "monthly"})


SocialPlatform = Literal[
    "Custom", "Discord", "EpicGames", "Instagram", "Steam", "Telegram", "TikTok", "Twitch",
    "X(Twitter)", "YouTube", "Google", "GitHub", "Reddit",
]  # fmt: skip


class LinkMetadata(Metadata):
    link: str | None = None
    # The platform the link leads to, for its icon and label.
    socialPlatform: SocialPlatform | None = None
    socialPlatformLogo: str | None = None
    socialPlatformName: str | None = None


class TextInputMetadata(Metadata):
    verificationTextMinimumLength: int | None = Field(None, ge=0)


class PartnerAccountMetadata(Metadata):
    link: str | None = None


class ProfileMetadata(Metadata):
    # Profile field (email, twitter, discord, ...) -> whether it must be filled in.
    completeProfileConditions: dict[str, bool] | None = None


def check_link(draft: Draft) -> Iterator[FieldError]:
    m = draft.metadata
    assert isinstance(m, LinkMetadata)
    if not (m.link or "").strip() and "link" not in draft.bad_metadata:
        yield FieldError("metadata.link", "is required for link_click rules")


def check_profile(draft: Draft) -> Iterator[FieldError]:
    m = draft.metadata
    assert isinstance(m, ProfileMetadata)
    if "completeProfileConditions" in draft.bad_metadata:
        return
    conditions = m.completeProfileConditions or {}
    if not any(conditions.values()):
        yield FieldError(
            "metadata.completeProfileConditions",
            "at least one profile field must be set to true",
        )
    for name in conditions:
        if not name.strip():
            yield FieldError("metadata.completeProfileConditions", "a field name is empty")


TYPES = [
    RuleType(
        "link_click",
        "The user opens a link.",
        LinkMetadata,
        Capabilities(reward_types=NO_MULTIPLIER, claim_types=MANUAL, intervals=PERIODS),
        check_link,
        "The user opens metadata.link and claims; the click happens in the user's browser, so "
        "manual.",
    ),
    RuleType(
        "text_input",
        "The user submits a text (at least verificationTextMinimumLength characters).",
        TextInputMetadata,
        Capabilities(claim_types=MANUAL),
        no_checks,
        "The user submits the text with the claim: manual only (seed 001).",
    ),
    RuleType(
        "create_partner_account",
        "The user creates an account with a partner.",
        PartnerAccountMetadata,
        Capabilities(claim_types=MANUAL, intervals=ONCE),
        no_checks,
        "The user signs up with the partner (metadata.link) and claims: manual only (seed 001); "
        "an account is created once.",
    ),
    RuleType(
        "profile_completed",
        "The user fills in the profile fields of completeProfileConditions.",
        ProfileMetadata,
        Capabilities(claim_types=BOTH, intervals=ONCE),
        check_profile,
        "The profile is the engine's own data: it can be checked when the user claims (manual) "
        "or whenever the profile changes (auto), so both; once.",
    ),
]
