"""token_hold_erc20: reward holding ERC20 (or the network's native) tokens, by count or by
USD value, optionally counting Uniswap liquidity positions (``metadata.liquidity``)."""

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from loyalty.errors import FieldError
from loyalty.rules.definition import Draft, Metadata
from loyalty.rules.registry import AUTO, Capabilities, RuleType
from loyalty.rules.types.liquidity import Liquidity, calculation_problems, pool_problems


class Erc20Liquidity(Liquidity):
    isLiquidityRule: bool | None = None


class Erc20Metadata(Metadata):
    rewardPerValue: bool | None = None
    erc20Type: Literal["erc20", "native"] | None = None
    onlyNative: bool | None = None
    liquidity: Erc20Liquidity | None = None
    directRpc: bool | None = None
    minQty: int | None = Field(None, ge=0)
    maxQty: int | None = Field(None, ge=0)
    onlyRewardExistingUser: bool | None = None
    isTokenHoldMultiplier: bool | None = None
    trackAllContracts: bool | None = None


def native(m: Erc20Metadata) -> bool:
    return bool(m.onlyNative) or m.erc20Type == "native"


def check_erc20(draft: Draft) -> Iterator[FieldError]:
    f, m = draft.fields, draft.metadata
    assert isinstance(m, Erc20Metadata)
    liquidity = m.liquidity
    is_liquidity = liquidity is not None and bool(liquidity.isLiquidityRule)
    # The token held is a collection (its contract); the native token and liquidity
    # positions have none.
    token = f.collections or f.collectionAddress or not draft.usable("collections")
    if not (token or native(m) or is_liquidity):
        yield FieldError(
            "collections",
            "token_hold_erc20 rules need the token's contract "
            "(or metadata.onlyNative, or a liquidity rule)",
        )
    if m.minQty is not None and m.maxQty is not None and m.minQty > m.maxQty:
        yield FieldError("metadata.minQty", "must not be greater than maxQty")
    if liquidity is not None and is_liquidity:
        if not liquidity.pools:
            yield FieldError(
                "metadata.liquidity.pools", "at least one pool is required when isLiquidityRule"
            )
        yield from calculation_problems(liquidity)
        yield from pool_problems(liquidity)


TYPES = [
    RuleType(
        "token_hold_erc20",
        "Reward holding ERC20 or native tokens, by amount or by USD value; ranges allowed.",
        Erc20Metadata,
        Capabilities(claim_types=AUTO, ranges=True, needs_network=True),
        check_erc20,
        "Balances are read on chain by the scheduler (frequency); rewardPerValue values them in "
        "USD where the network has prices. Nothing for the user to submit, so auto.",
    )
]
