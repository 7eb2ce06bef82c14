"""Seed 000 end to end: an external rule tracking progress with four reward ranges of 20
points and a badge each; progress updates never reward; each claim pays every range
reached and not yet paid; the rule completes only at 100; the progress is kept 6 days after
fulfilment, then purged, or removed at once with resetProgressOnClaim."""

from datetime import timedelta
from typing import Any

from httpx import AsyncClient, Response

from loyalty.badges.service import create_badge
from loyalty.db import Database
from loyalty.tenancy import repository as tenancy_repository
from loyalty.worker.runner import run_once
from tests.conftest import Clock
from tests.support import Tenant, create_currency, wallet

RULES = "/api/loyalty/rules"
STATUSES = "/api/loyalty/rule_statuses"
WALLET = wallet(7)


async def badges(database: Database, tenant: Tenant, names: list[str]) -> list[str]:
    async with database.writing() as session:
        website = await tenancy_repository.website_in_organization(
            session, tenant.organization_id, tenant.website_id
        )
        assert website is not None
        return [(await create_badge(session, website, name=name)).id for name in names]


async def seed_rule(
    client: AsyncClient, tenant: Tenant, currency: str, badge_ids: list[str], **metadata: Any
) -> str:
    spans = [(10, 10), (20, 20), (50, 90), (100, 100)]
    body = {
        "name": "Progress quest",
        "type": "external_rule",
        "frequency": "none",
        "interval": "once",
        "startTime": None,
        "loyaltyCurrencyId": currency,
        "metadata": {
            "trackProgress": True,
            "rewardBadgePerRange": True,
            "range": [
                {"startRange": s, "endRange": e, "amount": 20, "loyaltyBadgeId": b}
                for (s, e), b in zip(spans, badge_ids, strict=True)
            ],
            **metadata,
        },
    }
    response = await client.post(RULES, json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def progress(client: AsyncClient, tenant: Tenant, rule_id: str, value: int) -> None:
    body = {"loyaltyRuleId": rule_id, "walletAddress": WALLET, "progress": value}
    response = await client.post(STATUSES, json=body, headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.json()["progress"] == value


async def claim(client: AsyncClient, tenant: Tenant, rule_id: str) -> Response:
    return await client.post(
        f"{RULES}/{rule_id}/complete", json={"walletAddress": WALLET}, headers=tenant.headers
    )


async def balance(client: AsyncClient, tenant: Tenant) -> float:
    response = await client.get(
        "/api/loyalty/accounts", params={"walletAddress": WALLET}, headers=tenant.headers
    )
    data = response.json()["data"]
    return float(data[0]["amount"]) if data else 0


async def held(client: AsyncClient, tenant: Tenant) -> set[str]:
    response = await client.get(
        "/api/loyalty/badge_users", params={"walletAddress": WALLET}, headers=tenant.headers
    )
    return {h["loyaltyBadgeId"] for h in response.json()["data"] if h["status"] == "active"}


async def stored_progress(client: AsyncClient, tenant: Tenant, rule_id: str) -> list[int]:
    response = await client.get(STATUSES, params={"loyaltyRuleId": rule_id}, headers=tenant.headers)
    return [s["progress"] for s in response.json()["data"]]


async def test_the_seed_walkthrough(
    client: AsyncClient, tenant: Tenant, database: Database, clock: Clock
) -> None:
    currency = await create_currency(client, tenant)
    b10, b20, b50, b100 = await badges(database, tenant, ["10%", "20%", "50-90%", "100%"])
    rule_id = await seed_rule(client, tenant, currency, [b10, b20, b50, b100])

    before = await claim(client, tenant, rule_id)
    assert before.status_code == 422 and before.json()["code"] == "progress_incomplete"

    await progress(client, tenant, rule_id, 10)
    assert await balance(client, tenant) == 0  # updating progress never rewards
    paid = await claim(client, tenant, rule_id)
    assert paid.json()["paid"] == [{"part": "range:0", "amount": 20, "badgeId": b10}]
    assert (await balance(client, tenant), await held(client, tenant)) == (20, {b10})
    again = await claim(client, tenant, rule_id)
    assert again.status_code == 422 and again.json()["code"] == "nothing_to_claim"

    await progress(client, tenant, rule_id, 20)
    await claim(client, tenant, rule_id)
    assert (await balance(client, tenant), await held(client, tenant)) == (40, {b10, b20})

    await progress(client, tenant, rule_id, 55)
    await claim(client, tenant, rule_id)
    assert await balance(client, tenant) == 60
    assert await held(client, tenant) == {b10, b20, b50}
    # The completion itself only at 100.
    refused = await claim(client, tenant, rule_id)
    assert refused.status_code == 422 and refused.json()["code"] == "nothing_to_claim"

    await progress(client, tenant, rule_id, 100)
    final = await claim(client, tenant, rule_id)
    assert final.json()["paid"] == [
        {"part": "range:3", "amount": 20, "badgeId": b100},
        {"part": "rule", "amount": 0},
    ]
    assert await balance(client, tenant) == 80
    assert await held(client, tenant) == {b10, b20, b50, b100}
    done = await claim(client, tenant, rule_id)
    assert done.status_code == 422 and done.json()["code"] == "rule_already_completed"

    # Kept 6 days after fulfilment, then purged by the worker.
    clock.advance(timedelta(days=6) - timedelta(seconds=1))
    await run_once(database)
    assert await stored_progress(client, tenant, rule_id) == [100]
    clock.advance(timedelta(seconds=1))
    await run_once(database)
    assert await stored_progress(client, tenant, rule_id) == []
    assert await balance(client, tenant) == 80


async def test_a_jump_pays_every_range_reached_at_once(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    currency = await create_currency(client, tenant)
    badge_ids = await badges(database, tenant, ["a", "b", "c", "d"])
    rule_id = await seed_rule(client, tenant, currency, badge_ids)
    await progress(client, tenant, rule_id, 95)
    paid = await claim(client, tenant, rule_id)
    assert [p["part"] for p in paid.json()["paid"]] == ["range:0", "range:1", "range:2"]
    assert await balance(client, tenant) == 60


async def test_reset_on_claim_removes_the_progress_at_once(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    currency = await create_currency(client, tenant)
    badge_ids = await badges(database, tenant, ["a", "b", "c", "d"])
    rule_id = await seed_rule(client, tenant, currency, badge_ids, resetProgressOnClaim=True)
    await progress(client, tenant, rule_id, 100)
    assert (await claim(client, tenant, rule_id)).status_code == 200
    assert await stored_progress(client, tenant, rule_id) == []
    assert await balance(client, tenant) == 80
