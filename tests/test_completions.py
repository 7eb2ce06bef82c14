"""Completing rules: the pipeline's eligibility (time window, blocked users, intervals as
calendar periods of the website's time zone, caps), rewards (points, multipliers, badges),
the status list, idempotency and verify-only."""

from datetime import UTC, datetime
from typing import Any

import pytest
from httpx import AsyncClient

from loyalty.badges.service import create_badge
from loyalty.db import Database
from loyalty.tenancy import repository as tenancy_repository
from tests.conftest import Clock
from tests.support import (
    RULES,
    Tenant,
    balance,
    complete,
    create_currency,
    create_tenant,
    refused,
    rule,
    wallet,
)

STATUS = "/api/loyalty/rules/status"


def external(currency: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": "Bought a ticket",
        "type": "external_rule",
        "frequency": "none",
        "interval": "once",
        "startTime": None,
        "amount": 10,
        "loyaltyCurrencyId": currency,
        "metadata": {},
        **fields,
    }


@pytest.fixture
async def currency(client: AsyncClient, tenant: Tenant) -> str:
    return await create_currency(client, tenant)


async def test_a_once_rule_pays_once(client: AsyncClient, tenant: Tenant, currency: str) -> None:
    rule_id = await rule(client, tenant, external(currency))
    first = await complete(client, tenant, rule_id)
    assert first.status_code == 200, first.text
    answer = first.json()
    assert answer["message"] == "Completion request added to queue"
    assert answer["status"] == "completed"
    assert answer["paid"] == [{"part": "rule", "amount": 10}]
    assert await balance(client, tenant) == 10
    message = refused(await complete(client, tenant, rule_id), "rule_already_completed")
    assert message == "You have already completed this rule"
    assert await balance(client, tenant) == 10
    statuses = (await client.get(STATUS, headers=tenant.headers)).json()["data"]
    assert [(s["status"], s["message"]) for s in statuses] == [
        ("failed", "You have already completed this rule"),
        ("completed", "Completed"),
    ]
    assert all(s["loyaltyRuleId"] == rule_id for s in statuses)


