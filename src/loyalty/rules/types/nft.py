"""NFT rules observed on chain: holding (TokenHold), buying (BoughtOn), selling (SoldOn) and
minting (MintOn) tokens of the rule's ``collections``."""

from collections.abc import Iterator

from loyalty.errors import FieldError
from loyalty.rules.definition import Draft, Metadata
from loyalty.rules.registry import ANY_LIFETIME, AUTO, Capabilities, RuleType

SYSTEM_OBSERVED = (
    "Observed on chain by the scheduler (frequency) for the rule's collections; nothing for "
    "the user to submit, so auto."
)


class NftMetadata(Metadata):
    onlyRewardExistingUser: bool | None = None
    onlyRewardSingleTokenOwnership: bool | None = None
    hasNeverSold: bool | None = None
    onlyNonListed: bool | None = None
    isTokenHoldMultiplier: bool | None = None
    hasCustomRewardsUrl: bool | None = None
    customRewardsApiUrl: str | None = None
    customRewardsApiKey: str | None = None
    hasSaleCurrency: bool | None = None
    saleCurrency: str | None = None
    hasPaidFullRoyalty: bool | None = None
    royaltyAddress: str | None = None
    royaltyPercentage: float | None = None
    hasFillSource: bool | None = None
    fillSource: str | None = None
    minQty: int | None = None
    maxQty: int | None = None
    trackAllContracts: bool | None = None


def check_collections(draft: Draft) -> Iterator[FieldError]:
    f = draft.fields
    if not f.collections and not f.collectionAddress and draft.usable("collections"):
        yield FieldError("collections", f"{f.type} rules need at least one collection")


def check_nft(draft: Draft) -> Iterator[FieldError]:
    yield from check_collections(draft)
    m = draft.metadata
    assert isinstance(m, NftMetadata)
    if m.hasSaleCurrency and not m.saleCurrency:
        yield FieldError("metadata.saleCurrency", "is required when hasSaleCurrency is true")
    if m.hasCustomRewardsUrl and not (m.customRewardsApiUrl or draft.fields.customRewardsApiUrl):
        yield FieldError(
            "metadata.customRewardsApiUrl", "is required when hasCustomRewardsUrl is true"
        )
    if m.hasFillSource and not m.fillSource:
        yield FieldError("metadata.fillSource", "is required when hasFillSource is true")
    if m.minQty is not None and m.maxQty is not None and m.minQty > m.maxQty:
        yield FieldError("metadata.minQty", "must not be greater than maxQty")


ON_CHAIN = Capabilities(claim_types=AUTO, ranges=True, needs_network=True)

TYPES = [
    RuleType(
        "TokenHold",
        "Reward holders of NFTs or tokens of the rule's collections.",
        NftMetadata,
        Capabilities(
            claim_types=AUTO, ranges=True, needs_network=True, reward_lifetimes=ANY_LIFETIME
        ),
        check_nft,
        SYSTEM_OBSERVED
        + " Dynamic lifetime: a badge or multiplier is revoked when the tokens are sold.",
    ),
    RuleType(
        "BoughtOn",
        "Reward buying NFTs of the collections.",
        NftMetadata,
        ON_CHAIN,
        check_nft,
        SYSTEM_OBSERVED,
    ),
    RuleType(
        "SoldOn",
        "Reward selling NFTs of the collections.",
        NftMetadata,
        ON_CHAIN,
        check_nft,
        SYSTEM_OBSERVED,
    ),
    RuleType(
        "MintOn",
        "Reward minting NFTs of the collections.",
        NftMetadata,
        ON_CHAIN,
        check_nft,
        SYSTEM_OBSERVED,
    ),
]
