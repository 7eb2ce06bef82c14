"""Loyalty currencies: creation, bounds in currency units, validation, lists."""

from decimal import Decimal
from typing import Any

from httpx import AsyncClient, Response
from sqlalchemy import select, update

from loyalty.db import Database
from loyalty.kit.clock import now
from loyalty.ledger import currencies
from loyalty.ledger.models import Currency
from loyalty.tenancy import repository as tenancy_repository
from loyalty.tenancy import service as tenancy
from tests.support import Tenant, create_tenant

PATH = "/api/loyalty/currencies"

SNAG_FIELDS = {
    "id",
    "apiAuthKey",
    "apiAuthType",
    "apiAuthValue",
    "apiGetTransactionEntryUrl",
    "apiGetUrl",
    "apiPostUrl",
    "createdAt",
    "createdById",
    "decimals",
    "deletedAt",
    "imageUrl",
    "name",
    "organizationId",
    "sortId",
    "symbol",
    "updatedAt",
    "websiteId",
}


async def create(client: AsyncClient, tenant: Tenant, **fields: Any) -> Response:
    body = {"name": "Points", "symbol": "PTS", "decimals": 0, "websiteId": tenant.website_id}
    return await client.post(PATH, json=body | fields, headers=tenant.headers)


def error_fields(response: Response) -> list[str]:
    assert response.status_code == 400, response.text
    return sorted(e["field"] for e in response.json()["errors"])


