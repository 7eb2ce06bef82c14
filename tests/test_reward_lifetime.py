"""``rewardLifetime: dynamic``: rewards of a progress rule follow its progress."""

from httpx import AsyncClient

from loyalty.db import Database
from tests.support import Tenant, create_currency
from tests.test_progress_walkthrough import (
    RULES,
    WALLET,
    badges,
    balance,
    claim,
    held,
    progress,
)


async def dynamic_rule(
    client: AsyncClient, tenant: Tenant, currency: str, badge_ids: list[str], **fields: object
) -> str:
    spans = [(10, 10), (20, 20), (50, 90)]
    body = {
        "name": "Streak badges",
        "type": "external_rule",
        "frequency": "none",
        "interval": "once",
        "startTime": None,
        "loyaltyCurrencyId": currency,
        "rewardType": "badge",
        "rewardLifetime": "dynamic",
        "metadata": {
            "trackProgress": True,
            "rewardBadgePerRange": True,
            "range": [
                {"startRange": s, "endRange": e, "amount": 0, "loyaltyBadgeId": b}
                for (s, e), b in zip(spans, badge_ids, strict=True)
            ],
        },
        **fields,
    }
    response = await client.post(RULES, json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_badges_of_ranges_no_longer_reached_are_revoked_and_can_be_earned_again(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    currency = await create_currency(client, tenant)
    b10, b20, b50 = await badges(database, tenant, ["10", "20", "50"])
    rule_id = await dynamic_rule(client, tenant, currency, [b10, b20, b50])
    await progress(client, tenant, rule_id, 60)
    assert (await claim(client, tenant, rule_id)).status_code == 200
    assert await held(client, tenant) == {b10, b20, b50}

    await progress(client, tenant, rule_id, 15)
    assert await held(client, tenant) == {b10}

    await progress(client, tenant, rule_id, 55)
    assert await held(client, tenant) == {b10}  # progress alone never rewards
    again = await claim(client, tenant, rule_id)
    assert [p["part"] for p in again.json()["paid"]] == ["range:1", "range:2"]
    assert await held(client, tenant) == {b10, b20, b50}
    assert await balance(client, tenant) == 0


async def test_permanent_badges_stay(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    currency = await create_currency(client, tenant)
    badge_ids = await badges(database, tenant, ["10", "20", "50"])
    rule_id = await dynamic_rule(client, tenant, currency, badge_ids, rewardLifetime="permanent")
    await progress(client, tenant, rule_id, 60)
    await claim(client, tenant, rule_id)
    await progress(client, tenant, rule_id, 0)
    assert await held(client, tenant) == set(badge_ids)


async def test_a_dynamic_multiplier_is_taken_back(client: AsyncClient, tenant: Tenant) -> None:
    currency = await create_currency(client, tenant)
    body = {
        "name": "Booster while active",
        "type": "external_rule",
        "frequency": "none",
        "interval": "once",
        "startTime": None,
        "loyaltyCurrencyId": currency,
        "rewardType": "multiplier",
        "rewardLifetime": "dynamic",
        "amount": 2,
        "metadata": {"trackProgress": True},
    }
    created = await client.post(RULES, json=body, headers=tenant.headers)
    assert created.status_code == 201, created.text
    rule_id = created.json()["id"]
    await progress(client, tenant, rule_id, 100)
    assert (await claim(client, tenant, rule_id)).status_code == 200

    async def live() -> list[float]:
        listed = await client.get(
            "/api/loyalty/multipliers", params={"walletAddress": WALLET}, headers=tenant.headers
        )
        return [m["multiplier"] for m in listed.json()["data"]]

    assert await live() == [2]
    await progress(client, tenant, rule_id, 99)
    assert await live() == []
