"""points_airdrop: credit the wallets and amounts of a CSV (``loyaltyUserAllotmentCsvUrl``)
once, optionally in batches, with progress tracked while it is processed."""

from collections.abc import Iterator
from urllib.parse import urlsplit

from pydantic import Field

from loyalty.errors import FieldError
from loyalty.rules.definition import Draft, Metadata
from loyalty.rules.registry import AUTO, NO_MULTIPLIER, Capabilities, RuleType


class AirdropMetadata(Metadata):
    rewardByBatch: bool | None = None
    batchSize: int | None = Field(None, ge=1)


def check_airdrop(draft: Draft) -> Iterator[FieldError]:
    f, m = draft.fields, draft.metadata
    assert isinstance(m, AirdropMetadata)
    url = (f.loyaltyUserAllotmentCsvUrl or "").strip()
    if not url and draft.usable("loyaltyUserAllotmentCsvUrl"):
        yield FieldError(
            "loyaltyUserAllotmentCsvUrl",
            "is required for points_airdrop rules: the CSV of wallets and amounts",
        )
    elif url and not _web_url(url):
        yield FieldError("loyaltyUserAllotmentCsvUrl", "must be an http or https URL")
    if m.rewardByBatch and m.batchSize is None and "batchSize" not in draft.bad_metadata:
        yield FieldError("metadata.batchSize", "is required when rewardByBatch is true")


def _web_url(url: str) -> bool:
    """Only web URLs are read: the worker must not be pointed at its own files."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and len(url) <= 2048


TYPES = [
    RuleType(
        "points_airdrop",
        "Airdrop the amounts of a CSV of wallets or user ids (by URL or upload), once per user.",
        AirdropMetadata,
        Capabilities(
            reward_types=NO_MULTIPLIER,
            claim_types=AUTO,
            progress=True,
            intervals=frozenset({"once"}),
            amount_optional=True,
        ),
        check_airdrop,
        "The worker credits every good line of the CSV (read from loyaltyUserAllotmentCsvUrl "
        "or uploaded to POST /api/loyalty/rules/{id}/airdrop) in batches, between the later of "
        "startTime/effectiveStartTime and the earlier of endTime/effectiveEndTime; bad lines "
        "are reported by line number in GET /api/loyalty/rules/{id}/airdrop (trackProgress: "
        "that status follows the processing). The users do nothing, so auto, and once.",
    )
]
