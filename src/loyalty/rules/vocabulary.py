"""The words of seed 001 and of Snag's SDK: the enums a rule's common fields take.

Every enum is a ``Literal`` (the wire values, exactly) plus a tuple of its values for the
capability table and the generated documentation.
"""

from typing import Literal, get_args

Frequency = Literal["none", "once", "daily", "weekly", "monthly", "immediately"]
Interval = Literal["once", "daily", "weekly", "monthly", "unlimited", "custom", "every_message"]
RewardType = Literal["points", "multiplier", "badge"]
ClaimType = Literal["manual", "auto"]
RewardLifetime = Literal["permanent", "dynamic"]
MaxAmountInterval = Literal["daily", "weekly", "monthly", "lifetime"]
ProgressType = Literal["percentage", "counter"]

# Snag's SDK networks, plus the spellings seed 001 uses: ``ethereum`` (its examples) and
# ``Ultra`` / ``UltraTestnet`` (its restriction list). Values are stored as given.
Network = Literal[
    "abstract", "abstractTestnet", "apechain", "arbitrum", "avalanche", "avalancheFuji",
    "base", "baseSepolia", "berachain", "berachainArtio", "berachainBepolia", "binance",
    "bscTestnet", "campTestnet", "fantom", "fantomTestnet", "flowMainnet", "mainnet",
    "nexusTestnet", "optimism", "polygon", "polygon_mumbai", "skaleNebula", "skaleEuropa",
    "skaleCalypso", "solana", "sophon", "sophonTestnet", "sui", "superseed",
    "superseedSepolia", "vanar", "xai", "zksync", "coti", "cotiTestnet", "morph",
    "morphTestnet", "morphHolesky", "ultra", "ultraTestnet", "nitrograph", "sepolia",
    "optimism_sepolia", "arbitrumSepolia", "goerli", "optimism_goerli", "arbitrumGoerli",
    "basecamp", "somnia", "zkverify", "polkadot", "kusama", "flow_cadence",
    "ethereum", "Ultra", "UltraTestnet",
]  # fmt: skip

FREQUENCIES: tuple[str, ...] = get_args(Frequency)
INTERVALS: tuple[str, ...] = get_args(Interval)
REWARD_TYPES: tuple[str, ...] = get_args(RewardType)
CLAIM_TYPES: tuple[str, ...] = get_args(ClaimType)
REWARD_LIFETIMES: tuple[str, ...] = get_args(RewardLifetime)
NETWORKS: tuple[str, ...] = get_args(Network)

ULTRA_NETWORKS = frozenset({"ultra", "ultraTestnet", "Ultra", "UltraTestnet"})

# The largest range end: a signed 64-bit integer. Number.MAX_SAFE_INTEGER (2**53 - 1) is
# accepted too; both mean "no upper bound".
INT64_MAX = 2**63 - 1
MAX_SAFE_INTEGER = 2**53 - 1
