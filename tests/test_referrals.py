"""Referrals (referred_user rules): codes (create-or-get), referring users (the API and a
code given when a user is saved), requirements met at once or late, the referrer's reward,
shares of a referred user's earnings for two levels, and every refusal."""

from collections import Counter
from typing import Any

import pytest
from httpx import AsyncClient, Response

from tests.servers import burst
from tests.support import ON_POSTGRES, Tenant, create_currency, wallet

RULES = "/api/loyalty/rules"
CODES = "/api/referral/codes"
REFERRALS = "/api/referral/users"
METADATA = "/api/users/metadatas"


def referral_rule(currency: str, **metadata: Any) -> dict[str, Any]:
    return {
        "name": "Invite a friend",
        "type": "referred_user",
        "frequency": "none",
        "interval": "once",
        "startTime": None,
        "amount": 10,
        "loyaltyCurrencyId": currency,
        "metadata": {"referrerReward": 25, **metadata},
    }


def external_rule(currency: str, amount: float) -> dict[str, Any]:
    return {
        "name": "Bought a ticket",
        "type": "external_rule",
        "frequency": "none",
        "interval": "unlimited",
        "startTime": None,
        "amount": amount,
        "loyaltyCurrencyId": currency,
        "metadata": {},
    }


async def create_rule(client: AsyncClient, tenant: Tenant, body: dict[str, Any]) -> str:
    response = await client.post(RULES, json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def save_user(client: AsyncClient, tenant: Tenant, n: int, **fields: Any) -> Response:
    body = {"walletAddress": wallet(n), **fields}
    return await client.post(METADATA, json=body, headers=tenant.headers)


async def user(client: AsyncClient, tenant: Tenant, n: int, **fields: Any) -> str:
    response = await save_user(client, tenant, n, **fields)
    assert response.status_code == 200, response.text
    return str(response.json()["user"]["id"])


async def code(
    client: AsyncClient, tenant: Tenant, rule_id: str, user_id: str, **fields: Any
) -> Response:
    body = {"loyaltyRuleId": rule_id, "userId": user_id, **fields}
    return await client.post(CODES, json=body, headers=tenant.headers)


async def code_of(client: AsyncClient, tenant: Tenant, rule_id: str, user_id: str) -> str:
    response = await code(client, tenant, rule_id, user_id)
    assert response.status_code == 200, response.text
    return str(response.json()["referralCode"])


async def refer(client: AsyncClient, tenant: Tenant, referral_code: str, *users: str) -> Response:
    body = {"userIds": list(users), "referralCode": referral_code}
    return await client.post(REFERRALS, json=body, headers=tenant.headers)


async def referred(client: AsyncClient, tenant: Tenant, referral_code: str, *users: str) -> None:
    response = await refer(client, tenant, referral_code, *users)
    assert response.status_code == 200, response.text


async def balance(client: AsyncClient, tenant: Tenant, n: int, currency: str) -> float:
    response = await client.get(
        "/api/loyalty/accounts",
        params={"walletAddress": wallet(n), "loyaltyCurrencyId": currency},
        headers=tenant.headers,
    )
    data = response.json()["data"]
    return float(data[0]["amount"]) if data else 0


async def balances(client: AsyncClient, tenant: Tenant, currency: str, *ns: int) -> list[float]:
    return [await balance(client, tenant, n, currency) for n in ns]


async def referrals(client: AsyncClient, tenant: Tenant, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(REFERRALS, params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


async def earn(client: AsyncClient, tenant: Tenant, rule_id: str, n: int) -> None:
    response = await client.post(
        f"{RULES}/{rule_id}/complete", json={"walletAddress": wallet(n)}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text


def refused(response: Response, code: str) -> None:
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code, response.text


def bad_fields(response: Response) -> set[str]:
    assert response.status_code == 400, response.text
    return {e["field"] for e in response.json()["errors"]}


@pytest.fixture
async def currency(client: AsyncClient, tenant: Tenant) -> str:
    return await create_currency(client, tenant)


@pytest.fixture
async def program(client: AsyncClient, tenant: Tenant, currency: str) -> str:
    """A referral rule without requirements: 10 for the referred user, 25 for the referrer."""
    return await create_rule(client, tenant, referral_rule(currency))


async def test_a_code_is_created_once(client: AsyncClient, tenant: Tenant, program: str) -> None:
    alice, bob = await user(client, tenant, 1), await user(client, tenant, 2)
    first = await code(client, tenant, program, alice)
    assert first.status_code == 200, first.text
    made = first.json()
    assert len(made["referralCode"]) == 8
    assert made["userId"] == alice
    assert made["loyaltyRuleId"] == program
    assert made["websiteId"] == tenant.website_id
    assert made["organizationId"] == tenant.organization_id
    assert made["deletedAt"] is None
    again = await code(client, tenant, program, alice)
    assert again.json() == made
    custom = await code(client, tenant, program, bob, customReferralCode="BOB-2024")
    assert custom.json()["referralCode"] == "BOB-2024"
    same = await code(client, tenant, program, bob, customReferralCode="BOB-2024")
    assert same.json()["id"] == custom.json()["id"]
    assert (await code(client, tenant, program, bob)).json()["id"] == custom.json()["id"]


async def test_code_refusals(
    client: AsyncClient, tenant: Tenant, program: str, currency: str
) -> None:
    alice, bob = await user(client, tenant, 1), await user(client, tenant, 2)
    await code(client, tenant, program, alice, customReferralCode="ALICE")
    refused(
        await code(client, tenant, program, bob, customReferralCode="ALICE"), "referral_code_taken"
    )
    refused(
        await code(client, tenant, program, alice, customReferralCode="OTHER"),
        "referral_code_exists",
    )
    assert bad_fields(await code(client, tenant, program, bob, customReferralCode="a b")) == {
        "customReferralCode"
    }
    assert bad_fields(await code(client, tenant, program, bob, customReferralCode="ab")) == {
        "customReferralCode"
    }
    missing = await client.post(CODES, json={"loyaltyRuleId": program}, headers=tenant.headers)
    assert bad_fields(missing) == {"userId"}
    other = await create_rule(client, tenant, external_rule(currency, 5))
    assert bad_fields(await code(client, tenant, other, bob)) == {"loyaltyRuleId"}
    unknown_rule = await code(client, tenant, "0190d5d0-0000-7000-8000-000000000000", bob)
    assert unknown_rule.status_code == 404, unknown_rule.text
    unknown_user = await code(client, tenant, program, "0190d5d0-0000-7000-8000-000000000000")
    assert bad_fields(unknown_user) == {"userId"}
    assert bad_fields(await code(client, tenant, program, bob, websiteId="elsewhere")) == {
        "websiteId"
    }
    # Bob still has no code: the refused calls created nothing.
    assert (await code(client, tenant, program, bob, customReferralCode="BOBBY")).status_code == 200


async def test_a_referral_without_requirements_pays_both_at_once(
    client: AsyncClient, tenant: Tenant, program: str, currency: str
) -> None:
    alice, bob = await user(client, tenant, 1), await user(client, tenant, 2)
    alice_code = await code_of(client, tenant, program, alice)
    response = await refer(client, tenant, alice_code, bob)
    assert response.status_code == 200, response.text
    assert response.json() == {"message": "1 user(s) referred"}
    assert await balances(client, tenant, currency, 1, 2) == [25, 10]
    # Asking again with the same code changes nothing and pays nothing again.
    await referred(client, tenant, alice_code, bob)
    assert await balances(client, tenant, currency, 1, 2) == [25, 10]
    (listed,) = await referrals(client, tenant)
    assert listed["user"] == {"id": bob, "walletAddress": wallet(2)}
    assert listed["referralCode"]["userId"] == alice
    assert listed["referralCode"]["referralCode"] == alice_code
    assert listed["referralCode"]["loyaltyRuleId"] == program
    assert (listed["amount"], listed["tier1Amount"], listed["tier2Amount"]) == (25, 0, 0)
    assert listed["eligible"] is True
    statuses = await client.get(
        "/api/loyalty/rules/status", params={"userId": bob}, headers=tenant.headers
    )
    assert [s["status"] for s in statuses.json()["data"]] == ["completed"]
    # The rule completes once: a completion request for Bob is refused.
    again = await client.post(
        f"{RULES}/{program}/complete", json={"userId": bob}, headers=tenant.headers
    )
    assert again.status_code == 422, again.text
    assert await balances(client, tenant, currency, 1, 2) == [25, 10]


async def test_referral_by_code_id_and_several_users(
    client: AsyncClient, tenant: Tenant, program: str, currency: str
) -> None:
    alice = await user(client, tenant, 1)
    bob, carol = await user(client, tenant, 2), await user(client, tenant, 3)
    made = (await code(client, tenant, program, alice)).json()
    body = {"userIds": [bob, carol], "referralCodeId": made["id"]}
    response = await client.post(REFERRALS, json=body, headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert await balances(client, tenant, currency, 1, 2, 3) == [50, 10, 10]
    assert [r["user"]["id"] for r in await referrals(client, tenant)] == [bob, carol]


async def test_the_referrer_reward_in_its_own_currency(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    gems = await create_currency(client, tenant, name="Gems", symbol="GEM", decimals=2)
    body = referral_rule(currency, referrerReward=1.5, referrerRewardLoyaltyCurrencyId=gems)
    rule_id = await create_rule(client, tenant, body)
    alice, bob = await user(client, tenant, 1), await user(client, tenant, 2)
    await referred(client, tenant, await code_of(client, tenant, rule_id, alice), bob)
    assert await balances(client, tenant, gems, 1, 2) == [1.5, 0]
    assert await balances(client, tenant, currency, 1, 2) == [0, 10]
    (listed,) = await referrals(client, tenant)
    assert listed["amount"] == 1.5


async def test_profile_requirements_met_late(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    requirements = {"completeProfile": True, "connectTwitter": True, "connectDiscord": True}
    rule_id = await create_rule(
        client, tenant, referral_rule(currency, referralRequirements=requirements)
    )
    alice, bob = await user(client, tenant, 1), await user(client, tenant, 2)
    await referred(client, tenant, await code_of(client, tenant, rule_id, alice), bob)
    assert await balances(client, tenant, currency, 1, 2) == [0, 0]
    (listed,) = await referrals(client, tenant)
    assert listed["eligible"] is False
    await user(client, tenant, 2, twitterUser="bob", discordUser="bob#1")
    assert await balances(client, tenant, currency, 1, 2) == [0, 0]
    asked = await client.post(
        f"{RULES}/{rule_id}/complete", json={"userId": bob}, headers=tenant.headers
    )
    refused(asked, "referral_requirements_unmet")
    assert "complete profile" in asked.json()["message"]
    profile = {"displayName": "Bob", "emailAddress": "bob@example.com", "bio": "hi"}
    await user(client, tenant, 2, logoUrl="https://example.com/bob.png", **profile)
    assert await balances(client, tenant, currency, 1, 2) == [25, 10]
    assert (await referrals(client, tenant))[0]["eligible"] is True
    # Later saves pay nothing again.
    await user(client, tenant, 2, bio="still me")
    assert await balances(client, tenant, currency, 1, 2) == [25, 10]


async def test_email_requirement_met_at_referral(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    requirements = {"connectEmail": True}
    rule_id = await create_rule(
        client, tenant, referral_rule(currency, referralRequirements=requirements)
    )
    alice = await user(client, tenant, 1)
    bob = await user(client, tenant, 2, emailAddress="bob@example.com")
    await referred(client, tenant, await code_of(client, tenant, rule_id, alice), bob)
    assert await balances(client, tenant, currency, 1, 2) == [25, 10]


async def test_points_requirement_met_late_by_earning(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    requirements = {"achievePoints": True, "points": {"amount": 50}}
    rule_id = await create_rule(
        client, tenant, referral_rule(currency, referralRequirements=requirements)
    )
    ticket = await create_rule(client, tenant, external_rule(currency, 30))
    alice, bob = await user(client, tenant, 1), await user(client, tenant, 2)
    await referred(client, tenant, await code_of(client, tenant, rule_id, alice), bob)
    await earn(client, tenant, ticket, 2)
    assert await balances(client, tenant, currency, 1, 2) == [0, 30]
    await earn(client, tenant, ticket, 2)
    assert await balances(client, tenant, currency, 1, 2) == [25, 70]
    await earn(client, tenant, ticket, 2)
    assert await balances(client, tenant, currency, 1, 2) == [25, 100]


async def test_points_requirement_in_another_currency(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    xp = await create_currency(client, tenant, name="XP", symbol="XP")
    requirements = {"achievePoints": True, "points": {"amount": 5, "loyaltyCurrecyId": xp}}
    rule_id = await create_rule(
        client, tenant, referral_rule(currency, referralRequirements=requirements)
    )
    points, quests = (
        await create_rule(client, tenant, external_rule(currency, 100)),
        await create_rule(client, tenant, external_rule(xp, 5)),
    )
    alice, bob = await user(client, tenant, 1), await user(client, tenant, 2)
    await referred(client, tenant, await code_of(client, tenant, rule_id, alice), bob)
    await earn(client, tenant, points, 2)
    assert await balance(client, tenant, 1, currency) == 0
    await earn(client, tenant, quests, 2)
    assert await balances(client, tenant, currency, 1, 2) == [25, 110]


async def test_a_code_given_when_the_user_is_saved(
    client: AsyncClient, tenant: Tenant, program: str, currency: str
) -> None:
    alice = await user(client, tenant, 1)
    alice_code = await code_of(client, tenant, program, alice)
    saved = await save_user(client, tenant, 2, displayName="Bob", referralCode=alice_code)
    assert saved.status_code == 200, saved.text
    assert "referralCode" not in saved.json()
    assert await balances(client, tenant, currency, 1, 2) == [25, 10]
    again = await save_user(client, tenant, 2, referralCode=alice_code)
    assert again.status_code == 200, again.text
    assert await balances(client, tenant, currency, 1, 2) == [25, 10]
    # An unknown code is refused and the new user is not created.
    unknown = await save_user(client, tenant, 3, displayName="Carol", referralCode="NOPE")
    refused(unknown, "referral_code_not_found")
    users = await client.get(
        "/api/users", params={"walletAddress": wallet(3)}, headers=tenant.headers
    )
    assert users.json()["data"] == []
    refused(await save_user(client, tenant, 1, referralCode=alice_code), "self_referral")


async def test_referral_refusals_change_nothing(
    client: AsyncClient, tenant: Tenant, program: str, currency: str
) -> None:
    alice, bob = await user(client, tenant, 1), await user(client, tenant, 2)
    carol, dave = await user(client, tenant, 3), await user(client, tenant, 4)
    alice_code = await code_of(client, tenant, program, alice)
    refused(await refer(client, tenant, alice_code, alice), "self_referral")
    refused(await refer(client, tenant, "UNKNOWN", bob), "referral_code_not_found")
    # All or nothing: Dave is not referred because Alice cannot be.
    refused(await refer(client, tenant, alice_code, dave, alice), "self_referral")
    await referred(client, tenant, alice_code, bob)
    carol_code = await code_of(client, tenant, program, carol)
    refused(await refer(client, tenant, carol_code, bob), "user_already_referred")
    assert [r["user"]["id"] for r in await referrals(client, tenant)] == [bob]
    assert await balances(client, tenant, currency, 1, 2, 3, 4) == [25, 10, 0, 0]


async def test_a_cycle_is_refused(client: AsyncClient, tenant: Tenant, program: str) -> None:
    alice, bob, carol = [await user(client, tenant, n) for n in (1, 2, 3)]
    await referred(client, tenant, await code_of(client, tenant, program, alice), bob)
    bob_code = await code_of(client, tenant, program, bob)
    refused(await refer(client, tenant, bob_code, alice), "referral_cycle")
    await referred(client, tenant, bob_code, carol)
    carol_code = await code_of(client, tenant, program, carol)
    refused(await refer(client, tenant, carol_code, alice), "referral_cycle")
    assert len(await referrals(client, tenant)) == 2


async def test_referral_bad_fields(client: AsyncClient, tenant: Tenant, program: str) -> None:
    alice, bob = await user(client, tenant, 1), await user(client, tenant, 2)
    alice_code = await code_of(client, tenant, program, alice)

    async def post(body: dict[str, Any]) -> Response:
        return await client.post(REFERRALS, json=body, headers=tenant.headers)

    both = await post({"userIds": [bob], "referralCode": alice_code, "referralCodeId": "x"})
    assert both.status_code == 400, both.text
    neither = await post({"userIds": [bob]})
    assert neither.status_code == 400, neither.text
    assert "userIds" in bad_fields(await post({"userIds": [], "referralCode": alice_code}))
    assert bad_fields(await post({"referralCode": alice_code})) == {"userIds"}
    repeated = await post({"userIds": [bob, bob], "referralCode": alice_code})
    assert repeated.status_code == 400, repeated.text
    unknown = await post({"userIds": [bob, "nobody"], "referralCode": alice_code})
    assert bad_fields(unknown) == {"userIds[1]"}
    assert await referrals(client, tenant) == []


async def test_shares_of_earnings_for_two_levels(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    body = referral_rule(currency, firstReferralReward=10, secondReferralReward=5)
    rule_id = await create_rule(client, tenant, body)
    ticket = await create_rule(client, tenant, external_rule(currency, 100))
    small = await create_rule(client, tenant, external_rule(currency, 15))
    alice, bob, carol = [await user(client, tenant, n) for n in (1, 2, 3)]
    await referred(client, tenant, await code_of(client, tenant, rule_id, alice), bob)
    await referred(client, tenant, await code_of(client, tenant, rule_id, bob), carol)
    # The referral rewards themselves are not shared.
    assert await balances(client, tenant, currency, 1, 2, 3) == [25, 35, 10]
    await earn(client, tenant, ticket, 3)
    assert await balances(client, tenant, currency, 1, 2, 3) == [30, 45, 110]
    # Rounded down: 10% of 15 is 1, 5% of 15 is 0.
    await earn(client, tenant, small, 3)
    assert await balances(client, tenant, currency, 1, 2, 3) == [30, 46, 125]
    # Bob's own earnings: Alice is his first level; nobody above her.
    await earn(client, tenant, ticket, 2)
    assert await balances(client, tenant, currency, 1, 2) == [40, 146]
    by_user = {r["user"]["id"]: r for r in await referrals(client, tenant)}
    assert (by_user[carol]["tier1Amount"], by_user[carol]["tier2Amount"]) == (11, 5)
    assert (by_user[bob]["tier1Amount"], by_user[bob]["tier2Amount"]) == (10, 0)


async def test_shares_only_of_eligible_referrals_in_the_rule_currency(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    xp = await create_currency(client, tenant, name="XP", symbol="XP")
    body = referral_rule(
        currency, firstReferralReward=50, referralRequirements={"connectTwitter": True}
    )
    rule_id = await create_rule(client, tenant, body)
    ticket = await create_rule(client, tenant, external_rule(currency, 100))
    quest = await create_rule(client, tenant, external_rule(xp, 100))
    alice, bob = await user(client, tenant, 1), await user(client, tenant, 2)
    await referred(client, tenant, await code_of(client, tenant, rule_id, alice), bob)
    await earn(client, tenant, ticket, 2)
    assert await balance(client, tenant, 1, currency) == 0
    await user(client, tenant, 2, twitterUser="bob")
    assert await balance(client, tenant, 1, currency) == 25
    await earn(client, tenant, quest, 2)
    assert await balance(client, tenant, 1, xp) == 0
    await earn(client, tenant, ticket, 2)
    assert await balance(client, tenant, 1, currency) == 75


async def test_completing_a_referral_rule_needs_a_referral(
    client: AsyncClient, tenant: Tenant, program: str
) -> None:
    bob = await user(client, tenant, 2)
    response = await client.post(
        f"{RULES}/{program}/complete", json={"userId": bob}, headers=tenant.headers
    )
    refused(response, "not_referred")


async def test_a_deleted_rule_has_no_codes(
    client: AsyncClient, tenant: Tenant, program: str
) -> None:
    alice, bob = await user(client, tenant, 1), await user(client, tenant, 2)
    alice_code = await code_of(client, tenant, program, alice)
    deleted = await client.delete(f"{RULES}/{program}", headers=tenant.headers)
    assert deleted.status_code == 200, deleted.text
    refused(await refer(client, tenant, alice_code, bob), "referral_code_not_found")


async def test_list_filters_and_pages(
    client: AsyncClient, tenant: Tenant, program: str, currency: str
) -> None:
    other = await create_rule(client, tenant, referral_rule(currency, referrerReward=1))
    alice, bob = await user(client, tenant, 1), await user(client, tenant, 2)
    carol, dave = await user(client, tenant, 3), await user(client, tenant, 4)
    await referred(client, tenant, await code_of(client, tenant, program, alice), bob, carol)
    await referred(client, tenant, await code_of(client, tenant, other, bob), dave)
    assert len(await referrals(client, tenant)) == 3
    by_rule = await referrals(client, tenant, loyaltyRuleId=other)
    assert [r["user"]["id"] for r in by_rule] == [dave]
    by_wallet = await referrals(client, tenant, walletAddress=wallet(1))
    assert [r["user"]["id"] for r in by_wallet] == [bob, carol]
    by_user = await referrals(client, tenant, userId=bob)
    assert [r["user"]["id"] for r in by_user] == [dave]
    first = await client.get(REFERRALS, params={"limit": 2}, headers=tenant.headers)
    page = first.json()
    assert page["hasNextPage"] is True
    rest = await referrals(client, tenant, startingAfter=page["data"][-1]["id"])
    assert [r["user"]["id"] for r in rest] == [dave]


async def test_blocked_users_are_not_rewarded(
    client: AsyncClient, tenant: Tenant, program: str, currency: str
) -> None:
    alice, bob = await user(client, tenant, 1), await user(client, tenant, 2, isBlocked=True)
    alice_code = await code_of(client, tenant, program, alice)
    await referred(client, tenant, alice_code, bob)
    assert await balances(client, tenant, currency, 1, 2) == [0, 0]
    await user(client, tenant, 2, isBlocked=False)
    assert await balances(client, tenant, currency, 1, 2) == [25, 10]
    carol = await user(client, tenant, 3)
    await user(client, tenant, 1, isBlocked=True)
    await referred(client, tenant, alice_code, carol)
    assert await balances(client, tenant, currency, 1, 3) == [25, 10]
    assert (await referrals(client, tenant))[1]["amount"] == 0


on_postgres = pytest.mark.skipif(
    not ON_POSTGRES, reason="needs PostgreSQL: SQLite runs one writer at a time"
)


@on_postgres
async def test_parallel_referrals_never_close_a_cycle(
    client: AsyncClient,
    tenant: Tenant,
    program: str,
    urls: list[str],
) -> None:
    """Pairs of users refer each other at the same moment, through two API processes:
    one of each pair is referred, the other refused."""
    users = [await user(client, tenant, n) for n in range(1, 17)]
    codes = [await code_of(client, tenant, program, u) for u in users]
    bodies = []
    for a in range(0, len(users), 2):
        bodies.append({"userIds": [users[a + 1]], "referralCode": codes[a]})
        bodies.append({"userIds": [users[a]], "referralCode": codes[a + 1]})
    outcomes = await burst(urls, tenant, REFERRALS, bodies)
    assert outcomes == Counter({(200, None): 8, (422, "referral_cycle"): 8})
    assert len(await referrals(client, tenant)) == 8


@on_postgres
async def test_parallel_profile_saves_reward_a_referral_once(
    client: AsyncClient,
    tenant: Tenant,
    currency: str,
    urls: list[str],
) -> None:
    requirements = {"connectTwitter": True}
    rule_id = await create_rule(
        client, tenant, referral_rule(currency, referralRequirements=requirements)
    )
    alice, bob = await user(client, tenant, 1), await user(client, tenant, 2)
    await referred(client, tenant, await code_of(client, tenant, rule_id, alice), bob)
    body = {"walletAddress": wallet(2), "twitterUser": "bob"}
    outcomes = await burst(urls, tenant, METADATA, [body] * 20)
    assert outcomes == Counter({(200, None): 20})
    assert await balances(client, tenant, currency, 1, 2) == [25, 10]


async def listed_referrers(
    client: AsyncClient, tenant: Tenant, user_id: str
) -> list[dict[str, Any]]:
    response = await client.get("/api/users", params={"userId": user_id}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    referrers: list[dict[str, Any]] = response.json()["data"][0]["referrers"]
    return referrers


async def test_users_list_their_referrer(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    requirements = {"connectTwitter": True}
    rule_id = await create_rule(
        client, tenant, referral_rule(currency, referralRequirements=requirements)
    )
    alice, bob = await user(client, tenant, 1), await user(client, tenant, 2)
    assert await listed_referrers(client, tenant, bob) == []
    await referred(client, tenant, await code_of(client, tenant, rule_id, alice), bob)
    expected = {
        "eligible": False,
        "referralCode": {"user": {"id": alice, "walletAddress": wallet(1).lower()}},
        "user": {"id": bob, "walletAddress": wallet(2).lower()},
    }
    assert await listed_referrers(client, tenant, bob) == [expected]
    await user(client, tenant, 2, twitterUser="bob")
    assert await listed_referrers(client, tenant, bob) == [{**expected, "eligible": True}]
    assert await listed_referrers(client, tenant, alice) == []