async def test_entries_carry_the_rule_that_paid_them(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(client, tenant, external(currency, description="Any ticket"))
    await complete(client, tenant, rule_id)
    entries = await client.get("/api/loyalty/transaction_entries", headers=tenant.headers)
    (entry,) = entries.json()["data"]
    assert entry["loyaltyTransaction"]["loyaltyRule"] == {
        "id": rule_id,
        "type": "external_rule",
        "name": "Bought a ticket",
        "description": "Any ticket",
        "metadata": {},
    }
    assert entry["loyaltyTransaction"]["type"] == "loyalty_rule"
    filtered = await client.get(
        "/api/loyalty/transaction_entries",
        params={"loyaltyRuleId": rule_id},
        headers=tenant.headers,
    )
    assert [e["id"] for e in filtered.json()["data"]] == [entry["id"]]


async def test_daily_periods_follow_the_websites_time_zone(
    client: AsyncClient, database: Database, clock: Clock
) -> None:
    tenant = await create_tenant(database, time_zone="America/New_York")
    currency = await create_currency(client, tenant)
    rule_id = await rule(client, tenant, external(currency, interval="daily", frequency="daily"))
    # 23:30 on 7 March in New York (04:30 UTC on the 8th), then 00:30 local on the 8th.
    clock.now = datetime(2026, 3, 8, 4, 30, tzinfo=UTC)
    assert (await complete(client, tenant, rule_id)).status_code == 200
    clock.now = datetime(2026, 3, 8, 5, 30, tzinfo=UTC)
    assert (await complete(client, tenant, rule_id)).status_code == 200
    # 8 March is the 23-hour day of the spring change: 23:59 local is 03:59 UTC on the 9th.
    clock.now = datetime(2026, 3, 9, 3, 59, tzinfo=UTC)
    message = refused(await complete(client, tenant, rule_id), "rule_already_completed")
    assert message == "You have already completed this rule today"
    clock.now = datetime(2026, 3, 9, 4, 0, tzinfo=UTC)  # midnight, 9 March, local
    assert (await complete(client, tenant, rule_id)).status_code == 200
    assert await balance(client, tenant) == 30


async def test_weekly_and_monthly_periods(
    client: AsyncClient, tenant: Tenant, currency: str, clock: Clock
) -> None:
    weekly = await rule(client, tenant, external(currency, name="W", interval="weekly"))
    monthly = await rule(client, tenant, external(currency, name="M", interval="monthly"))
    clock.now = datetime(2026, 11, 29, 23, 0, tzinfo=UTC)  # a Sunday, the last of November
    for rule_id in (weekly, monthly):
        assert (await complete(client, tenant, rule_id)).status_code == 200
        refused(await complete(client, tenant, rule_id), "rule_already_completed")
    clock.now = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # Monday: a new week, same month
    assert (await complete(client, tenant, weekly)).status_code == 200
    refused(await complete(client, tenant, monthly), "rule_already_completed")
    clock.now = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert (await complete(client, tenant, monthly)).status_code == 200


async def test_custom_periods_are_whole_days(
    client: AsyncClient, tenant: Tenant, currency: str, clock: Clock
) -> None:
    body = external(currency, interval="custom", metadata={"customIntervalDays": 3})
    rule_id = await rule(client, tenant, body)
    clock.now = datetime(2026, 1, 1, 12, tzinfo=UTC)  # day 20454 since 1970: 6818 * 3
    assert (await complete(client, tenant, rule_id)).status_code == 200
    clock.now = datetime(2026, 1, 3, 23, tzinfo=UTC)
    refused(await complete(client, tenant, rule_id), "rule_already_completed")
    clock.now = datetime(2026, 1, 4, 0, tzinfo=UTC)
    assert (await complete(client, tenant, rule_id)).status_code == 200


async def test_the_cap_pays_a_partial_amount_then_refuses(
    client: AsyncClient, database: Database, clock: Clock
) -> None:
    tenant = await create_tenant(database, time_zone="Asia/Tokyo")
    currency = await create_currency(client, tenant)
    body = external(
        currency, interval="unlimited", maxAmountPerInterval=25, maxAmountInterval="daily"
    )
    rule_id = await rule(client, tenant, body)
    clock.now = datetime(2026, 5, 1, 10, tzinfo=UTC)  # 19:00 in Tokyo
    paid = [(await complete(client, tenant, rule_id)).json()["paid"][0]["amount"] for _ in "ab"]
    partial = await complete(client, tenant, rule_id)
    assert [*paid, partial.json()["paid"][0]["amount"]] == [10, 10, 5]
    message = refused(await complete(client, tenant, rule_id), "rule_limit_reached")
    assert message == "The most this rule pays per day has been earned"
    clock.now = datetime(2026, 5, 1, 15, tzinfo=UTC)  # midnight in Tokyo: a new day
    assert (await complete(client, tenant, rule_id)).json()["paid"][0]["amount"] == 10
    assert await balance(client, tenant) == 35


async def test_the_rules_time_window(
    client: AsyncClient, tenant: Tenant, currency: str, clock: Clock
) -> None:
    clock.now = datetime(2026, 6, 1, tzinfo=UTC)
    body = external(currency, startTime="2026-06-02T00:00:00Z", endTime="2026-06-03T00:00:00Z")
    rule_id = await rule(client, tenant, body)
    assert refused(await complete(client, tenant, rule_id), "rule_not_started")
    clock.now = datetime(2026, 6, 3, tzinfo=UTC)
    assert refused(await complete(client, tenant, rule_id), "rule_ended")
    clock.now = datetime(2026, 6, 2, 12, tzinfo=UTC)
    assert (await complete(client, tenant, rule_id)).status_code == 200


async def test_a_blocked_user_earns_nothing(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(client, tenant, external(currency))
    blocked = await client.post(
        "/api/users/metadatas",
        json={"walletAddress": wallet(1), "isBlocked": True},
        headers=tenant.headers,
    )
    assert blocked.status_code == 200, blocked.text
    assert refused(await complete(client, tenant, rule_id), "user_blocked")
    assert await balance(client, tenant) == 0


async def test_multipliers_stack_unless_the_rule_skips_them(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    for factor in (1.5, 2):
        made = await client.post(
            "/api/loyalty/multipliers",
            json={"walletAddress": wallet(1), "multiplier": factor},
            headers=tenant.headers,
        )
        assert made.status_code in (200, 201), made.text
    plain = await rule(client, tenant, external(currency, amount=7))
    skipping = await rule(
        client, tenant, external(currency, name="Skip", metadata={"skipMultiplier": True})
    )
    assert (await complete(client, tenant, plain)).json()["paid"][0]["amount"] == 21
    assert (await complete(client, tenant, skipping)).json()["paid"][0]["amount"] == 10
    # A rule whose completions are independent (unlimited points) reads the user and the
    # multipliers in one query: live multipliers only.
    revoked = await client.post(
        "/api/loyalty/multipliers",
        json={"walletAddress": wallet(1), "multiplier": 10},
        headers=tenant.headers,
    )
    gone = await client.delete(
        f"/api/loyalty/multipliers/{revoked.json()['id']}", headers=tenant.headers
    )
    assert gone.status_code == 200, gone.text
    unlimited = await rule(client, tenant, external(currency, name="U", interval="unlimited"))
    assert (await complete(client, tenant, unlimited)).json()["paid"][0]["amount"] == 30
    nobody = await complete(client, tenant, unlimited, userId="no-such-user")
    assert nobody.status_code == 400 and "userId" in nobody.text
    two = await create_currency(client, tenant, name="Coins", symbol="C", decimals=2)
    fractional = await rule(client, tenant, external(two, name="Frac", amount=0.33))
    # 0.33 * 3 = 0.99 exactly; rounding is toward zero where it is not exact.
    assert (await complete(client, tenant, fractional)).json()["paid"][0]["amount"] == 99


async def test_a_multiplier_rule_grants_a_factor_that_later_points_use(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    booster = await rule(
        client, tenant, external(currency, name="Boost", rewardType="multiplier", amount=1.5)
    )
    answer = (await complete(client, tenant, booster)).json()
    assert answer["paid"][0]["multiplierId"]
    assert await balance(client, tenant) == 0
    points = await rule(client, tenant, external(currency, name="Points", amount=10))
    assert (await complete(client, tenant, points)).json()["paid"][0]["amount"] == 15
    listed = await client.get(
        "/api/loyalty/multipliers", params={"walletAddress": wallet(1)}, headers=tenant.headers
    )
    assert [m["multiplier"] for m in listed.json()["data"]] == [1.5]


async def test_a_badge_rule_awards_its_badge(
    client: AsyncClient, tenant: Tenant, currency: str, database: Database
) -> None:
    async with database.writing() as session:
        website = await tenancy_repository.website_in_organization(
            session, tenant.organization_id, tenant.website_id
        )
        assert website is not None
        badge = await create_badge(session, website, name="Early bird")
    rule_id = await rule(
        client, tenant, external(currency, rewardType="badge", loyaltyBadgeId=badge.id)
    )
    answer = await complete(client, tenant, rule_id)
    assert answer.json()["paid"] == [{"part": "rule", "amount": 0, "badgeId": badge.id}]
    holders = await client.get(
        "/api/loyalty/badge_users", params={"walletAddress": wallet(1)}, headers=tenant.headers
    )
    assert [h["loyaltyBadgeId"] for h in holders.json()["data"]] == [badge.id]


async def test_amount_override_and_reward_per_action(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    unlimited = external(currency, interval="unlimited")
    rule_id = await rule(client, tenant, unlimited)
    assert (await complete(client, tenant, rule_id, amount=42)).json()["paid"][0]["amount"] == 42
    per_action = await rule(
        client, tenant, {**unlimited, "name": "Per", "metadata": {"rewardPerAction": True}}
    )
    paid = await complete(client, tenant, per_action, rangeValue=3)
    assert paid.json()["paid"][0]["amount"] == 30


async def test_an_idempotency_key_answers_the_first_outcome(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(client, tenant, external(currency, interval="unlimited"))
    first = await complete(client, tenant, rule_id, idempotencyKey="order-1")
    again = await complete(client, tenant, rule_id, idempotencyKey="order-1")
    assert first.status_code == again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["paid"] == first.json()["paid"]
    assert await balance(client, tenant) == 10
    too_long = await complete(client, tenant, rule_id, idempotencyKey="k" * 71)
    assert too_long.status_code == 400
    assert too_long.json()["errors"][0]["field"] == "idempotencyKey"


async def test_verify_only_writes_nothing(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(client, tenant, external(currency))
    checked = await complete(client, tenant, rule_id, verifyOnly="true")
    assert checked.status_code == 200, checked.text
    assert checked.json()["status"] == "verified"
    assert await balance(client, tenant) == 0
    assert (await client.get(STATUS, headers=tenant.headers)).json()["data"] == []
    assert (await complete(client, tenant, rule_id)).status_code == 200
    refused(await complete(client, tenant, rule_id, verifyOnly=True), "rule_already_completed")


async def test_types_without_a_verifier_are_refused(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    join = {
        "name": "Join our channel",
        "type": "telegram_join",
        "frequency": "once",
        "interval": "once",
        "startTime": None,
        "amount": 5,
        "loyaltyCurrencyId": currency,
        "metadata": {"telegramChannelId": "@news"},
    }
    rule_id = await rule(client, tenant, join)
    message = refused(await complete(client, tenant, rule_id), "completion_not_supported")
    assert "telegram_join" in message


async def test_bad_requests_and_unknown_things(
    client: AsyncClient, tenant: Tenant, currency: str, database: Database
) -> None:
    rule_id = await rule(client, tenant, external(currency))
    empty = await client.post(f"{RULES}/{rule_id}/complete", json={}, headers=tenant.headers)
    assert empty.status_code == 400
    bad = await client.post(
        f"{RULES}/{rule_id}/complete",
        json={"userId": "x", "amount": -1, "rangeValue": "lots", "colour": 1},
        headers=tenant.headers,
    )
    assert sorted(e["field"] for e in bad.json()["errors"]) == ["amount", "colour", "rangeValue"]
    nobody = await client.post(
        f"{RULES}/{rule_id}/complete", json={"userId": "nobody"}, headers=tenant.headers
    )
    assert nobody.status_code == 400, nobody.text
    assert nobody.json()["errors"][0]["field"] == "userId"
    missing = await complete(client, tenant, "no-such-rule")
    assert missing.status_code == 404 and missing.json()["code"] == "rule_not_found"
    # Even once this process has the rule and the user in its caches.
    assert (await complete(client, tenant, rule_id)).status_code == 200
    intruder = await create_tenant(database, limit_key=False)
    assert (await complete(client, intruder, rule_id)).status_code == 404
    assert (await client.get(STATUS, headers=intruder.headers)).json()["data"] == []


async def test_status_list_filters_and_pages(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    one = await rule(client, tenant, external(currency, interval="unlimited"))
    two = await rule(client, tenant, external(currency, name="Two"))
    for n in (1, 2):
        await complete(client, tenant, one, n)
    await complete(client, tenant, two, 1)

    async def listed(**params: Any) -> list[tuple[str, str]]:
        response = await client.get(STATUS, params=params, headers=tenant.headers)
        assert response.status_code == 200, response.text
        return [(s["loyaltyRuleId"], s["userId"]) for s in response.json()["data"]]

    everything = await listed()
    assert len(everything) == 3 and everything[0][0] == two
    assert {r for r, _ in await listed(loyaltyRuleId=one)} == {one}
    assert len(await listed(loyaltyRuleId=[one, two])) == 3
    by_wallet = await listed(walletAddress=wallet(2).upper().replace("0X", "0x"))
    assert len(by_wallet) == 1
    first = await client.get(STATUS, params={"limit": 2}, headers=tenant.headers)
    assert first.json()["hasNextPage"] is True
    rest = await client.get(
        STATUS,
        params={"limit": 2, "startingAfter": first.json()["data"][-1]["id"]},
        headers=tenant.headers,
    )
    assert len(rest.json()["data"]) == 1 and rest.json()["hasNextPage"] is False


async def test_a_changed_or_deleted_rule_is_never_decided_on_a_stale_copy(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(client, tenant, external(currency, interval="unlimited"))
    assert (await complete(client, tenant, rule_id)).json()["paid"][0]["amount"] == 10
    changed = await client.post(f"{RULES}/{rule_id}", json={"amount": 25}, headers=tenant.headers)
    assert changed.status_code == 200, changed.text
    assert (await complete(client, tenant, rule_id)).json()["paid"][0]["amount"] == 25
    deleted = await client.delete(f"{RULES}/{rule_id}", headers=tenant.headers)
    assert deleted.status_code == 200
    gone = await complete(client, tenant, rule_id)
    assert gone.status_code in (404, 422) and gone.json()["code"] == "rule_not_found"
    assert await balance(client, tenant) == 35


async def test_entries_filter_by_the_type_and_group_of_the_rule_that_paid_them(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    group = await client.post(
        "/api/loyalty/rule_groups/create", json={"name": "Quests"}, headers=tenant.headers
    )
    assert group.status_code == 201, group.text
    grouped = await rule(
        client, tenant, external(currency, name="Grouped", loyaltyRuleGroupId=group.json()["id"])
    )
    check_in = {**external(currency, name="Daily"), "type": "check_in", "interval": "daily"}
    daily = await rule(client, tenant, check_in)
    for rule_id in (grouped, daily):
        assert (await complete(client, tenant, rule_id)).status_code == 200

    async def paid_by(**params: str) -> list[str]:
        response = await client.get(
            "/api/loyalty/transaction_entries", params=params, headers=tenant.headers
        )
        assert response.status_code == 200, response.text
        return [e["loyaltyTransaction"]["loyaltyRule"]["name"] for e in response.json()["data"]]

    assert await paid_by(loyaltyRuleType="check_in") == ["Daily"]
    assert await paid_by(loyaltyRuleType="external_rule") == ["Grouped"]
    assert await paid_by(loyaltyRuleGroupId=group.json()["id"]) == ["Grouped"]
    assert await paid_by(loyaltyRuleType="quiz") == []


async def test_a_credit_above_the_currency_maximum_fails_alone(
    client: AsyncClient, tenant: Tenant
) -> None:
    capped = await create_currency(client, tenant, name="Stars", symbol="S", maximumValue=15)
    rule_id = await rule(client, tenant, external(capped, interval="unlimited"))
    assert (await complete(client, tenant, rule_id)).status_code == 200
    assert refused(await complete(client, tenant, rule_id), "balance_above_maximum")
    assert (await complete(client, tenant, rule_id, n=2)).status_code == 200
    assert (await balance(client, tenant), await balance(client, tenant, 2)) == (10, 10)
    statuses = (await client.get(STATUS, headers=tenant.headers)).json()["data"]
    assert [s["status"] for s in statuses] == ["completed", "failed", "completed"]