def messages(response: Response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


async def stored(database: Database, currency_id: str) -> Currency:
    async with database.reading() as session:
        result = await session.execute(select(Currency).where(Currency.id == currency_id))
        return result.scalar_one()


async def delete(database: Database, currency_id: str) -> None:
    async with database.writing() as session:
        await session.execute(
            update(Currency).where(Currency.id == currency_id).values(deleted_at=now())
        )


async def test_create_answers_snag_currency(client: AsyncClient, tenant: Tenant) -> None:
    response = await create(
        client,
        tenant,
        name="Loyalty Points",
        symbol="LP",
        decimals=2,
        organizationId=tenant.organization_id,
        imageUrl="https://cdn.example.com/lp.png",
        sortId=3,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body.keys() >= SNAG_FIELDS
    assert body["name"] == "Loyalty Points"
    assert body["symbol"] == "LP"
    assert body["decimals"] == 2
    assert body["organizationId"] == tenant.organization_id
    assert body["websiteId"] == tenant.website_id
    assert body["imageUrl"] == "https://cdn.example.com/lp.png"
    assert body["sortId"] == 3
    assert body["deletedAt"] is None
    assert body["createdById"] is None
    assert body["apiAuthType"] is None and body["apiGetUrl"] is None
    assert body["defaultValue"] is None and body["maximumValue"] is None


async def test_website_defaults_to_the_keys_only_website(
    client: AsyncClient, tenant: Tenant
) -> None:
    response = await client.post(
        PATH, json={"name": "XP", "symbol": "XP", "decimals": 0}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["websiteId"] == tenant.website_id


async def test_org_wide_key_must_name_the_website(client: AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database, limit_key=False)
    response = await client.post(
        PATH, json={"name": "XP", "symbol": "XP", "decimals": 0}, headers=tenant.headers
    )
    assert error_fields(response) == ["websiteId"]


async def test_sdk_nulls_are_accepted(client: AsyncClient, tenant: Tenant) -> None:
    nulls = dict.fromkeys(
        [
            "imageUrl",
            "sortId",
            "apiAuthKey",
            "apiAuthType",
            "apiAuthValue",
            "apiGetTransactionEntryUrl",
            "apiGetUrl",
            "apiPostUrl",
            "defaultValue",
            "minimumValue",
            "maximumValue",
        ]
    )
    response = await create(client, tenant, organizationId=tenant.organization_id, **nulls)
    assert response.status_code == 201, response.text
    assert response.json()["imageUrl"] is None


async def test_bounds_are_stored_in_smallest_units(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    response = await create(
        client, tenant, decimals=2, defaultValue=10.5, minimumValue=0, maximumValue="1000.25"
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["defaultValue"], body["minimumValue"], body["maximumValue"]) == (
        10.5,
        0.0,
        1000.25,
    )
    row = await stored(database, body["id"])
    assert (row.default_value, row.minimum_value, row.maximum_value) == (1050, 0, 100025)


async def test_bounds_of_a_whole_currency_are_integers(client: AsyncClient, tenant: Tenant) -> None:
    response = await create(client, tenant, defaultValue=5, minimumValue=1, maximumValue=100.0)
    assert response.status_code == 201, response.text
    assert '"defaultValue":5,' in response.text
    assert response.json()["maximumValue"] == 100
    assert isinstance(response.json()["maximumValue"], int)


async def test_six_decimals_are_exact(client: AsyncClient, tenant: Tenant) -> None:
    response = await create(client, tenant, decimals=6, defaultValue=0.000001)
    assert response.status_code == 201, response.text
    assert response.json()["defaultValue"] == 0.000001


async def test_type_errors_are_listed_at_once(client: AsyncClient, tenant: Tenant) -> None:
    response = await client.post(
        PATH,
        json={"symbol": 5, "decimals": "two", "sortId": "first", "defaultValue": "lots"},
        headers=tenant.headers,
    )
    assert error_fields(response) == ["decimals", "defaultValue", "name", "sortId", "symbol"]
    assert all(e["location"] == "body" for e in response.json()["errors"])


async def test_field_rules_are_listed_at_once(client: AsyncClient, tenant: Tenant) -> None:
    response = await create(client, tenant, name=" ", symbol="S" * 33, decimals=7, sortId=2**31)
    assert error_fields(response) == ["decimals", "name", "sortId", "symbol"]


async def test_too_precise_bounds_name_their_field(client: AsyncClient, tenant: Tenant) -> None:
    response = await create(
        client, tenant, decimals=2, defaultValue=1.005, minimumValue=-1, maximumValue=1e30
    )
    assert error_fields(response) == ["defaultValue", "maximumValue", "minimumValue"]
    found = messages(response)
    assert "2 decimal places" in found["defaultValue"]
    assert found["maximumValue"] == "is too large"
    assert found["minimumValue"] == "must be at least 0"


async def test_whole_currency_refuses_fractions(client: AsyncClient, tenant: Tenant) -> None:
    response = await create(client, tenant, minimumValue=0.5)
    assert error_fields(response) == ["minimumValue"]
    assert "no decimal places" in messages(response)["minimumValue"]


async def test_bounds_out_of_order_are_listed_at_once(client: AsyncClient, tenant: Tenant) -> None:
    response = await create(client, tenant, minimumValue=10, defaultValue=5, maximumValue=1)
    assert error_fields(response) == ["defaultValue", "defaultValue", "maximumValue"]


async def test_default_between_bounds_is_accepted(client: AsyncClient, tenant: Tenant) -> None:
    response = await create(client, tenant, minimumValue=5, defaultValue=5, maximumValue=5)
    assert response.status_code == 201, response.text


async def test_external_api_currencies_are_refused(client: AsyncClient, tenant: Tenant) -> None:
    response = await create(
        client,
        tenant,
        apiGetUrl="https://balances.example.com",
        apiAuthType="bearer",
        apiAuthValue="secret",
    )
    assert error_fields(response) == ["apiAuthType", "apiAuthValue", "apiGetUrl"]
    assert all("not supported" in m for m in messages(response).values())


async def test_auth_type_none_is_no_external_api(client: AsyncClient, tenant: Tenant) -> None:
    response = await create(client, tenant, apiAuthType="none")
    assert response.status_code == 201, response.text
    assert response.json()["apiAuthType"] is None


async def test_unknown_fields_are_refused(client: AsyncClient, tenant: Tenant) -> None:
    response = await create(client, tenant, colour="gold")
    assert error_fields(response) == ["colour"]


async def test_nothing_is_written_on_error(client: AsyncClient, tenant: Tenant) -> None:
    await create(client, tenant, decimals=9)
    listed = await client.get(PATH, headers=tenant.headers)
    assert listed.json() == {"data": [], "hasNextPage": False}


async def test_list_pages_in_creation_order(client: AsyncClient, tenant: Tenant) -> None:
    ids = [(await create(client, tenant, name=f"C{i}")).json()["id"] for i in range(3)]
    first = await client.get(PATH, params={"limit": 2}, headers=tenant.headers)
    assert [c["id"] for c in first.json()["data"]] == ids[:2]
    assert first.json()["hasNextPage"] is True
    second = await client.get(
        PATH, params={"limit": 2, "startingAfter": ids[1]}, headers=tenant.headers
    )
    assert [c["id"] for c in second.json()["data"]] == ids[2:]
    assert second.json()["hasNextPage"] is False


async def test_list_answers_snag_fields(client: AsyncClient, tenant: Tenant) -> None:
    await create(client, tenant, decimals=1, defaultValue=2.5)
    response = await client.get(
        PATH,
        params={"organizationId": tenant.organization_id, "websiteId": tenant.website_id},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    (item,) = response.json()["data"]
    assert item.keys() >= SNAG_FIELDS
    assert item["defaultValue"] == 2.5


async def test_list_limit_is_checked(client: AsyncClient, tenant: Tenant) -> None:
    for limit in (0, 101, "many"):
        response = await client.get(PATH, params={"limit": limit}, headers=tenant.headers)
        assert error_fields(response) == ["limit"]
        assert response.json()["errors"][0]["location"] == "query"


async def test_deleted_currencies_are_listed_on_request(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    kept, gone = [(await create(client, tenant, name=n)).json()["id"] for n in ("A", "B")]
    await delete(database, gone)
    default = await client.get(PATH, params={"includeDeleted": ""}, headers=tenant.headers)
    assert [c["id"] for c in default.json()["data"]] == [kept]
    both = await client.get(PATH, params={"includeDeleted": "true"}, headers=tenant.headers)
    assert [c["id"] for c in both.json()["data"]] == [kept, gone]
    assert both.json()["data"][1]["deletedAt"] is not None


async def test_list_filters_by_website(client: AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database, limit_key=False)
    other = await client.post("/api/websites", json={"name": "Two"}, headers=tenant.headers)
    first = (await create(client, tenant)).json()["id"]
    second = (await create(client, tenant, websiteId=other.json()["id"])).json()["id"]
    everything = await client.get(PATH, headers=tenant.headers)
    assert [c["id"] for c in everything.json()["data"]] == [first, second]
    only = await client.get(PATH, params={"websiteId": other.json()["id"]}, headers=tenant.headers)
    assert [c["id"] for c in only.json()["data"]] == [second]


async def test_limited_key_lists_only_its_website(client: AsyncClient, database: Database) -> None:
    admin = await create_tenant(database, limit_key=False)
    mine = (await create(client, admin)).json()["id"]
    other = await client.post("/api/websites", json={"name": "Two"}, headers=admin.headers)
    await create(client, admin, websiteId=other.json()["id"])
    async with database.writing() as session:
        _, key = await tenancy.create_api_key(
            session, admin.organization_id, "one site", [admin.website_id]
        )
    response = await client.get(PATH, headers={"X-API-KEY": key})
    assert [c["id"] for c in response.json()["data"]] == [mine]


async def test_queries_for_the_ledger(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    live, gone = [(await create(client, tenant, name=n)).json()["id"] for n in ("A", "B")]
    await delete(database, gone)
    stranger = await create_tenant(database)
    foreign = (await create(client, stranger)).json()["id"]
    async with database.reading() as session:
        assert await currencies.currency_in_website(session, tenant.website_id, live) is not None
        assert await currencies.currency_in_website(session, tenant.website_id, gone) is None
        assert await currencies.currency_in_website(session, tenant.website_id, foreign) is None
        found = await currencies.currency_terms(
            session, tenant.organization_id, None, [live, gone, foreign]
        )
        assert list(found) == [live]
        scoped = await currencies.currency_terms(
            session, tenant.organization_id, frozenset({stranger.website_id}), [live]
        )
        assert scoped == {}
        assert await currencies.currency_terms(session, tenant.organization_id, None, []) == {}


async def test_create_currency_for_the_seeder(tenant: Tenant, database: Database) -> None:
    async with database.writing() as session:
        website = await tenancy_repository.website_in_organization(
            session, tenant.organization_id, tenant.website_id
        )
        assert website is not None
        currency = await currencies.create_currency(
            session, website, name="Coins", symbol="C", decimals=3, default_value=Decimal("1.5")
        )
    assert (currency.decimals, currency.default_value) == (3, 1500)
