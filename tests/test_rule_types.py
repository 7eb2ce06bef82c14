"""The rule type catalogue of seed 001: every type's required fields, its capabilities (seed
001's "Rule Type Limitations and Restrictions") and its own checks. Pure: no database."""

import copy
from typing import Any

import pytest

from loyalty.rules.checks import Reference, references, validate
from loyalty.rules.registry import registry

SEED_TYPES = {
    "TokenHold", "BoughtOn", "SoldOn", "MintOn", "token_hold_erc20", "check_in", "code_entry",
    "referred_user", "external_rule", "points_airdrop", "twitter_follow", "twitter_like",
    "drip_x_new_tweet", "tiktok_post", "connected_discord", "liquidity_uniswap_v2",
    "liquidity_uniswap_v3", "smart_contract_event", "swap", "poll", "quiz", "shopify_spend",
    "link_click", "text_input", "create_partner_account", "telegram_join", "drip_x_follow",
    "drip_x_tweet", "twitter_followers", "Retweet", "twitter_comment", "twitter_post_hashtag",
    "profile_completed",
}  # fmt: skip

POST = "https://x.com/snag/status/1790000000000000000"
COLLECTION = {"address": "0xBC4CA0EdA7647A8aB7C2061c2E118A18a936f13D", "network": "mainnet"}
ON_CHAIN = {"network": "mainnet", "collections": [COLLECTION]}
LIQUIDITY = {
    "network": "mainnet",
    "protocol": "uniswap-v2/eth-usdc",
    "calculationType": "fixed",
    "liquidityPerDay": 100,
}

BASE: dict[str, Any] = {
    "name": "A rule",
    "frequency": "daily",
    "startTime": "2024-01-01T00:00:00Z",
    "rewardType": "points",
    "loyaltyCurrencyId": "currency_123",
    "amount": 10,
}

# The smallest valid body of each type, on top of BASE.
MINIMAL: dict[str, dict[str, Any]] = {
    "TokenHold": ON_CHAIN,
    "BoughtOn": ON_CHAIN,
    "SoldOn": ON_CHAIN,
    "MintOn": ON_CHAIN,
    "token_hold_erc20": ON_CHAIN,
    "check_in": {},
    "code_entry": {"metadata": {"promoCodeType": "code", "promoCode": "SPRING24"}},
    "referred_user": {"metadata": {"referrerReward": 50}},
    "external_rule": {},
    "points_airdrop": {"loyaltyUserAllotmentCsvUrl": "https://example.com/allotment.csv"},
    "twitter_follow": {
        "oauthCredentialsId": "oauth_1",
        "metadata": {"twitterUsername": "snag", "twitterUserId": "1234"},
    },
    "twitter_like": {
        "oauthCredentialsId": "oauth_1",
        "metadata": {"twitterUsername": "snag", "twitterUserId": "1234", "twitterPostUrl": POST},
    },
    "drip_x_new_tweet": {},
    "tiktok_post": {},
    "connected_discord": {},
    "liquidity_uniswap_v2": {"network": "mainnet", "metadata": {"liquidity": LIQUIDITY}},
    "liquidity_uniswap_v3": {"network": "mainnet", "metadata": {"liquidity": LIQUIDITY}},
    "smart_contract_event": {"network": "mainnet", "collectionAddress": "0xabc"},
    "swap": {},
    "poll": {},
    "quiz": {},
    "shopify_spend": {
        "shopifyStoreUrl": "shop.myshopify.com",
        "shopifyStoreAccessToken": "shpat_123",
    },
    "link_click": {"metadata": {"link": "https://example.com"}},
    "text_input": {},
    "create_partner_account": {},
    "telegram_join": {"metadata": {"telegramChannelId": "-1001234"}},
    "drip_x_follow": {"metadata": {"twitterUsername": "snag"}},
    "drip_x_tweet": {"metadata": {"twitterPostUrl": POST}},
    "twitter_followers": {},
    "Retweet": {"metadata": {"twitterPostUrl": POST}},
    "twitter_comment": {"metadata": {"twitterPostUrl": POST}},
    "twitter_post_hashtag": {"metadata": {"twitterHashtag": "#snag"}},
    "profile_completed": {"metadata": {"completeProfileConditions": {"email": True}}},
}

