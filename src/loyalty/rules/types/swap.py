"""swap: reward token swaps made through a provider (any, Relay or LI.FI), to any token or to
specific tokens, optionally only cross-chain."""

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from loyalty.errors import FieldError
from loyalty.rules.definition import Draft, Metadata, Strict
from loyalty.rules.registry import MANUAL, Capabilities, RuleType


class SwappedToToken(Strict):
    address: Annotated[str, Field(min_length=1)]
    chainId: Annotated[str, Field(min_length=1)]


class Swap(Strict):
    provider: Literal["any", "relay", "lifi"] | None = None
    relayReferrerId: str | None = None
    tokenMode: Literal["any", "specific"] | None = None
    # A chain id, or "any".
    swappedToChain: int | str | None = None
    swappedToTokens: list[SwappedToToken] | None = None
    requireCrossChainSwap: bool | None = None
    trackTokenAmount: bool | None = None

    @field_validator("swappedToChain", mode="before")
    @classmethod
    def _chain(cls, value: Any) -> Any:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | str)):
            raise ValueError('must be a chain id or "any"')
        return value


class SwapMetadata(Metadata):
    swap: Swap | None = None


def check_swap(draft: Draft) -> Iterator[FieldError]:
    m = draft.metadata
    assert isinstance(m, SwapMetadata)
    swap = m.swap
    if swap is None:
        return
    if swap.provider == "relay" and not (swap.relayReferrerId or "").strip():
        yield FieldError("metadata.swap.relayReferrerId", "is required when provider is relay")
    if swap.tokenMode == "specific" and not swap.swappedToTokens:
        yield FieldError(
            "metadata.swap.swappedToTokens",
            "at least one token is required when tokenMode is specific",
        )


TYPES = [
    RuleType(
        "swap",
        "Reward token swaps through a provider, by USD value or token amount.",
        SwapMetadata,
        Capabilities(claim_types=MANUAL),
        check_swap,
        "The user claims and the swap is looked up with the provider (it may cross chains, so "
        "no single network to watch): manual only, per seed 001.",
    )
]
