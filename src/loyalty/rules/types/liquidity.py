"""Uniswap liquidity rules: reward the USD value of liquidity a user provides to the pools of
``metadata.liquidity``, per day, at a fixed rate or through a custom function."""

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import Field

from loyalty.errors import FieldError
from loyalty.rules.definition import Draft, Metadata, Number, Strict
from loyalty.rules.registry import AUTO, Capabilities, RuleType
from loyalty.rules.vocabulary import Network

# Seed 001: "Liquidity rules support a maximum of 20 pools per rule".
MAX_POOLS = 20


class Pool(Strict):
    id: Annotated[str, Field(min_length=1)]


class Liquidity(Strict):
    network: Network | None = None
    protocol: str | None = None
    pools: list[Pool] | None = None
    calculationType: Literal["fixed", "custom"] | None = None
    liquidityPerDay: Number | None = None
    customFunction: str | None = None
    onlyRewardInRangeLiquidity: bool | None = None


class LiquidityMetadata(Metadata):
    liquidity: Liquidity | None = None


def pool_problems(liquidity: Liquidity) -> Iterator[FieldError]:
    """At most 20 pools, each named once."""
    pools = liquidity.pools or []
    if len(pools) > MAX_POOLS:
        yield FieldError(
            "metadata.liquidity.pools", f"at most {MAX_POOLS} pools per rule ({len(pools)} given)"
        )
    seen: dict[str, int] = {}
    for index, pool in enumerate(pools):
        key = pool.id.lower()  # pool addresses are hex: the same pool in another case
        if key in seen:
            yield FieldError(f"metadata.liquidity.pools[{index}].id", f"repeats pools[{seen[key]}]")
        seen.setdefault(key, index)


def calculation_problems(liquidity: Liquidity) -> Iterator[FieldError]:
    """What the calculation type needs: a USD rate (fixed) or a formula (custom)."""
    if liquidity.calculationType == "fixed":
        if liquidity.liquidityPerDay is None:
            yield FieldError(
                "metadata.liquidity.liquidityPerDay", "is required when calculationType is fixed"
            )
        elif liquidity.liquidityPerDay <= 0:
            yield FieldError("metadata.liquidity.liquidityPerDay", "must be greater than 0")
    if liquidity.calculationType == "custom" and not (liquidity.customFunction or "").strip():
        yield FieldError(
            "metadata.liquidity.customFunction", "is required when calculationType is custom"
        )


def check_liquidity(draft: Draft) -> Iterator[FieldError]:
    m = draft.metadata
    assert isinstance(m, LiquidityMetadata)
    if "liquidity" in draft.bad_metadata:
        return
    liquidity = m.liquidity
    if liquidity is None:
        yield FieldError("metadata.liquidity", f"is required for {draft.fields.type} rules")
        return
    if liquidity.network is None:
        yield FieldError("metadata.liquidity.network", "is required")
    if not (liquidity.protocol or "").strip():
        yield FieldError("metadata.liquidity.protocol", "is required")
    if liquidity.calculationType is None:
        yield FieldError("metadata.liquidity.calculationType", "is required")
    yield from calculation_problems(liquidity)
    yield from pool_problems(liquidity)


LIQUIDITY = Capabilities(claim_types=AUTO, needs_network=True)
VERIFICATION = (
    "The liquidity the user holds in the pools is valued in USD and rewarded per day by the "
    "scheduler; nothing for the user to submit, so auto."
)

TYPES = [
    RuleType(
        "liquidity_uniswap_v2",
        "Reward liquidity provided to Uniswap V2 pools, per USD per day.",
        LiquidityMetadata,
        LIQUIDITY,
        check_liquidity,
        VERIFICATION,
    ),
    RuleType(
        "liquidity_uniswap_v3",
        "Reward liquidity provided to Uniswap V3 pools (optionally only in-range positions).",
        LiquidityMetadata,
        LIQUIDITY,
        check_liquidity,
        VERIFICATION
        + " onlyRewardInRangeLiquidity counts only positions whose price range holds the price.",
    ),
]