NO_MULTIPLIER = {"check_in", "link_click", "referred_user", "points_airdrop"}
SEED_MANUAL_ONLY = {
    "check_in", "text_input", "poll", "quiz", "create_partner_account", "telegram_join",
    "drip_x_follow", "drip_x_tweet", "drip_x_new_tweet", "swap",
}  # fmt: skip
MANUAL_ONLY = SEED_MANUAL_ONLY | {
    "code_entry", "twitter_follow", "twitter_like", "Retweet", "twitter_comment",
    "twitter_post_hashtag", "tiktok_post", "link_click",
}  # fmt: skip
BOTH = {"external_rule", "connected_discord", "profile_completed"}
AUTO_ONLY = SEED_TYPES - MANUAL_ONLY - BOTH
DYNAMIC = {"TokenHold", "external_rule"}
# Range rewards, and the metadata a type's ranges need.
RANGES: dict[str, dict[str, Any]] = {
    "TokenHold": {},
    "BoughtOn": {},
    "SoldOn": {},
    "MintOn": {},
    "token_hold_erc20": {},
    "twitter_followers": {"rewardCriteria": "ELIGIBLE_POST"},
    "external_rule": {"trackProgress": True},
    "shopify_spend": {},
    "drip_x_new_tweet": {},
}
ONE_RANGE = [{"startRange": 1, "endRange": 10, "amount": 5}]


def body(kind: str, **changes: Any) -> dict[str, Any]:
    """The minimal body of ``kind`` with top-level ``changes`` (``metadata`` is merged)."""
    result = copy.deepcopy({**BASE, "type": kind, **MINIMAL[kind]})
    metadata = changes.pop("metadata", None)
    result.update(changes)
    if metadata is not None:
        result["metadata"] = {**result.get("metadata", {}), **metadata}
    return result


def without(data: dict[str, Any], path: str) -> dict[str, Any]:
    result = copy.deepcopy(data)
    *parents, last = path.split(".")
    node = result
    for part in parents:
        node = node[part]
    del node[last]
    return result


def errors(data: dict[str, Any], creating: bool = True) -> list[tuple[str, str]]:
    draft, _ = validate(data, creating=creating)
    return [(e.field, e.message) for e in draft.errors]


def fields(data: dict[str, Any], creating: bool = True) -> list[str]:
    return [field for field, _ in errors(data, creating)]


# --- the catalogue ---------------------------------------------------------------------------


def test_registry_is_the_seed_catalogue() -> None:
    assert set(registry()) == SEED_TYPES
    assert len(registry()) == 33
    assert set(MINIMAL) == SEED_TYPES


def test_every_type_says_how_it_is_verified() -> None:
    for kind in registry().values():
        assert kind.verification, kind.name
        assert "every_message" not in kind.capabilities.intervals, kind.name


def test_capabilities_follow_seed_restrictions() -> None:
    for name, kind in registry().items():
        caps = kind.capabilities
        assert ("multiplier" in caps.reward_types) == (name not in NO_MULTIPLIER), name
        assert ("dynamic" in caps.reward_lifetimes) == (name in DYNAMIC), name
        assert caps.ranges == (name in RANGES), name
    for name in SEED_MANUAL_ONLY:
        assert registry()[name].capabilities.claim_types == {"manual"}, name


@pytest.mark.parametrize("kind", sorted(SEED_TYPES))
def test_minimal_body_is_valid(kind: str) -> None:
    assert errors(body(kind)) == []


# --- required fields -------------------------------------------------------------------------

REQUIRED = [
    ("check_in", "name"),
    ("check_in", "type"),
    ("check_in", "frequency"),
    ("check_in", "startTime"),
    ("check_in", "loyaltyCurrencyId"),
    ("check_in", "amount"),
    ("TokenHold", "collections"),
    ("TokenHold", "network"),
    ("BoughtOn", "collections"),
    ("SoldOn", "network"),
    ("MintOn", "collections"),
    ("token_hold_erc20", "network"),
    ("token_hold_erc20", "collections"),
    ("code_entry", "metadata.promoCodeType"),
    ("referred_user", "metadata.referrerReward"),
    ("referred_user", "amount"),
    ("points_airdrop", "loyaltyUserAllotmentCsvUrl"),
    ("twitter_follow", "metadata.twitterUsername"),
    ("twitter_follow", "metadata.twitterUserId"),
    ("twitter_follow", "oauthCredentialsId"),
    ("twitter_like", "metadata.twitterUsername"),
    ("twitter_like", "metadata.twitterUserId"),
    ("twitter_like", "oauthCredentialsId"),
    ("twitter_like", "metadata.twitterPostUrl"),
    ("Retweet", "metadata.twitterPostUrl"),
    ("twitter_comment", "metadata.twitterPostUrl"),
    ("twitter_post_hashtag", "metadata.twitterHashtag"),
    ("drip_x_follow", "metadata.twitterUsername"),
    ("drip_x_tweet", "metadata.twitterPostUrl"),
    ("telegram_join", "metadata.telegramChannelId"),
    ("liquidity_uniswap_v2", "network"),
    ("liquidity_uniswap_v2", "metadata.liquidity"),
    ("liquidity_uniswap_v2", "metadata.liquidity.network"),
    ("liquidity_uniswap_v2", "metadata.liquidity.protocol"),
    ("liquidity_uniswap_v2", "metadata.liquidity.calculationType"),
    ("liquidity_uniswap_v3", "metadata.liquidity.network"),
    ("liquidity_uniswap_v3", "metadata.liquidity.protocol"),
    ("liquidity_uniswap_v3", "metadata.liquidity.calculationType"),
    ("liquidity_uniswap_v3", "metadata.liquidity.liquidityPerDay"),
    ("smart_contract_event", "collectionAddress"),
    ("smart_contract_event", "network"),
    ("shopify_spend", "shopifyStoreUrl"),
    ("shopify_spend", "shopifyStoreAccessToken"),
    ("link_click", "metadata.link"),
    ("profile_completed", "metadata.completeProfileConditions"),
]


