"""telegram_join: the user joins a Telegram channel or group."""

from collections.abc import Iterator

from loyalty.errors import FieldError
from loyalty.rules.definition import Draft, Metadata
from loyalty.rules.registry import MANUAL, Capabilities, RuleType


class TelegramMetadata(Metadata):
    telegramChannelId: str | None = None


def check_telegram(draft: Draft) -> Iterator[FieldError]:
    m = draft.metadata
    assert isinstance(m, TelegramMetadata)
    if not (m.telegramChannelId or "").strip() and "telegramChannelId" not in draft.bad_metadata:
        yield FieldError("metadata.telegramChannelId", "is required for telegram_join rules")


TYPES = [
    RuleType(
        "telegram_join",
        "The user joins a Telegram channel.",
        TelegramMetadata,
        Capabilities(claim_types=MANUAL, intervals=frozenset({"once"})),
        check_telegram,
        "The user joins telegramChannelId and claims; membership is checked through the bot on "
        "claim: manual only (seed 001), and once.",
    )
]
