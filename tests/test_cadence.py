"""Cadence rules: an external rule with a custom rewards API is asked by the worker once per
period of its frequency, and the users it names earn the rule through the pipeline."""

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from httpx import AsyncClient
from sqlalchemy import select

from loyalty.db import Database
from loyalty.kit import fetch
from loyalty.worker.models import Job
from loyalty.worker.runner import run_once
from tests.conftest import Clock
from tests.support import Tenant, balance, create_currency, rule, wallet
from tests.test_completions import external as external_rule

URL = "https://rewards.example.com/due"


class RewardsApi:
    """A custom rewards API answering what a test sets, recording what it was asked."""

    def __init__(self) -> None:
        self.answer: Any = []
        self.status = 200
        self.asked: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(request)
        return httpx.Response(self.status, content=json.dumps(self.answer).encode())


@pytest.fixture
def api() -> Iterator[RewardsApi]:
    fake = RewardsApi()
    fetch.TRANSPORT = httpx.MockTransport(fake)
    yield fake
    fetch.TRANSPORT = None


def cadence(currency: str, **fields: Any) -> dict[str, Any]:
    body = {
        "claimType": "auto",
        "frequency": "daily",
        "interval": "daily",
        "customRewardsApiUrl": URL,
        "metadata": {"customRewardsApiKey": "secret-key"},
    }
    return external_rule(currency, **{**body, **fields})


async def registered(client: AsyncClient, tenant: Tenant, n: int) -> str:
    response = await client.post(
        "/api/users/metadatas", json={"walletAddress": wallet(n)}, headers=tenant.headers
    )
    assert response.status_code in (200, 201), response.text
    return str(response.json()["user"]["id"])


async def sweep(database: Database) -> None:
    """Two worker passes: the scheduler enqueues the sweeps, the next pass runs them."""
    await run_once(database)
    await run_once(database)


async def test_users_named_by_the_api_earn_once_per_period(
    client: AsyncClient, tenant: Tenant, database: Database, api: RewardsApi, clock: Clock
) -> None:
    currency = await create_currency(client, tenant)
    rule_id = await rule(client, tenant, cadence(currency))
    known = await registered(client, tenant, 2)
    api.answer = [
        {"walletAddress": wallet(1), "amount": 25},
        {"userId": known},
        {"userId": "not-a-user-of-this-website"},
    ]
    await sweep(database)
    assert await balance(client, tenant, 1) == 25
    assert await balance(client, tenant, 2) == 10
    mine = [r for r in api.asked if r.url.params.get("loyaltyRuleId") == rule_id]
    assert len(mine) == 1
    assert mine[0].headers["X-API-KEY"] == "secret-key"

    await sweep(database)  # the same day: not asked again
    assert len([r for r in api.asked if r.url.params.get("loyaltyRuleId") == rule_id]) == 1

    clock.advance(timedelta(days=1))
    await sweep(database)
    assert await balance(client, tenant, 1) == 50
    assert await balance(client, tenant, 2) == 20


async def test_the_interval_still_holds_when_the_api_names_a_user_twice(
    client: AsyncClient, tenant: Tenant, database: Database, api: RewardsApi, clock: Clock
) -> None:
    currency = await create_currency(client, tenant)
    await rule(client, tenant, cadence(currency, frequency="daily", interval="once"))
    api.answer = {"data": [{"walletAddress": wallet(1)}, {"walletAddress": wallet(1)}]}
    await sweep(database)
    clock.advance(timedelta(days=1))
    await sweep(database)
    assert await balance(client, tenant, 1) == 10


async def test_a_failing_api_pays_nothing_and_the_job_is_retried(
    client: AsyncClient, tenant: Tenant, database: Database, api: RewardsApi, clock: Clock
) -> None:
    currency = await create_currency(client, tenant)
    rule_id = await rule(client, tenant, cadence(currency))
    api.status = 500
    api.answer = [{"walletAddress": wallet(1)}]
    await sweep(database)
    assert await balance(client, tenant, 1) == 0
    async with database.reading() as session:
        jobs = (await session.scalars(select(Job).where(Job.kind == "sweep_rule"))).all()
    mine = [j for j in jobs if j.payload["ruleId"] == rule_id]
    assert len(mine) == 1 and mine[0].status == "queued" and mine[0].attempts == 1
    assert "answered HTTP 500" in (mine[0].last_error or "")

    api.status = 200
    clock.advance(timedelta(hours=1))  # past the retry's back-off
    await sweep(database)
    assert await balance(client, tenant, 1) == 10


async def test_an_answer_that_is_not_rewards_fails_the_try(
    client: AsyncClient, tenant: Tenant, database: Database, api: RewardsApi, clock: Clock
) -> None:
    currency = await create_currency(client, tenant)
    await rule(client, tenant, cadence(currency))
    api.answer = [{"amount": 5}]  # nobody named
    await sweep(database)
    assert await balance(client, tenant, 1) == 0


async def test_rules_not_started_or_manual_are_not_swept(
    client: AsyncClient, tenant: Tenant, database: Database, api: RewardsApi, clock: Clock
) -> None:
    currency = await create_currency(client, tenant)
    later = (clock.now + timedelta(days=2)).isoformat()
    rule_id = await rule(client, tenant, cadence(currency, startTime=later))
    api.answer = [{"walletAddress": wallet(1)}]
    await sweep(database)
    assert not [r for r in api.asked if r.url.params.get("loyaltyRuleId") == rule_id]
    clock.advance(timedelta(days=3))
    await sweep(database)
    assert await balance(client, tenant, 1) == 10


async def test_a_custom_rewards_api_needs_auto_claims_and_a_cadence(
    client: AsyncClient, tenant: Tenant
) -> None:
    currency = await create_currency(client, tenant)
    body = cadence(currency, claimType="manual", frequency="immediately")
    response = await client.post("/api/loyalty/rules", json=body, headers=tenant.headers)
    assert response.status_code == 400, response.text
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"claimType", "frequency"} <= fields