@pytest.mark.parametrize(("kind", "path"), REQUIRED)
def test_required_field_missing(kind: str, path: str) -> None:
    assert fields(without(body(kind), path)) == [path]


@pytest.mark.parametrize("path", ["metadata.twitterUsername", "oauthCredentialsId"])
def test_required_field_blank(path: str) -> None:
    data = body("twitter_follow")
    if path.startswith("metadata."):
        data["metadata"][path.removeprefix("metadata.")] = "  "
    else:
        data[path] = ""
    assert fields(data) == [path]


def test_twitter_follow_needs_its_three_fields() -> None:
    data = body("twitter_follow")
    del data["oauthCredentialsId"], data["metadata"]
    assert sorted(fields(data)) == [
        "metadata.twitterUserId",
        "metadata.twitterUsername",
        "oauthCredentialsId",
    ]


def test_smart_contract_event_collection_address() -> None:
    assert fields(body("smart_contract_event", collectionAddress="")) == ["collectionAddress"]
    # The top-level field, not a collection, names the contract.
    data = without(body("smart_contract_event", collections=[COLLECTION]), "collectionAddress")
    assert fields(data) == ["collectionAddress"]


def test_shopify_token_is_needed_only_to_create() -> None:
    data = without(body("shopify_spend"), "shopifyStoreAccessToken")
    assert fields(data, creating=True) == ["shopifyStoreAccessToken"]
    assert fields(data, creating=False) == []
    assert fields(without(data, "shopifyStoreUrl"), creating=False) == ["shopifyStoreUrl"]


# --- capabilities ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(SEED_TYPES))
def test_multiplier_reward(kind: str) -> None:
    found = errors(body(kind, rewardType="multiplier", amount=2))
    if kind in NO_MULTIPLIER:
        assert [f for f, _ in found] == ["rewardType"]
        assert "multiplier is not supported" in found[0][1]
    else:
        assert found == []


@pytest.mark.parametrize("kind", sorted(SEED_TYPES))
@pytest.mark.parametrize("claim", ["manual", "auto"])
def test_claim_type(kind: str, claim: str) -> None:
    refused = (kind in MANUAL_ONLY and claim == "auto") or (kind in AUTO_ONLY and claim == "manual")
    assert fields(body(kind, claimType=claim)) == (["claimType"] if refused else [])


@pytest.mark.parametrize("kind", sorted(SEED_TYPES))
def test_dynamic_lifetime(kind: str) -> None:
    data = body(kind, rewardType="badge", loyaltyBadgeId="badge_1", rewardLifetime="dynamic")
    assert fields(data) == ([] if kind in DYNAMIC else ["rewardLifetime"])
    assert (
        fields(body(kind, rewardType="badge", loyaltyBadgeId="b", rewardLifetime="permanent")) == []
    )


@pytest.mark.parametrize("kind", sorted(SEED_TYPES))
def test_range_rewards(kind: str) -> None:
    data = body(kind, metadata={"range": ONE_RANGE, **RANGES.get(kind, {})})
    assert fields(data) == ([] if kind in RANGES else ["metadata.range"])


@pytest.mark.parametrize(
    ("kind", "missing"),
    [("twitter_followers", "rewardCriteria"), ("external_rule", "trackProgress")],
)
def test_ranges_need_their_flag(kind: str, missing: str) -> None:
    found = errors(body(kind, metadata={"range": ONE_RANGE}))
    assert found == [
        ("metadata.range", f"range rewards of {kind} rules need metadata.{missing}"),
    ]


@pytest.mark.parametrize("kind", sorted(SEED_TYPES))
def test_every_message_is_never_an_interval(kind: str) -> None:
    assert fields(body(kind, interval="every_message")) == ["interval"]


