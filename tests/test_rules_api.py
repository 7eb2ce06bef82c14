"""Loyalty rules through the API: create, read, update, list, delete (taking points back),
every validation in one 400, secrets, references to other rows, edits and restore."""

from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import select

from loyalty.badges.service import create_badge
from loyalty.db import Database
from loyalty.ledger.currencies import CurrencyTerms
from loyalty.ledger.models import Currency
from loyalty.ledger.rows import Line
from loyalty.ledger.service import post_transaction
from loyalty.rules.models import Rule
from loyalty.tenancy import repository as tenancy_repository
from loyalty.users.service import ids_for_wallets
from tests.support import Tenant, create_currency, create_tenant, wallet

PATH = "/api/loyalty/rules"


def check_in(currency_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": "Daily Login",
        "type": "check_in",
        "frequency": "daily",
        "interval": "daily",
        "startTime": "2024-01-01T00:00:00Z",
        "rewardType": "points",
        "amount": 10,
        "loyaltyCurrencyId": currency_id,
        "network": "ethereum",
        "metadata": {},
        **fields,
    }


async def create(client: AsyncClient, tenant: Tenant, body: dict[str, Any]) -> Response:
    return await client.post(PATH, json=body, headers=tenant.headers)


async def created(client: AsyncClient, tenant: Tenant, body: dict[str, Any]) -> dict[str, Any]:
    response = await create(client, tenant, body)
    assert response.status_code == 201, response.text
    rule: dict[str, Any] = response.json()
    return rule


def errors(response: Response) -> dict[str, str]:
    assert response.status_code == 400, response.text
    return {e["field"]: e["message"] for e in response.json()["errors"]}


@pytest.fixture
async def currency(client: AsyncClient, tenant: Tenant) -> str:
    return await create_currency(client, tenant)


