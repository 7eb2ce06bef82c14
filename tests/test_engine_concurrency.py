"""The earning pipeline under real parallel requests against two API processes on
PostgreSQL: a rule pays once per period and a milestone once, whatever the concurrency."""

from collections import Counter
from typing import Any

import pytest
from httpx import AsyncClient

from tests.servers import burst
from tests.support import ON_POSTGRES, Tenant, create_currency, wallet

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES, reason="needs PostgreSQL: SQLite runs one writer at a time"
)

RULES = "/api/loyalty/rules"


async def rule(client: AsyncClient, tenant: Tenant, currency: str, **metadata: Any) -> str:
    body = {
        "name": "Once",
        "type": "external_rule",
        "frequency": "none",
        "interval": "once",
        "startTime": None,
        "amount": 10,
        "loyaltyCurrencyId": currency,
        "metadata": metadata,
    }
    if metadata.get("trackProgress"):
        del body["amount"]
    response = await client.post(RULES, json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def balance(client: AsyncClient, tenant: Tenant, n: int) -> float:
    response = await client.get(
        "/api/loyalty/accounts", params={"walletAddress": wallet(n)}, headers=tenant.headers
    )
    data = response.json()["data"]
    return float(data[0]["amount"]) if data else 0


async def test_fifty_parallel_completions_of_a_once_rule_pay_once(
    client: AsyncClient, tenant: Tenant, urls: list[str]
) -> None:
    currency = await create_currency(client, tenant)
    rule_id = await rule(client, tenant, currency)
    body = {"walletAddress": wallet(1)}
    outcomes = await burst(urls, tenant, f"{RULES}/{rule_id}/complete", [body] * 50)
    assert outcomes == Counter({(200, "completed"): 1, (422, "rule_already_completed"): 49})
    assert await balance(client, tenant, 1) == 10


async def test_parallel_claims_of_one_milestone_pay_once(
    client: AsyncClient, tenant: Tenant, urls: list[str]
) -> None:
    currency = await create_currency(client, tenant)
    ranges = [{"startRange": 10, "endRange": 10, "amount": 20}]
    ranges.append({"startRange": 100, "endRange": 100, "amount": 20})
    rule_id = await rule(client, tenant, currency, trackProgress=True, range=ranges)
    set_to = {"loyaltyRuleId": rule_id, "walletAddress": wallet(2), "progress": 10}
    moved = await client.post("/api/loyalty/rule_statuses", json=set_to, headers=tenant.headers)
    assert moved.status_code == 200, moved.text
    body = {"walletAddress": wallet(2)}
    outcomes = await burst(urls, tenant, f"{RULES}/{rule_id}/complete", [body] * 30)
    assert outcomes == Counter({(200, "completed"): 1, (422, "nothing_to_claim"): 29})
    assert await balance(client, tenant, 2) == 20


async def test_parallel_requests_with_one_idempotency_key_complete_once(
    client: AsyncClient, tenant: Tenant, urls: list[str]
) -> None:
    currency = await create_currency(client, tenant)
    rule_id = await rule(client, tenant, currency)
    body = {"walletAddress": wallet(3), "idempotencyKey": "order-42"}
    outcomes = await burst(urls, tenant, f"{RULES}/{rule_id}/complete", [body] * 30)
    assert outcomes == Counter({(200, "completed"): 30})
    assert await balance(client, tenant, 3) == 10
    statuses = await client.get(
        f"{RULES}/status", params={"loyaltyRuleId": rule_id}, headers=tenant.headers
    )
    assert len(statuses.json()["data"]) == 1