@pytest.mark.parametrize(
    ("kind", "interval", "allowed"),
    [
        ("points_airdrop", "once", True),
        ("points_airdrop", "daily", False),
        ("points_airdrop", "unlimited", False),
        ("quiz", "once", True),
        ("quiz", "weekly", True),
        ("quiz", "unlimited", False),
        ("poll", "monthly", True),
        ("poll", "unlimited", False),
        ("twitter_follow", "once", True),
        ("twitter_follow", "daily", False),
        ("drip_x_follow", "daily", False),
        ("twitter_like", "unlimited", False),
        ("Retweet", "weekly", False),
        ("telegram_join", "daily", False),
        ("create_partner_account", "daily", False),
        ("profile_completed", "daily", False),
        ("twitter_followers", "daily", True),
        ("twitter_followers", "unlimited", False),
        ("drip_x_new_tweet", "unlimited", True),
        ("twitter_post_hashtag", "daily", True),
        ("connected_discord", "unlimited", False),
        ("link_click", "unlimited", False),
        ("smart_contract_event", "unlimited", True),
        ("shopify_spend", "unlimited", True),
        ("check_in", "once", False),
        ("check_in", "custom", True),
        ("swap", "custom", True),
        ("text_input", "custom", True),
        ("quiz", "custom", False),
        ("twitter_follow", "custom", False),
        ("points_airdrop", "custom", False),
    ],
)
def test_intervals(kind: str, interval: str, allowed: bool) -> None:
    data = body(kind, interval=interval)
    if interval == "custom":
        data.update(
            frequency="none", metadata={**data.get("metadata", {}), "customIntervalDays": 3}
        )
    assert fields(data) == ([] if allowed else ["interval"])


def test_unknown_metadata_key_is_refused() -> None:
    found = errors(body("twitter_follow", metadata={"promoCode": "X"}))
    assert found == [("metadata.promoCode", "is not a field of this rule")]


# --- each type's own checks ------------------------------------------------------------------


def pools(count: int) -> list[dict[str, str]]:
    return [{"id": f"0x{index:040x}"} for index in range(count)]


@pytest.mark.parametrize("kind", ["liquidity_uniswap_v2", "liquidity_uniswap_v3"])
def test_liquidity_pools(kind: str) -> None:
    def with_pools(items: list[dict[str, str]]) -> list[tuple[str, str]]:
        return errors(body(kind, metadata={"liquidity": {**LIQUIDITY, "pools": items}}))

    assert with_pools(pools(20)) == []
    assert with_pools(pools(21)) == [
        ("metadata.liquidity.pools", "at most 20 pools per rule (21 given)")
    ]
    repeated = [*pools(3), {"id": pools(2)[1]["id"].upper().replace("0X", "0x")}]
    assert with_pools(repeated) == [("metadata.liquidity.pools[3].id", "repeats pools[1]")]
    assert [f for f, _ in with_pools([{"id": ""}])] == ["metadata.liquidity.pools[0].id"]


@pytest.mark.parametrize(
    ("liquidity", "expected"),
    [
        ({"calculationType": "custom", "customFunction": "X = Y / 10"}, []),
        ({"calculationType": "custom"}, ["metadata.liquidity.customFunction"]),
        (
            {"calculationType": "custom", "customFunction": " "},
            ["metadata.liquidity.customFunction"],
        ),
        ({"liquidityPerDay": 0}, ["metadata.liquidity.liquidityPerDay"]),
        ({"calculationType": "linear"}, ["metadata.liquidity.calculationType"]),
        ({"network": "moon"}, ["metadata.liquidity.network"]),
        ({"onlyRewardInRangeLiquidity": True}, []),
    ],
)
def test_liquidity_calculation(liquidity: dict[str, Any], expected: list[str]) -> None:
    data = body("liquidity_uniswap_v3", metadata={"liquidity": {**LIQUIDITY, **liquidity}})
    assert fields(data) == expected


QUESTION = {
    "text": "Which chain?",
    "choices": [{"text": "Ethereum", "isCorrect": True}, {"text": "Solana", "isCorrect": False}],
    "allowMultipleAttempts": False,
}


def choices(*correct: bool) -> list[dict[str, Any]]:
    return [
        {"text": f"Choice {i}", "isCorrect": c, "sortIdentifier": i} for i, c in enumerate(correct)
    ]


@pytest.mark.parametrize(
    ("kind", "question", "expected"),
    [
        ("quiz", QUESTION, []),
        ("poll", QUESTION, []),
        ("quiz", {"text": "Q", "choices": choices(False, True, False)}, []),
        ("quiz", {"text": "Q", "choices": choices(False, False)}, ["metadata.question.choices"]),
        ("quiz", {"text": "Q", "choices": choices(True, True)}, ["metadata.question.choices"]),
        ("poll", {"text": "Q", "choices": choices(False, False)}, []),
        ("poll", {"text": "Q", "choices": choices(True, True, False)}, []),
        ("poll", {"choices": choices(False, False)}, ["metadata.question.text"]),
        ("poll", {"text": "Q", "choices": choices(False)}, ["metadata.question.choices"]),
        ("poll", {"text": "Q"}, ["metadata.question.choices"]),
        (
            "poll",
            {"text": "Q", "choices": [{"text": "A"}, {"isCorrect": False}]},
            ["metadata.question.choices[1].text"],
        ),
        (
            "poll",
            {"text": "Q", "choices": [{"text": "Yes"}, {"text": "yes"}]},
            ["metadata.question.choices[1].text"],
        ),
        (
            "quiz",
            {"text": "Q", "choices": [{"text": "A", "isCorrect": True}, {"text": "B", "x": 1}]},
            ["metadata.question.choices[1].x"],
        ),
    ],
)
def test_questions(kind: str, question: dict[str, Any], expected: list[str]) -> None:
    assert fields(body(kind, metadata={"question": question})) == expected


