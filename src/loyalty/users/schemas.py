"""The profile fields of a user, by Snag's names (the native dialect's and the domain's).

Fields read and filtered often are columns of ``UserMetadata``; every other one Snag
accepts is kept in its ``extra`` JSON, so a client can store and read back everything
the SDK sends without a migration per field.
"""

from typing import Any

from loyalty.users.models import UserMetadata

COLUMNS: dict[str, str] = {
    "displayName": "display_name",
    "emailAddress": "email_address",
    "bio": "bio",
    "logoUrl": "logo_url",
    "twitterUser": "twitter_user",
    "twitterUserId": "twitter_user_id",
    "twitterUserFollowersCount": "twitter_user_followers_count",
    "discordUser": "discord_user",
    "discordUserId": "discord_user_id",
    "telegramUsername": "telegram_username",
    "telegramUserId": "telegram_user_id",
    "tiktokUser": "tiktok_user",
    "tiktokUserId": "tiktok_user_id",
    "isBlocked": "is_blocked",
}

EXTRA: tuple[str, ...] = (
    "blockStatusReason",
    "epicAccountIdentifier",
    "externalLoyaltyScore",
    "githubUser",
    "githubUserId",
    "googleUser",
    "googleUserId",
    "internalNotes",
    "isBlockExempt",
    "location",
    "portfolioUrl",
    "steamUserId",
    "steamUsername",
    "sybilScore",
    "userGroupExternalIdentifier",
    "userGroupId",
    "walletGroupIdentifier",
    "YTChannelId",
)

# Text columns and extra strings have no length in the schema; this keeps a profile small.
TEXT_LIMIT = 4096
INT32_MAX = 2**31 - 1


def max_length(field: str) -> int:
    """The longest string a field may hold: its column's length, else ``TEXT_LIMIT``."""
    column = COLUMNS.get(field)
    if column is None:
        return TEXT_LIMIT
    length = getattr(UserMetadata.__table__.c[column].type, "length", None)
    return int(length) if length else TEXT_LIMIT


def as_fields(metadata: UserMetadata) -> dict[str, Any]:
    """Every profile field of a metadata row, by Snag's names (None where unset)."""
    fields = {name: getattr(metadata, column) for name, column in COLUMNS.items()}
    return fields | {name: metadata.extra.get(name) for name in EXTRA}
