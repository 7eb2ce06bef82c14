"""Loyalty multipliers: create, list, update, delete (by id and by external identifier),
every error, tenant isolation, the service the earning engine calls (grants, revocations,
the combined factor), and parallel grants on PostgreSQL."""

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import select

from loyalty.db import Database
from loyalty.multipliers import service
from loyalty.multipliers.models import Multiplier
from loyalty.tenancy import service as tenancy
from loyalty.users.service import ids_for_wallets
from tests.support import ON_POSTGRES, Tenant, create_tenant, wallet

PATH = "/api/loyalty/multipliers"

# Required by Snag's SDK (MultiplierCreateResponse and the others).
SNAG_MULTIPLIER = {
    "id",
    "createdAt",
    "deletedAt",
    "description",
    "externalIdentifier",
    "multiplier",
    "organizationId",
    "title",
    "updatedAt",
    "user",
    "userId",
    "websiteId",
}


async def create(client: AsyncClient, tenant: Tenant, **fields: Any) -> Response:
    body = {"multiplier": 1.5, "walletAddress": wallet(1)}
    return await client.post(PATH, json=body | fields, headers=tenant.headers)


async def created(client: AsyncClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    response = await create(client, tenant, **fields)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def listed(
    client: AsyncClient, tenant: Tenant, **params: Any
) -> tuple[list[dict[str, Any]], bool]:
    response = await client.get(PATH, params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["data"], body["hasNextPage"]


async def ids(client: AsyncClient, tenant: Tenant, **params: Any) -> list[str]:
    return [m["id"] for m in (await listed(client, tenant, **params))[0]]


async def delete_by_external(client: AsyncClient, tenant: Tenant, body: dict[str, Any]) -> Response:
    return await client.request("DELETE", PATH, json=body, headers=tenant.headers)


def error_fields(response: Response) -> list[str]:
    assert response.status_code == 400, response.text
    return sorted(e["field"] for e in response.json()["errors"])


def code(response: Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


async def new_user(database: Database, tenant: Tenant, address: str) -> str:
    async with database.writing() as session:
        found = await ids_for_wallets(session, tenant.organization_id, tenant.website_id, [address])
    return found[address]


async def grant(
    database: Database,
    tenant: Tenant,
    user: str,
    factor: str,
    rule: str | None = None,
    currencies: list[str] | None = None,
) -> Multiplier:
    async with database.writing() as session:
        return await service.grant_multiplier(
            session,
            organization_id=tenant.organization_id,
            website_id=tenant.website_id,
            user_id=user,
            factor=Decimal(factor),
            rule_id=rule,
            currency_ids=currencies,
            title="From a rule",
        )


async def factor(database: Database, user: str, currency: str) -> Decimal:
    async with database.reading() as session:
        return await service.active_factor(session, user, currency)


# --- create -----------------------------------------------------------------------------------


async def test_create_answers_snag_multiplier(client: AsyncClient, tenant: Tenant) -> None:
    address = "0xAbCdEf0000000000000000000000000000000001"
    body = await created(
        client,
        tenant,
        multiplier=2.5,
        walletAddress=address,
        title="Launch week",
        description="Double and a half",
        externalIdentifier="launch",
        organizationId=tenant.organization_id,
        websiteId=tenant.website_id,
    )
    assert body.keys() >= SNAG_MULTIPLIER
    assert body["multiplier"] == 2.5
    assert (body["title"], body["description"], body["externalIdentifier"]) == (
        "Launch week",
        "Double and a half",
        "launch",
    )
    assert body["user"] == {"id": body["userId"], "walletAddress": address.lower()}
    assert (body["organizationId"], body["websiteId"]) == (
        tenant.organization_id,
        tenant.website_id,
    )
    assert body["deletedAt"] is None
    # Set through the API: no rule (Snag's loyaltyRuleId is optional, never null).
    assert "loyaltyRuleId" not in body
    assert body["loyaltyCurrencyIds"] is None

    users = await client.get(
        "/api/users", params={"walletAddress": address.lower()}, headers=tenant.headers
    )
    assert [u["id"] for u in users.json()["data"]] == [body["userId"]]
    # The same wallet again: the same user, another multiplier.
    again = await created(client, tenant, multiplier=3, walletAddress=address.lower())
    assert again["userId"] == body["userId"] and again["id"] != body["id"]
    assert again["multiplier"] == 3 and isinstance(again["multiplier"], int)
    assert (again["title"], again["description"], again["externalIdentifier"]) == (None,) * 3


async def test_create_errors(client: AsyncClient, tenant: Tenant, database: Database) -> None:
    response = await client.post(
        PATH, json={"multiplier": 0, "colour": "red", "title": 5}, headers=tenant.headers
    )
    assert error_fields(response) == ["colour", "multiplier", "title", "walletAddress"]
    for bad in (-1, "NaN", "Infinity", 1_000_001, "0.0000000000000000001", "x"):
        response = await create(client, tenant, multiplier=bad)
        assert error_fields(response) == ["multiplier"], bad
    response = await create(client, tenant, walletAddress=" ", externalIdentifier="x" * 256)
    assert error_fields(response) == ["externalIdentifier", "walletAddress"]

    other = await create_tenant(database)
    response = await create(client, tenant, organizationId=other.organization_id)
    assert code(response) == (403, "forbidden")
    response = await create(client, tenant, websiteId=other.website_id)
    assert code(response) == (404, "website_not_found")
    wide = await create_tenant(database, limit_key=False)
    assert error_fields(await create(client, wide)) == ["websiteId"]
    assert (await listed(client, tenant))[0] == []


# --- list -------------------------------------------------------------------------------------


async def test_list_filters_and_pages(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    a = await created(client, tenant, walletAddress=wallet(1), externalIdentifier="promo")
    b = await created(client, tenant, walletAddress=wallet(2), externalIdentifier="promo")
    c = await created(client, tenant, walletAddress=wallet(1), multiplier=2)
    d = await created(client, tenant, walletAddress=wallet(3))
    response = await client.delete(f"{PATH}/{d['id']}", headers=tenant.headers)
    assert response.status_code == 200, response.text

    data, more = await listed(client, tenant)
    assert not more
    assert [m["id"] for m in data] == [a["id"], b["id"], c["id"]]
    assert all(m.keys() >= SNAG_MULTIPLIER for m in data)
    assert data[1]["user"] == {"id": b["userId"], "walletAddress": wallet(2)}

    assert await ids(client, tenant, includeDeleted="true") == [a["id"], b["id"], c["id"], d["id"]]
    assert await ids(client, tenant, externalIdentifier="promo") == [a["id"], b["id"]]
    assert await ids(client, tenant, walletAddress=wallet(1)) == [a["id"], c["id"]]
    assert await ids(client, tenant, walletAddress=[wallet(1), wallet(2)]) == [
        a["id"],
        b["id"],
        c["id"],
    ]
    assert await ids(client, tenant, userId=[b["userId"], d["userId"]]) == [b["id"]]
    assert await ids(client, tenant, userId=a["userId"], externalIdentifier="promo") == [a["id"]]
    assert await ids(client, tenant, walletAddress=wallet(9)) == []

    seen: list[str] = []
    more = True
    while more:
        cursor = {"startingAfter": seen[-1]} if seen else {}
        page, more = await listed(client, tenant, limit=2, includeDeleted="true", **cursor)
        assert len(page) <= 2
        seen += [m["id"] for m in page]
    assert seen == [a["id"], b["id"], c["id"], d["id"]]
    response = await client.get(PATH, params={"limit": 0}, headers=tenant.headers)
    assert error_fields(response) == ["limit"]


async def test_list_by_user_group(client: AsyncClient, tenant: Tenant) -> None:
    vip = await created(client, tenant, walletAddress=wallet(1))
    await created(client, tenant, walletAddress=wallet(2))
    response = await client.post(
        "/api/users/metadatas",
        json={"walletAddress": wallet(1), "userGroupId": "vip", "walletGroupIdentifier": "w"},
        headers=tenant.headers,
    )
    assert response.status_code in (200, 201), response.text
    assert await ids(client, tenant, userGroupId="vip") == [vip["id"]]
    assert await ids(client, tenant, walletGroupIdentifier="w") == [vip["id"]]
    assert await ids(client, tenant, userGroupId="nobody") == []


async def test_rule_granted_multipliers_are_listed_with_their_rule(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    user = await new_user(database, tenant, wallet(1))
    granted = await grant(database, tenant, user, "2", rule="rule-1", currencies=["c1"])
    data, _ = await listed(client, tenant)
    assert [m["id"] for m in data] == [granted.id]
    assert data[0]["loyaltyRuleId"] == "rule-1"
    assert data[0]["loyaltyCurrencyIds"] == ["c1"]
    assert (data[0]["multiplier"], data[0]["title"]) == (2, "From a rule")


# --- update -----------------------------------------------------------------------------------


async def test_update_changes_what_is_given(client: AsyncClient, tenant: Tenant) -> None:
    body = await created(client, tenant, title="Old", description="Kept")
    url = f"{PATH}/{body['id']}"
    response = await client.post(
        url, json={"multiplier": 3.25, "title": "New"}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed.keys() >= SNAG_MULTIPLIER
    assert (changed["multiplier"], changed["title"], changed["description"]) == (
        3.25,
        "New",
        "Kept",
    )
    assert changed["user"] == body["user"]
    # A null multiplier changes nothing; a null description clears it.
    response = await client.post(
        url, json={"multiplier": None, "description": None}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    assert (response.json()["multiplier"], response.json()["description"]) == (3.25, None)


async def test_update_errors(client: AsyncClient, tenant: Tenant) -> None:
    body = await created(client, tenant)
    url = f"{PATH}/{body['id']}"
    response = await client.post(
        url,
        json={"multiplier": -2, "title": "x" * 256, "walletAddress": wallet(2)},
        headers=tenant.headers,
    )
    assert error_fields(response) == ["multiplier", "title", "walletAddress"]
    response = await client.post(f"{PATH}/missing", json={"title": "A"}, headers=tenant.headers)
    assert code(response) == (404, "multiplier_not_found")
    await client.delete(url, headers=tenant.headers)
    response = await client.post(url, json={"title": "A"}, headers=tenant.headers)
    assert code(response) == (404, "multiplier_not_found")


# --- delete -----------------------------------------------------------------------------------


async def test_delete_by_id(client: AsyncClient, tenant: Tenant) -> None:
    body = await created(client, tenant)
    response = await client.delete(f"{PATH}/{body['id']}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"id": body["id"]}
    response = await client.delete(f"{PATH}/{body['id']}", headers=tenant.headers)
    assert code(response) == (404, "multiplier_not_found")
    assert code(await client.delete(f"{PATH}/missing", headers=tenant.headers)) == (
        404,
        "multiplier_not_found",
    )
    [gone] = (await listed(client, tenant, includeDeleted="true"))[0]
    assert gone["deletedAt"] is not None


async def test_delete_by_external_identifier(client: AsyncClient, tenant: Tenant) -> None:
    first = await created(client, tenant, walletAddress=wallet(1), externalIdentifier="promo")
    second = await created(client, tenant, walletAddress=wallet(2), externalIdentifier="promo")
    kept = await created(client, tenant, walletAddress=wallet(1), externalIdentifier="other")

    response = await delete_by_external(client, tenant, {"externalIdentifier": "promo"})
    assert response.status_code == 200, response.text
    body = response.json()
    # Snag answers one multiplier: the first of those deleted.
    assert body.keys() >= SNAG_MULTIPLIER
    assert body["id"] == first["id"] and body["deletedAt"] is not None
    assert body["user"] == {"id": first["userId"], "walletAddress": wallet(1)}
    assert await ids(client, tenant) == [kept["id"]]
    deleted = {m["id"] for m in (await listed(client, tenant, includeDeleted="true"))[0]}
    assert deleted == {first["id"], second["id"], kept["id"]}

    response = await delete_by_external(client, tenant, {"externalIdentifier": "promo"})
    assert code(response) == (404, "multiplier_not_found")
    response = await delete_by_external(client, tenant, {"externalIdentifier": "", "x": 1})
    assert error_fields(response) == ["externalIdentifier", "x"]
    assert error_fields(await delete_by_external(client, tenant, {})) == ["externalIdentifier"]


async def test_delete_by_external_identifier_stays_in_the_keys_websites(
    client: AsyncClient, database: Database
) -> None:
    wide = await create_tenant(database, limit_key=False)
    async with database.writing() as session:
        second = await tenancy.create_website(session, wide.organization_id, "Second")
        key, plaintext = await tenancy.create_api_key(
            session, wide.organization_id, "second only", [second.id]
        )
    limited = Tenant(wide.organization_id, second.id, plaintext, key.id)
    here = await created(client, wide, websiteId=wide.website_id, externalIdentifier="promo")
    there = await created(client, limited, externalIdentifier="promo")

    response = await delete_by_external(client, limited, {"externalIdentifier": "promo"})
    assert response.json()["id"] == there["id"]
    assert await ids(client, wide) == [here["id"]]
    response = await delete_by_external(
        client, limited, {"externalIdentifier": "promo", "websiteId": wide.website_id}
    )
    assert code(response) == (404, "website_not_found")
    response = await delete_by_external(
        client, wide, {"externalIdentifier": "promo", "websiteId": wide.website_id}
    )
    assert response.json()["id"] == here["id"]


# --- tenancy ----------------------------------------------------------------------------------


async def test_another_organization_never_sees_multipliers(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    body = await created(client, tenant, externalIdentifier="promo")
    other = await create_tenant(database, limit_key=False)
    url = f"{PATH}/{body['id']}"

    assert (await listed(client, other))[0] == []
    assert (await listed(client, other, userId=body["userId"]))[0] == []
    response = await client.get(
        PATH, params={"organizationId": tenant.organization_id}, headers=other.headers
    )
    assert code(response) == (403, "forbidden")
    response = await client.get(
        PATH, params={"websiteId": tenant.website_id}, headers=other.headers
    )
    assert code(response) == (404, "website_not_found")
    assert code(await client.post(url, json={"title": "Mine"}, headers=other.headers)) == (
        404,
        "multiplier_not_found",
    )
    assert code(await client.delete(url, headers=other.headers)) == (404, "multiplier_not_found")
    response = await delete_by_external(client, other, {"externalIdentifier": "promo"})
    assert code(response) == (404, "multiplier_not_found")
    assert await ids(client, tenant) == [body["id"]]


async def test_requires_an_api_key(client: AsyncClient) -> None:
    assert (await client.get(PATH)).status_code == 401
    response = await client.post(PATH, json={"multiplier": 2, "walletAddress": wallet(1)})
    assert response.status_code == 401


# --- the service the earning engine calls -----------------------------------------------------


def test_combined_factor_multiplies_what_applies() -> None:
    many = [(Decimal("1.5"), None), (Decimal(2), ["c1"]), (Decimal(10), ["c2", "c3"])]
    assert service.combined_factor(many, "c1") == Decimal(3)
    assert service.combined_factor(many, "c3") == Decimal(15)
    assert service.combined_factor(many, "c9") == Decimal("1.5")
    assert service.combined_factor([], "c1") == Decimal(1)
    assert service.applies_to(None, "c1") and not service.applies_to([], "c1")


def test_factor_rules() -> None:
    assert service.factor_problem(Decimal("0.01")) is None
    assert service.factor_problem(Decimal(0)) == "must be greater than 0"
    assert service.factor_problem(Decimal("-1")) == "must be greater than 0"
    assert service.factor_problem(Decimal("NaN")) == "must be a finite number"
    assert service.factor_problem(Decimal("1e7")) == "must be at most 1000000"
    assert service.factor_problem(Decimal("1.0000000000000000000")) is None
    assert service.factor_problem(Decimal("1e-19")) == "must have at most 18 decimal places"
    assert str(service.canonical(Decimal("1.50"))) == "1.5"
    assert str(service.canonical(Decimal("2.000"))) == "2"
    assert str(service.canonical(Decimal("1E+2"))) == "100"


async def test_active_factor_is_the_product_of_live_multipliers(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    address = wallet(1)
    user = await new_user(database, tenant, address)
    assert await factor(database, user, "c1") == 1
    await created(client, tenant, walletAddress=address, multiplier=1.5)
    assert await factor(database, user, "c1") == Decimal("1.5")
    await grant(database, tenant, user, "2", rule="rule-1")
    assert await factor(database, user, "c1") == 3
    # Limited to another currency: ignored for this one.
    await grant(database, tenant, user, "10", rule="rule-2", currencies=["c2"])
    assert await factor(database, user, "c1") == 3
    assert await factor(database, user, "c2") == 30
    # Deleted ones stop counting; another user's never count.
    async with database.writing() as session:
        revoked = await service.revoke_rule_multipliers(session, rule_id="rule-1", user_id=user)
    assert revoked == 1
    assert await factor(database, user, "c1") == Decimal("1.5")
    other = await new_user(database, tenant, wallet(2))
    assert await factor(database, other, "c1") == 1


async def test_grant_for_a_rule_once_while_live(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    user = await new_user(database, tenant, wallet(1))
    first = await grant(database, tenant, user, "2", rule="rule-1")
    again = await grant(database, tenant, user, "5", rule="rule-1")
    assert again.id == first.id and again.multiplier == 2
    other_rule = await grant(database, tenant, user, "2", rule="rule-2")
    assert other_rule.id != first.id
    # Without a rule, every grant adds one.
    loose = [await grant(database, tenant, user, "1.1") for _ in range(2)]
    assert loose[0].id != loose[1].id

    async with database.writing() as session:
        assert await service.revoke_rule_multipliers(session, rule_id="rule-1", user_id=user) == 1
        assert await service.revoke_rule_multipliers(session, rule_id="rule-1", user_id=user) == 0
    renewed = await grant(database, tenant, user, "4", rule="rule-1")
    assert renewed.id != first.id and renewed.multiplier == 4
    assert await factor(database, user, "c") == Decimal("4") * 2 * Decimal("1.1") ** 2

    with pytest.raises(ValueError):
        await grant(database, tenant, user, "0", rule="rule-3")


# --- concurrency (PostgreSQL) -----------------------------------------------------------------


@pytest.mark.skipif(
    not ON_POSTGRES,
    reason="needs PostgreSQL (LOYALTY_TEST_DATABASE_URL=postgresql://...): "
    "SQLite runs one writer at a time, so there is no race to test",
)
async def test_parallel_grants_for_one_rule_give_one(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    user = await new_user(database, tenant, wallet(1))
    granted = await asyncio.gather(
        *(grant(database, tenant, user, "2", rule="rule-1") for _ in range(10))
    )
    assert len({m.id for m in granted}) == 1
    async with database.reading() as session:
        rows = (await session.scalars(select(Multiplier).where(Multiplier.user_id == user))).all()
    assert len(rows) == 1
    assert await factor(database, user, "c1") == 2