def test_quiz_needs_exactly_one_correct_choice() -> None:
    found = errors(
        body("quiz", metadata={"question": {"text": "Q", "choices": choices(True, True)}})
    )
    assert found == [
        (
            "metadata.question.choices",
            "a quiz has exactly one correct choice (isCorrect true); 2 given",
        )
    ]


def test_question_is_metadata_not_a_top_level_field() -> None:
    assert fields(body("quiz", question=QUESTION)) == ["question"]


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"promoCodeType": "code", "promoCode": "SPRING24"}, []),
        ({"promoCodeType": "code"}, ["metadata.promoCode"]),
        ({"promoCodeType": "code", "promoCode": " "}, ["metadata.promoCode"]),
        ({"promoCodeType": "csv", "promoCodeCsvUrl": "https://example.com/codes.csv"}, []),
        ({"promoCodeType": "csv"}, ["metadata.promoCodeCsvUrl"]),
        ({"promoCodeType": "generate", "promoCodeLength": 500}, []),
        ({"promoCodeType": "generate", "promoCodeLength": 100_000}, []),
        ({"promoCodeType": "generate"}, ["metadata.promoCodeLength"]),
        ({"promoCodeType": "generate", "promoCodeLength": 0}, ["metadata.promoCodeLength"]),
        ({"promoCodeType": "generate", "promoCodeLength": 100_001}, ["metadata.promoCodeLength"]),
        ({"promoCodeType": "generate", "promoCodeLength": 2.5}, ["metadata.promoCodeLength"]),
        ({"promoCodeType": "qr"}, ["metadata.promoCodeType"]),
        ({"promoCodeType": "csv", "promoCodeCsvUrl": "u", "isRestrictedToNewUsers": True}, []),
    ],
)
def test_code_entry_by_promo_code_type(metadata: dict[str, Any], expected: list[str]) -> None:
    data = body("code_entry")
    data["metadata"] = metadata
    assert fields(data) == expected


@pytest.mark.parametrize(
    ("smart_contract", "expected"),
    [
        ({"event": "Transfer(address,address,uint256)", "criteria": "everyEvent"}, []),
        ({"criteria": "byParameter"}, ["metadata.smartContract.params"]),
        ({"criteria": "byParameter", "params": []}, ["metadata.smartContract.params"]),
        (
            {
                "event": "Transfer(address,address,uint256)",
                "criteria": "byParameter",
                "params": [{"name": "value", "condition": "gt", "value": "1000"}],
                "addressMapping": "to",
                "amountMultiplier": {"valueMapping": "value"},
                "contractId": "contract_1",
                "type": "event",
            },
            [],
        ),
        (
            {"criteria": "byParameter", "params": [{"condition": "eq", "value": "1"}]},
            ["metadata.smartContract.params[0].name"],
        ),
        ({"criteria": "sometimes"}, ["metadata.smartContract.criteria"]),
        ({"type": "log"}, ["metadata.smartContract.type"]),
    ],
)
def test_smart_contract(smart_contract: dict[str, Any], expected: list[str]) -> None:
    assert (
        fields(body("smart_contract_event", metadata={"smartContract": smart_contract})) == expected
    )


def test_smart_contract_event_takes_a_max_amount_per_interval() -> None:
    data = body("smart_contract_event", maxAmountPerInterval=500, maxAmountInterval="daily")
    assert fields(data) == []