async def test_create_answers_the_rule_with_defaults(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule = await created(client, tenant, check_in(currency))
    assert rule["organizationId"] == tenant.organization_id
    assert rule["websiteId"] == tenant.website_id
    assert rule["name"] == "Daily Login"
    assert rule["amount"] == 10
    assert rule["claimType"] == "manual"  # check_in is manual only
    assert rule["description"] == ""
    assert rule["hideInUi"] is False
    assert rule["loyaltyRuleGroupId"] is None
    assert rule["loyaltyRuleChain"] == []
    assert rule["deletedAt"] is None
    assert rule["version"] == 1
    listed = await client.get(PATH, headers=tenant.headers)
    assert listed.json() == {"data": [rule], "hasNextPage": False}


async def test_every_bad_field_is_reported_at_once(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    body = check_in(
        currency,
        name="x" * 256,
        amount="lots",
        rewardType="multiplier",
        endTime="2023-01-01T00:00:00Z",
        colour="blue",
        metadata={
            "streakArray": [{"streakMilestone": 0, "streakAmount": 5}],
            "range": [{"startRange": 5, "endRange": 1, "amount": 1}],
        },
    )
    del body["frequency"]
    found = errors(await create(client, tenant, body))
    assert set(found) == {
        "name",
        "amount",
        "rewardType",
        "endTime",
        "colour",
        "frequency",
        "metadata.streakArray[0].streakMilestone",
        "metadata.range",
        "metadata.range[0].startRange",
    }
    assert "multiplier is not supported by check_in rules" in found["rewardType"]
    assert found["endTime"] == "must be after startTime"
    assert await client.get(PATH, headers=tenant.headers) is not None
    assert (await client.get(PATH, headers=tenant.headers)).json()["data"] == []


async def test_unknown_type_is_refused(client: AsyncClient, tenant: Tenant, currency: str) -> None:
    found = errors(await create(client, tenant, check_in(currency, type="Bonus")))
    assert "unsupported rule type 'Bonus'" in found["type"]


async def test_sdk_nulls_are_accepted(client: AsyncClient, tenant: Tenant, currency: str) -> None:
    body = check_in(
        currency,
        endTime=None,
        effectiveStartTime=None,
        effectiveEndTime=None,
        startTime=None,
        claimType=None,
        collections=None,
        interval=None,
        maxAmountInterval=None,
        maxAmountPerInterval=None,
        loyaltyRuleGroupId="no-section",
        metadata={"enableStreaks": None, "streakArray": None, "promoCode": None},
    )
    rule = await created(client, tenant, body)
    assert rule["startTime"] is None
    assert rule["interval"] == "daily"  # the first interval check_in allows
    assert rule["loyaltyRuleGroupId"] is None


async def test_required_fields(client: AsyncClient, tenant: Tenant) -> None:
    found = errors(await create(client, tenant, {"websiteId": tenant.website_id}))
    assert set(found) == {"name", "type", "frequency", "loyaltyCurrencyId", "startTime", "amount"}


async def test_a_key_for_one_website_may_leave_the_website_out(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule = await created(client, tenant, check_in(currency))
    assert rule["websiteId"] == tenant.website_id


async def test_a_key_for_every_website_must_name_it(
    client: AsyncClient, database: Database
) -> None:
    tenant = await create_tenant(database, limit_key=False)
    currency = await create_currency(client, tenant)
    body = check_in(currency, amount=-1)
    found = errors(await create(client, tenant, body))
    assert set(found) == {"websiteId", "amount"}


async def test_currency_badge_and_group_must_exist_in_the_website(
    client: AsyncClient, tenant: Tenant, database: Database, currency: str
) -> None:
    other = await create_tenant(database)
    foreign_currency = await create_currency(client, other)
    body: dict[str, Any] = {
        "name": "Holders",
        "type": "TokenHold",
        "network": "mainnet",
        "collections": [
            {"address": "0xBC4CA0EdA7647A8aB7C2061c2E118A18a936f13D", "network": "mainnet"}
        ],
        "frequency": "daily",
        "interval": "daily",
        "startTime": "2024-01-01T00:00:00Z",
        "rewardType": "badge",
        "loyaltyBadgeId": "missing-badge",
        "loyaltyCurrencyId": foreign_currency,
        "loyaltyRuleGroupId": "missing-group",
        "metadata": {
            "range": [{"startRange": 1, "endRange": 5, "amount": 1, "loyaltyBadgeId": "nope"}]
        },
    }
    found = errors(await create(client, tenant, body))
    assert found == {
        "loyaltyCurrencyId": "no such currency in this website",
        "loyaltyBadgeId": "no such badge in this website",
        "loyaltyRuleGroupId": "no such rule group in this website",
        "metadata.range[0].loyaltyBadgeId": "no such badge in this website",
    }
    async with database.writing() as session:
        website = await tenancy_repository.website_in_organization(
            session, tenant.organization_id, tenant.website_id
        )
        assert website is not None
        badge = await create_badge(session, website, name="Holder")
    body |= {"loyaltyBadgeId": badge.id, "loyaltyCurrencyId": currency}
    del body["loyaltyRuleGroupId"]
    body["metadata"]["range"][0]["loyaltyBadgeId"] = badge.id
    rule = await created(client, tenant, body)
    assert rule["loyaltyBadgeId"] == badge.id
    assert rule["rewardLifetime"] == "permanent"


async def test_points_must_fit_the_currency_decimals(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    found = errors(await create(client, tenant, check_in(currency, amount=10.5)))
    assert found == {"amount": "has more decimal places than the currency's 0"}
    two = await create_currency(client, tenant, name="Coins", symbol="C", decimals=2)
    assert (await created(client, tenant, check_in(two, amount=10.25)))["amount"] == 10.25


async def test_secrets_are_never_returned(
    client: AsyncClient, tenant: Tenant, currency: str, database: Database
) -> None:
    body = {
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
        "loyaltyCurrencyId": currency,
        "oauthCredentialsId": "oauth-1",
        "metadata": {
            "hasCustomRewardsUrl": True,
            "customRewardsApiUrl": "https://api.example.com/rewards",
            "customRewardsApiKey": "key_xyz",
        },
    }
    rule = await created(client, tenant, body)
    assert "customRewardsApiKey" not in rule["metadata"]
    assert "oauthCredentialsId" not in rule
    # An update that does not repeat the secrets keeps them.
    updated = await client.post(
        f"{PATH}/{rule['id']}",
        json={
            "name": "Renamed",
            "metadata": {"hasCustomRewardsUrl": True, "customRewardsApiUrl": "https://x"},
        },
        headers=tenant.headers,
    )
    assert updated.status_code == 200, updated.text
    for answer in (
        updated.json(),
        (await client.get(PATH, headers=tenant.headers)).json()["data"][0],
    ):
        assert "key_xyz" not in str(answer) and "oauth-1" not in str(answer)
    async with database.reading() as session:
        stored = (await session.execute(select(Rule).where(Rule.id == rule["id"]))).scalar_one()
    assert stored.secrets == {"oauthCredentialsId": "oauth-1", "customRewardsApiKey": "key_xyz"}
    edits = await client.get("/api/loyalty/rule_edits", headers=tenant.headers)
    assert "key_xyz" not in edits.text and "oauth-1" not in edits.text


async def test_shopify_token_is_used_and_never_stored(
    client: AsyncClient, tenant: Tenant, currency: str, database: Database
) -> None:
    body = {
        "name": "Spend",
        "type": "shopify_spend",
        "frequency": "immediately",
        "interval": "unlimited",
        "startTime": "2024-01-01T00:00:00Z",
        "amount": 5,
        "loyaltyCurrencyId": currency,
        "shopifyStoreUrl": "shop.example.com",
        "metadata": {},
    }
    assert "shopifyStoreAccessToken" in errors(await create(client, tenant, body))
    rule = await created(client, tenant, body | {"shopifyStoreAccessToken": "shpat_secret"})
    assert "shopifyStoreAccessToken" not in rule
    async with database.reading() as session:
        stored = (await session.execute(select(Rule).where(Rule.id == rule["id"]))).scalar_one()
    assert "shpat_secret" not in str(stored.definition) + str(stored.secrets)
    # Later edits do not need the token again.
    renamed = await client.post(
        f"{PATH}/{rule['id']}", json={"name": "Spend more"}, headers=tenant.headers
    )
    assert renamed.status_code == 200, renamed.text


async def test_update_replaces_given_fields_and_validates_the_result(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule = await created(client, tenant, check_in(currency, description="Come back daily"))
    answer = await client.post(
        f"{PATH}/{rule['id']}",
        json={"name": "Daily visit", "amount": 20, "endTime": None},
        headers=tenant.headers,
    )
    assert answer.status_code == 200, answer.text
    updated = answer.json()
    assert (updated["name"], updated["amount"], updated["description"]) == (
        "Daily visit",
        20,
        "Come back daily",
    )
    assert updated["version"] == 2
    bad = await client.post(
        f"{PATH}/{rule['id']}",
        json={"type": "quiz", "rewardType": "multiplier", "endTime": "2020-01-01T00:00:00Z"},
        headers=tenant.headers,
    )
    assert set(errors(bad)) == {"type", "rewardType", "endTime"}
    unchanged = (await client.get(PATH, headers=tenant.headers)).json()["data"][0]
    assert unchanged == updated


async def test_unknown_rule_is_not_found(client: AsyncClient, tenant: Tenant) -> None:
    for call in (
        client.post(f"{PATH}/nope", json={"name": "x"}, headers=tenant.headers),
        client.delete(f"{PATH}/nope", headers=tenant.headers),
    ):
        response = await call
        assert response.status_code == 404
        assert response.json()["code"] == "rule_not_found"


async def test_list_filters_and_pages(client: AsyncClient, tenant: Tenant, currency: str) -> None:
    daily = await created(client, tenant, check_in(currency))
    hidden = await created(client, tenant, check_in(currency, name="Hidden", hideInUi=True))
    ended = await created(
        client, tenant, check_in(currency, name="Old", endTime="2024-02-01T00:00:00Z")
    )
    quiz = await created(
        client,
        tenant,
        {
            "name": "Quiz",
            "type": "quiz",
            "frequency": "once",
            "interval": "once",
            "startTime": None,
            "amount": 5,
            "loyaltyCurrencyId": currency,
            "metadata": {},
        },
    )

    async def names(**params: Any) -> list[str]:
        response = await client.get(PATH, params=params, headers=tenant.headers)
        assert response.status_code == 200, response.text
        return [r["name"] for r in response.json()["data"]]

    assert await names() == ["Daily Login", "Hidden", "Old", "Quiz"]
    assert await names(type="quiz") == ["Quiz"]
    assert await names(type=["quiz", "check_in"]) == ["Daily Login", "Hidden", "Old", "Quiz"]
    assert await names(hideInUi="true") == ["Hidden"]
    assert await names(isActive="false") == ["Old"]
    assert await names(isActive="true") == ["Daily Login", "Hidden", "Quiz"]
    assert await names(loyaltyRuleId=[quiz["id"], ended["id"]]) == ["Old", "Quiz"]
    first = await client.get(PATH, params={"limit": 2}, headers=tenant.headers)
    assert [r["id"] for r in first.json()["data"]] == [daily["id"], hidden["id"]]
    assert first.json()["hasNextPage"] is True
    rest = await client.get(
        PATH, params={"limit": 2, "startingAfter": hidden["id"]}, headers=tenant.headers
    )
    assert [r["id"] for r in rest.json()["data"]] == [ended["id"], quiz["id"]]
    assert rest.json()["hasNextPage"] is False
    bad = await client.get(PATH, params={"limit": 0, "isActive": "maybe"}, headers=tenant.headers)
    assert set(errors(bad)) == {"limit", "isActive"}


async def _pay(
    database: Database, tenant: Tenant, rule_id: str, currency_id: str, n: int, amount: int
) -> str:
    async with database.writing() as session:
        users = await ids_for_wallets(
            session, tenant.organization_id, tenant.website_id, [wallet(n)]
        )
        currency = (
            await session.execute(select(Currency).where(Currency.id == currency_id))
        ).scalar_one()
        user_id = users[wallet(n)]
        await post_transaction(
            session,
            organization_id=tenant.organization_id,
            website_id=tenant.website_id,
            description="rule reward",
            type="loyalty_rule",
            lines=[
                Line(
                    user_id,
                    currency_id,
                    "credit",
                    amount,
                    f"pay-{rule_id}-{n}-{amount}",
                    source="rule",
                )
            ],
            currencies={currency_id: CurrencyTerms.of(currency)},
            rule_id=rule_id,
        )
    return user_id


async def balance(client: AsyncClient, tenant: Tenant, n: int) -> int:
    response = await client.get(
        "/api/loyalty/accounts", params={"walletAddress": wallet(n)}, headers=tenant.headers
    )
    return int(response.json()["data"][0]["amount"])


async def test_delete_keeps_points_unless_asked(
    client: AsyncClient, tenant: Tenant, currency: str, database: Database
) -> None:
    rule = await created(client, tenant, check_in(currency))
    await _pay(database, tenant, rule["id"], currency, 1, 10)
    deleted = await client.delete(f"{PATH}/{rule['id']}", headers=tenant.headers)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["id"] == rule["id"] and deleted.json()["deletedAt"]
    assert await balance(client, tenant, 1) == 10
    assert (await client.get(PATH, headers=tenant.headers)).json()["data"] == []
    with_deleted = await client.get(PATH, params={"includeDeleted": "true"}, headers=tenant.headers)
    assert [r["deletedAt"] is not None for r in with_deleted.json()["data"]] == [True]
    again = await client.delete(f"{PATH}/{rule['id']}", headers=tenant.headers)
    assert again.status_code == 404


async def test_delete_with_debit_takes_the_rules_points_back(
    client: AsyncClient, tenant: Tenant, currency: str, database: Database
) -> None:
    rule = await created(client, tenant, check_in(currency))
    other = await created(client, tenant, check_in(currency, name="Other"))
    await _pay(database, tenant, rule["id"], currency, 1, 10)
    await _pay(database, tenant, rule["id"], currency, 1, 5)
    await _pay(database, tenant, other["id"], currency, 1, 7)
    await _pay(database, tenant, rule["id"], currency, 2, 10)
    # Wallet 2 spent 8 of its 10: only what is left can be taken back.
    spent = await client.post(
        "/api/loyalty/transactions",
        json={
            "loyaltyCurrencyId": currency,
            "entries": [
                {
                    "amount": 8,
                    "direction": "debit",
                    "walletAddress": wallet(2),
                    "idempotencyKey": "spend",
                }
            ],
        },
        headers=tenant.headers,
    )
    assert spent.status_code == 200, spent.text
    deleted = await client.delete(
        f"{PATH}/{rule['id']}", params={"debitLoyaltyPoints": "true"}, headers=tenant.headers
    )
    assert deleted.status_code == 200, deleted.text
    assert await balance(client, tenant, 1) == 7  # the other rule's points stay
    assert await balance(client, tenant, 2) == 0
    entries = await client.get(
        "/api/loyalty/transaction_entries",
        params={"loyaltyRuleId": rule["id"], "direction": "debit"},
        headers=tenant.headers,
    )
    assert sorted(e["amount"] for e in entries.json()["data"]) == [2, 15]


async def test_edits_are_kept_and_restore_brings_back_the_exact_rule(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule = await created(
        client,
        tenant,
        check_in(
            currency,
            description="v1",
            metadata={
                "enableStreaks": True,
                "streakArray": [{"streakMilestone": 7, "streakAmount": 50}],
            },
        ),
    )
    await client.post(
        f"{PATH}/{rule['id']}", json={"name": "v2", "metadata": {}}, headers=tenant.headers
    )
    await client.delete(f"{PATH}/{rule['id']}", headers=tenant.headers)
    listed = await client.get(
        "/api/loyalty/rule_edits", params={"loyaltyRuleId": rule["id"]}, headers=tenant.headers
    )
    edits = listed.json()["data"]
    assert [e["action"] for e in edits] == ["delete", "update", "create"]
    create_edit = edits[2]
    assert create_edit["data"] == rule
    assert create_edit["previousData"] is None
    assert edits[1]["previousData"] == rule
    assert edits[1]["data"]["name"] == "v2"
    assert create_edit["editedByUserId"] == tenant.key_id

    restored = await client.post(
        f"/api/loyalty/rule_edits/{create_edit['id']}/restore", headers=tenant.headers
    )
    assert restored.status_code == 200, restored.text
    assert restored.json()["action"] == "restore"
    now_rule = (await client.get(PATH, headers=tenant.headers)).json()["data"][0]
    moving = {"version", "updatedAt"}
    assert {k: v for k, v in now_rule.items() if k not in moving} == {
        k: v for k, v in rule.items() if k not in moving
    }
    assert now_rule["version"] > rule["version"]
    missing = await client.post("/api/loyalty/rule_edits/nope/restore", headers=tenant.headers)
    assert missing.status_code == 404 and missing.json()["code"] == "rule_edit_not_found"


async def test_restore_is_refused_when_the_rule_cannot_be_valid_again(
    client: AsyncClient, tenant: Tenant, currency: str, database: Database
) -> None:
    rule = await created(client, tenant, check_in(currency))
    edits = await client.get("/api/loyalty/rule_edits", headers=tenant.headers)
    async with database.writing() as session:
        stored = (
            await session.execute(select(Currency).where(Currency.id == currency))
        ).scalar_one()
        stored.deleted_at = stored.created_at
    answer = await client.post(
        f"/api/loyalty/rule_edits/{edits.json()['data'][0]['id']}/restore", headers=tenant.headers
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "rule_edit_not_restorable"
    assert answer.json()["details"]["errors"][0]["field"] == "loyaltyCurrencyId"
    assert rule["id"]


async def test_another_organization_can_neither_see_nor_change_a_rule(
    client: AsyncClient, tenant: Tenant, currency: str, database: Database
) -> None:
    rule = await created(client, tenant, check_in(currency))
    intruder = await create_tenant(database, limit_key=False)
    listed = await client.get(PATH, headers=intruder.headers)
    assert listed.json()["data"] == []
    foreign = await client.get(
        PATH, params={"websiteId": tenant.website_id}, headers=intruder.headers
    )
    assert foreign.status_code == 404
    org = await client.get(
        PATH, params={"organizationId": tenant.organization_id}, headers=intruder.headers
    )
    assert org.status_code == 403
    assert (
        await client.post(f"{PATH}/{rule['id']}", json={"name": "pwned"}, headers=intruder.headers)
    ).status_code == 404
    assert (
        await client.delete(f"{PATH}/{rule['id']}", headers=intruder.headers)
    ).status_code == 404
    edits = await client.get("/api/loyalty/rule_edits", headers=intruder.headers)
    assert edits.json()["data"] == []
    first_edit = (await client.get("/api/loyalty/rule_edits", headers=tenant.headers)).json()[
        "data"
    ][0]
    restore = await client.post(
        f"/api/loyalty/rule_edits/{first_edit['id']}/restore", headers=intruder.headers
    )
    assert restore.status_code == 404
    planted = await create(client, intruder, check_in(currency, websiteId=tenant.website_id))
    assert planted.status_code == 404
    unchanged = (await client.get(PATH, headers=tenant.headers)).json()["data"]
    assert unchanged == [rule]


async def test_openapi_documents_the_rule_body(client: AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    body = schema["paths"][PATH]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/RuleFields"}
    assert "loyaltyCurrencyId" in schema["components"]["schemas"]["RuleFields"]["properties"]
