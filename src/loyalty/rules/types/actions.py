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
# How long after a link_click claim the worker completes it.
LINK_CHECK_SECONDS = 60
# The longest partner account id a create_partner_account claim may give.
ACCOUNT_ID_MAX = 255
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


# The longest text a claim can carry (the complete endpoint's ``verificationCode``): a
# longer minimum could never be met.
TEXT_MAX = 1000


class TextInputMetadata(Metadata):
    verificationTextMinimumLength: int | None = Field(None, ge=0, le=TEXT_MAX)


class PartnerAccountMetadata(Metadata):
    link: str | None = None


class ProfileMetadata(Metadata):
    # Profile field (email, twitter, discord, ...) -> whether it must be filled in.
    completeProfileConditions: dict[str, bool] | None = None


# The names completeProfileConditions may use, with the user metadata field (Snag's name)
# each one requires; a field's own name is accepted as well ("emailAddress": true).
PROFILE_CONDITIONS: dict[str, str] = {
    "displayName": "displayName",
    "bio": "bio",
    "logo": "logoUrl",
    "email": "emailAddress",
    "wallet": "walletAddress",
    "twitter": "twitterUser",
    "discord": "discordUser",
    "telegram": "telegramUsername",
    "tiktok": "tiktokUser",
    "github": "githubUser",
    "google": "googleUser",
    "steam": "steamUsername",
    "youtube": "YTChannelId",
    "epicGames": "epicAccountIdentifier",
    "location": "location",
    "portfolio": "portfolioUrl",
}
PROFILE_FIELDS = PROFILE_CONDITIONS | {field: field for field in PROFILE_CONDITIONS.values()}


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
        if name not in PROFILE_FIELDS:
            yield FieldError(
                f"metadata.completeProfileConditions.{name}".rstrip("."),
                f"unknown profile field; use one of {', '.join(PROFILE_CONDITIONS)} "
                "(or the user metadata field's own name)",
            )


def _condition(name: str, field: str) -> str:
    return f"`{name}`" if name == field else f"`{name}` ({field})"


TYPES = [
    RuleType(
        "link_click",
        "The user opens metadata.link; the click is confirmed a while later, as Snag does.",
        LinkMetadata,
        Capabilities(reward_types=NO_MULTIPLIER, claim_types=MANUAL, intervals=PERIODS),
        check_link,
        "The click happens in the user's browser, where no server can see it, so the claim is "
        "the user's word: it answers `pending`, and the worker completes it "
        f"{LINK_CHECK_SECONDS} seconds later (the rule's interval, window and chain are "
        "checked then). Manual only; no multiplier (seed 001).",
    ),
    RuleType(
        "text_input",
        "The user answers with a text of at least verificationTextMinimumLength characters.",
        TextInputMetadata,
        Capabilities(claim_types=MANUAL),
        no_checks,
        "The text is the claim's `verificationCode`. Trimmed, it must not be empty "
        "(`text_required`) and must have at least `metadata.verificationTextMinimumLength` "
        "characters (`text_too_short`). The text is kept, as sent, on the completion request. "
        "Manual only: the user submits the text (seed 001).",
    ),
    RuleType(
        "create_partner_account",
        "The user gives the id of the account they created with the partner (metadata.link).",
        PartnerAccountMetadata,
        Capabilities(claim_types=MANUAL, intervals=ONCE),
        no_checks,
        "The partner account id is the claim's `verificationCode`: required "
        f"(`partner_account_required`), trimmed, at most {ACCOUNT_ID_MAX} characters "
        "(`partner_account_too_long`). An account id completes the rule once, for one user "
        "(`partner_account_taken` for anyone else), and a user completes it once. Manual "
        "only: the user signs up with the partner and claims (seed 001).",
    ),
    RuleType(
        "profile_completed",
        "The user's profile has every field completeProfileConditions sets to true.",
        ProfileMetadata,
        Capabilities(claim_types=BOTH, intervals=ONCE),
        check_profile,
        "Condition names: "
        + ", ".join(_condition(name, field) for name, field in PROFILE_CONDITIONS.items())
        + ", or a user metadata field's own name; any other name is refused when the rule is "
        "saved. A field counts when it is set and not blank. The profile is the engine's own "
        "data, so both claim types: a manual claim checks the fields (`profile_incomplete` "
        "names the missing ones); an `auto` rule completes by itself when a profile save "
        "leaves the profile complete. Once.",
    ),
]