@pytest.mark.parametrize(
    ("swap", "expected"),
    [
        ({"provider": "relay", "relayReferrerId": "ref_1"}, []),
        ({"provider": "relay"}, ["metadata.swap.relayReferrerId"]),
        ({"provider": "uniswap"}, ["metadata.swap.provider"]),
        ({"tokenMode": "specific"}, ["metadata.swap.swappedToTokens"]),
        ({"tokenMode": "specific", "swappedToTokens": []}, ["metadata.swap.swappedToTokens"]),
        (
            {
                "provider": "lifi",
                "tokenMode": "specific",
                "swappedToTokens": [{"address": "0xabc", "chainId": "8453"}],
                "swappedToChain": 8453,
                "requireCrossChainSwap": True,
                "trackTokenAmount": True,
            },
            [],
        ),
        ({"swappedToChain": "any"}, []),
        ({"swappedToChain": [1]}, ["metadata.swap.swappedToChain"]),
        ({"swappedToTokens": [{"address": "0xabc"}]}, ["metadata.swap.swappedToTokens[0].chainId"]),
    ],
)
def test_swap(swap: dict[str, Any], expected: list[str]) -> None:
    assert fields(body("swap", metadata={"swap": swap})) == expected


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        (
            {
                "referrerReward": 0,
                "referrerRewardLoyaltyCurrencyId": "currency_ref",
                "firstReferralReward": 10,
                "secondReferralReward": 5,
                "referralRequirements": {
                    "achievePoints": True,
                    "points": {"amount": 100, "loyaltyCurrecyId": "currency_123"},
                    "completeProfile": True,
                    "connectTwitter": True,
                    "connectDiscord": False,
                    "connectEmail": None,
                },
            },
            [],
        ),
        ({"referrerReward": -1}, ["metadata.referrerReward"]),
        (
            {"referrerReward": 5, "referralRequirements": {"achievePoints": True}},
            ["metadata.referralRequirements.points.amount"],
        ),
        (
            {"referrerReward": 5, "referralRequirements": {"achievePoints": False}},
            [],
        ),
        ({"referrerReward": 5, "firstReferralReward": 101}, ["metadata.firstReferralReward"]),
        ({"referrerReward": 5, "secondReferralReward": -1}, ["metadata.secondReferralReward"]),
    ],
)
def test_referral(metadata: dict[str, Any], expected: list[str]) -> None:
    data = body("referred_user")
    data["metadata"] = metadata
    assert fields(data) == expected


def test_referral_badge_or_points_only() -> None:
    assert fields(body("referred_user", rewardType="badge", loyaltyBadgeId="badge_1")) == []


def test_referral_names_its_currencies() -> None:
    data = body(
        "referred_user",
        metadata={
            "referrerRewardLoyaltyCurrencyId": "currency_ref",
            "referralRequirements": {
                "achievePoints": True,
                "points": {"amount": 1, "loyaltyCurrecyId": "c2"},
            },
        },
    )
    draft, _ = validate(data)
    assert draft.errors == []
    assert references(draft) == [
        Reference("loyaltyCurrencyId", "currency", "currency_123"),
        Reference("metadata.referrerRewardLoyaltyCurrencyId", "currency", "currency_ref"),
        Reference("metadata.referralRequirements.points.loyaltyCurrecyId", "currency", "c2"),
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"amount": None}, []),
        ({"rewardType": "badge", "loyaltyBadgeId": "badge_1"}, []),
        ({"metadata": {"trackProgress": True}}, []),
        ({"metadata": {"rewardByBatch": True, "batchSize": 100}}, []),
        ({"metadata": {"rewardByBatch": True}}, ["metadata.batchSize"]),
        ({"metadata": {"batchSize": 0}}, ["metadata.batchSize"]),
        ({"loyaltyUserAllotmentCsvUrl": " "}, ["loyaltyUserAllotmentCsvUrl"]),
    ],
)
def test_points_airdrop(changes: dict[str, Any], expected: list[str]) -> None:
    data = body("points_airdrop", **changes)
    if data.get("amount", 0) is None:
        del data["amount"]
    assert fields(data) == expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"metadata": {"onlyNative": True}}, []),
        ({"metadata": {"erc20Type": "native"}}, []),
        ({"metadata": {"erc20Type": "erc721"}}, ["metadata.erc20Type", "collections"]),
        ({"metadata": {"liquidity": {"isLiquidityRule": True, "pools": pools(2)}}}, []),
        ({"metadata": {"liquidity": {"isLiquidityRule": True}}}, ["metadata.liquidity.pools"]),
        (
            {"metadata": {"liquidity": {"isLiquidityRule": True, "pools": pools(21)}}},
            ["metadata.liquidity.pools"],
        ),
        ({"collectionAddress": "0xabc"}, []),
    ],
)
def test_erc20_without_collections(changes: dict[str, Any], expected: list[str]) -> None:
    data = without(body("token_hold_erc20", **changes), "collections")
    assert fields(data) == expected


