"""points_airdrop: credit the wallets and amounts of a CSV (``loyaltyUserAllotmentCsvUrl``)
once, optionally in batches, with progress tracked while it is processed."""

from collections.abc import Iterator

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
    if not (f.loyaltyUserAllotmentCsvUrl or "").strip() and draft.usable(
        "loyaltyUserAllotmentCsvUrl"
    ):
        yield FieldError(
            "loyaltyUserAllotmentCsvUrl",
            "is required for points_airdrop rules: the CSV of wallets and amounts",
        )
    if m.rewardByBatch and m.batchSize is None and "batchSize" not in draft.bad_metadata:
        yield FieldError("metadata.batchSize", "is required when rewardByBatch is true")


TYPES = [
    RuleType(
        "points_airdrop",
        "Airdrop the amounts of a CSV of wallets, once.",
        AirdropMetadata,
        Capabilities(
            reward_types=NO_MULTIPLIER,
            claim_types=AUTO,
            progress=True,
            intervals=frozenset({"once"}),
            amount_optional=True,
        ),
        check_airdrop,
        "The engine credits every row of the CSV itself (trackProgress follows the processing); "
        "the users do nothing, so auto, and once.",
    )
]