def test_erc20_metadata() -> None:
    metadata = {
        "rewardPerValue": True,
        "erc20Type": "erc20",
        "onlyNative": False,
        "minQty": 1,
        "maxQty": 10,
        "isTokenHoldMultiplier": True,
        "liquidity": {"isLiquidityRule": False},
    }
    assert fields(body("token_hold_erc20", metadata=metadata)) == []
    assert fields(body("token_hold_erc20", metadata={"minQty": 5, "maxQty": 1})) == [
        "metadata.minQty"
    ]


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"enableJoinDiscordServers": True}, ["metadata.discordServersToJoin"]),
        (
            {"enableJoinDiscordServers": True, "discordServersToJoin": []},
            ["metadata.discordServersToJoin"],
        ),
        (
            {
                "enableJoinDiscordServers": True,
                "discordServersToJoin": [
                    {
                        "id": "guild_1",
                        "channels": [{"id": "chan_1", "emojis": [{"id": "emoji_1"}], "text": "gm"}],
                        "roles": [{"id": "role_1"}],
                    }
                ],
            },
            [],
        ),
        ({"discordServersToJoin": [{"channels": []}]}, ["metadata.discordServersToJoin[0].id"]),
        (
            {"discordServersToJoin": [{"id": "g"}, {"id": "g"}]},
            ["metadata.discordServersToJoin[1].id"],
        ),
        (
            {"discordServersToJoin": [{"id": "g", "channels": [{"emojis": [{}]}]}]},
            [
                "metadata.discordServersToJoin[0].channels[0].id",
                "metadata.discordServersToJoin[0].channels[0].emojis[0].id",
            ],
        ),
        (
            {"discordServersToJoin": [{"id": "g", "roles": [{}]}]},
            ["metadata.discordServersToJoin[0].roles[0].id"],
        ),
    ],
)
def test_connected_discord(metadata: dict[str, Any], expected: list[str]) -> None:
    assert fields(body("connected_discord", metadata=metadata)) == expected


@pytest.mark.parametrize(
    ("kind", "metadata", "expected"),
    [
        ("drip_x_new_tweet", {"checkText": "#project"}, []),
        ("drip_x_new_tweet", {"checkText": []}, ["metadata.checkText"]),
        ("drip_x_new_tweet", {"checkText": ["#a", ""]}, ["metadata.checkText"]),
        ("drip_x_new_tweet", {"checkText": 3}, ["metadata.checkText"]),
        ("drip_x_new_tweet", {"requirePostLink": True, "requirePostMediaLink": True}, []),
        (
            "tiktok_post",
            {
                "checkText": ["#a"],
                "rewardCriteria": "IMPRESSIONS_COUNT",
                "rewardPerImpression": True,
            },
            [],
        ),
        (
            "tiktok_post",
            {"rewardCriteria": "ELIGIBLE_POST", "rewardPerImpression": True},
            ["metadata.rewardPerImpression"],
        ),
        ("tiktok_post", {"rewardCriteria": "LIKES"}, ["metadata.rewardCriteria"]),
        ("tiktok_post", {"requirePostLink": True}, []),
        ("twitter_followers", {"rewardCriteria": "SOMETIMES"}, ["metadata.rewardCriteria"]),
        ("twitter_post_hashtag", {"twitterHashtag": "#two words"}, ["metadata.twitterHashtag"]),
        ("twitter_comment", {"checkText": "gm"}, []),
        ("drip_x_tweet", {"checkLike": True, "checkRepost": True, "checkComment": False}, []),
        ("twitter_follow", {"enableVerifiedMultiplier": True}, ["metadata.verifiedMultiplier"]),
        ("twitter_follow", {"enableVerifiedMultiplier": True, "verifiedMultiplier": 1.5}, []),
        ("twitter_follow", {"timeDelayToVerifySeconds": "30"}, []),
        ("twitter_follow", {"timeDelayToVerifySeconds": -1}, ["metadata.timeDelayToVerifySeconds"]),
        ("twitter_follow", {"twitterPostUrl": POST}, ["metadata.twitterPostUrl"]),
        ("twitter_like", {"checkText": "gm"}, ["metadata.checkText"]),
    ],
)
def test_social_metadata(kind: str, metadata: dict[str, Any], expected: list[str]) -> None:
    assert fields(body(kind, metadata=metadata)) == expected


@pytest.mark.parametrize(
    ("kind", "metadata", "expected"),
    [
        (
            "profile_completed",
            {"completeProfileConditions": {"email": False}},
            ["metadata.completeProfileConditions"],
        ),
        (
            "profile_completed",
            {"completeProfileConditions": {}},
            ["metadata.completeProfileConditions"],
        ),
        ("profile_completed", {"completeProfileConditions": {"email": True, "twitter": False}}, []),
        (
            "text_input",
            {"verificationTextMinimumLength": 20, "verifyPlaceHolderText": "Your wallet"},
            [],
        ),
        (
            "text_input",
            {"verificationTextMinimumLength": -1},
            ["metadata.verificationTextMinimumLength"],
        ),
        ("create_partner_account", {"link": "https://partner.example.com"}, []),
        ("link_click", {"link": ""}, ["metadata.link"]),
        ("link_click", {"socialPlatform": "Instagram"}, []),
        ("link_click", {"socialPlatform": "MySpace"}, ["metadata.socialPlatform"]),
    ],
)
def test_action_metadata(kind: str, metadata: dict[str, Any], expected: list[str]) -> None:
    assert fields(body(kind, metadata=metadata)) == expected


def test_link_click_badge() -> None:
    assert fields(body("link_click", rewardType="badge", loyaltyBadgeId="badge_1")) == []


# --- seed 001's examples, as given -----------------------------------------------------------

SEED_EXAMPLES: list[dict[str, Any]] = [
    {
        "name": "Hold Blue Chip NFT",
        "description": "Reward users holding blue chip NFTs",
        "type": "TokenHold",
        "network": "ethereum",
        "collections": [
            {"address": "0xBC4CA0EdA7647A8aB7C2061c2E118A18a936f13D", "network": "mainnet"}
        ],
        "frequency": "daily",
        "interval": "daily",
        "startTime": "2024-01-01T00:00:00Z",
        "rewardType": "points",
        "loyaltyCurrencyId": "currency_123",
        "amount": 100,
        "metadata": {"onlyRewardExistingUser": False, "onlyRewardSingleTokenOwnership": False},
    },
    {
        "name": "NFT Purchase Rewards",
        "type": "BoughtOn",
        "network": "ethereum",
        "collections": [{"address": "0x...", "network": "mainnet"}],
        "frequency": "daily",
        "interval": "once",
        "startTime": "2024-01-01T00:00:00Z",
        "rewardType": "points",
        "loyaltyCurrencyId": "currency_123",
        "amount": 1000,
        "metadata": {"onlyRewardExistingUser": False, "hasNeverSold": False},
    },
    {
        "organizationId": "org_123",
        "websiteId": "website_456",
        "name": "Daily Login",
        "type": "check_in",
        "frequency": "daily",
        "interval": "daily",
        "startTime": "2024-01-01T00:00:00Z",
        "rewardType": "points",
        "amount": 10,
        "loyaltyCurrencyId": "currency_789",
        "network": "ethereum",
        "metadata": {},
    },
    {
        "organizationId": "org_123",
        "websiteId": "website_456",
        "name": "Hold Premium NFT",
        "type": "TokenHold",
        "network": "mainnet",
        "collections": [
            {"address": "0xBC4CA0EdA7647A8aB7C2061c2E118A18a936f13D", "network": "mainnet"}
        ],
        "frequency": "daily",
        "interval": "daily",
        "startTime": "2024-01-01T00:00:00Z",
        "endTime": "2024-12-31T23:59:59Z",
        "rewardType": "points",
        "amount": 100,
        "loyaltyCurrencyId": "currency_789",
        "metadata": {
            "hasCustomRewardsUrl": True,
            "customRewardsApiUrl": "https://api.example.com/rewards",
            "customRewardsApiKey": "key_xyz",
        },
    },
    {
        "organizationId": "org_123",
        "websiteId": "website_456",
        "name": "Tweet Challenge",
        "type": "drip_x_new_tweet",
        "network": "ethereum",
        "frequency": "daily",
        "interval": "unlimited",
        "startTime": "2024-01-01T00:00:00Z",
        "rewardType": "points",
        "loyaltyCurrencyId": "currency_789",
        "metadata": {
            "checkText": ["#project", "launch"],
            "requirePostLink": True,
            "requirePostMediaLink": False,
            "range": [
                {"startRange": 1, "endRange": 5, "amount": 10},
                {"startRange": 6, "endRange": 20, "amount": 50},
                {"startRange": 21, "endRange": 9223372036854775807, "amount": 100},
            ],
        },
    },
]

# The "Range Examples" are metadata fragments: each is set as the metadata of the first
# example (TokenHold, the first type that seed 001 lists as supporting ranges).
SEED_RANGE_METADATA: list[tuple[str, dict[str, Any]]] = [
    (
        "points",
        {
            "range": [
                {"startRange": 1, "endRange": 10, "amount": 100},
                {"startRange": 11, "endRange": 50, "amount": 500},
                {"startRange": 51, "endRange": 9223372036854775807, "amount": 1000},
            ]
        },
    ),
    (
        "multiplier",
        {
            "range": [{"startRange": 1, "endRange": 9223372036854775807, "amount": 1.5}],
            "isTokenHoldMultiplier": True,
        },
    ),
]


@pytest.mark.parametrize("example", SEED_EXAMPLES, ids=lambda e: str(e["name"]))
def test_seed_example_is_valid(example: dict[str, Any]) -> None:
    draft, kind = validate(example)
    assert draft.errors == []
    assert kind is not None and kind.name == example["type"]


@pytest.mark.parametrize(("reward", "metadata"), SEED_RANGE_METADATA, ids=["points", "multiplier"])
def test_seed_range_example_is_valid(reward: str, metadata: dict[str, Any]) -> None:
    example = {**SEED_EXAMPLES[0], "rewardType": reward, "metadata": metadata}
    del example["amount"]
    assert errors(example) == []
