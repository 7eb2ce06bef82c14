"""Websites (programs): creation by an organization key, lists, filters and pages."""

from typing import Any

from httpx import AsyncClient, Response

from loyalty.db import Database
from tests.support import Tenant, create_tenant

PATH = "/api/websites"


async def create(client: AsyncClient, tenant: Tenant, **fields: Any) -> Response:
    return await client.post(PATH, json={"name": "Shop"} | fields, headers=tenant.headers)


async def listed(client: AsyncClient, tenant: Tenant, params: Any = None) -> Response:
    response = await client.get(PATH, params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return response


def error_fields(response: Response) -> list[str]:
    assert response.status_code == 400, response.text
    return sorted(e["field"] for e in response.json()["errors"])


async def test_create_a_website(client: AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database, limit_key=False)
    response = await create(
        client,
        tenant,
        name="My New Website",
        organizationId=tenant.organization_id,
        homeUrl="https://shop.example.com",
        discordUrl="https://discord.gg/shop",
        telegramUrl="https://t.me/shop",
        instagramUsername="shop",
        twitterUsername="shop_x",
        timeZone="Europe/Paris",
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "My New Website"
    assert body["organizationId"] == tenant.organization_id
    assert body["timeZone"] == "Europe/Paris"
    assert body["homeUrl"] == "https://shop.example.com"
    assert (body["discordUrl"], body["telegramUrl"]) == (
        "https://discord.gg/shop",
        "https://t.me/shop",
    )
    assert (body["instagramUsername"], body["twitterUsername"]) == ("shop", "shop_x")
    assert body["collections"] == []
    assert body["termsSignedAt"] is None
    assert body["createdAt"]


async def test_defaults_and_sdk_nulls(client: AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database, limit_key=False)
    nulls = dict.fromkeys(
        [
            "organizationId",
            "homeUrl",
            "discordUrl",
            "telegramUrl",
            "instagramUsername",
            "twitterUsername",
        ]
    )
    response = await create(client, tenant, **nulls)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["timeZone"] == "UTC"
    assert body["homeUrl"] is None and body["discordUrl"] is None


async def test_a_key_limited_to_websites_cannot_create_one(
    client: AsyncClient, tenant: Tenant
) -> None:
    response = await create(client, tenant)
    assert response.status_code == 403, response.text
    assert (await listed(client, tenant)).json()["data"][0]["id"] == tenant.website_id


async def test_invalid_fields(client: AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database, limit_key=False)
    assert error_fields(await create(client, tenant, name="")) == ["name"]
    assert error_fields(await create(client, tenant, name="x" * 256)) == ["name"]
    assert error_fields(await create(client, tenant, timeZone="Mars/Base")) == ["timeZone"]
    assert error_fields(await create(client, tenant, owner="me")) == ["owner"]
    missing = await client.post(PATH, json={}, headers=tenant.headers)
    assert error_fields(missing) == ["name"]
    assert [w["id"] for w in (await listed(client, tenant)).json()["data"]] == [tenant.website_id]


async def test_list_websites_of_the_organization(client: AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database, limit_key=False)
    created = [(await create(client, tenant, name=f"Site {i}")).json()["id"] for i in range(2)]
    response = await listed(client, tenant, {"organizationId": tenant.organization_id})
    assert [w["id"] for w in response.json()["data"]] == [tenant.website_id, *created]
    assert response.json()["hasNextPage"] is False


async def test_list_websites_by_name(client: AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database, limit_key=False)
    wanted = (await create(client, tenant, name="Wanted")).json()["id"]
    response = await listed(client, tenant, {"name": "Wanted"})
    assert [w["id"] for w in response.json()["data"]] == [wanted]


async def test_list_websites_pages(client: AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database, limit_key=False)
    for i in range(2):
        await create(client, tenant, name=f"Site {i}")
    first = await listed(client, tenant, {"limit": 2})
    ids = [w["id"] for w in first.json()["data"]]
    assert len(ids) == 2 and first.json()["hasNextPage"] is True
    rest = await listed(client, tenant, {"limit": 2, "startingAfter": ids[1]})
    assert len(rest.json()["data"]) == 1 and rest.json()["hasNextPage"] is False
    assert rest.json()["data"][0]["id"] not in ids


async def test_limited_key_lists_its_websites_only(client: AsyncClient, tenant: Tenant) -> None:
    response = await listed(client, tenant)
    assert [w["id"] for w in response.json()["data"]] == [tenant.website_id]


async def test_list_limit_is_checked(client: AsyncClient, tenant: Tenant) -> None:
    response = await client.get(PATH, params={"limit": 0}, headers=tenant.headers)
    assert error_fields(response) == ["limit"]


async def test_website_answer_has_snag_counters(client: AsyncClient, tenant: Tenant) -> None:
    response = await client.get("/api/websites", headers=tenant.headers)
    assert response.json()["data"][0]["_count"] == {"mintingContractAssets": 0}


async def test_openapi_documents_400_for_validation(client: AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    operation = schema["paths"]["/api/loyalty/transactions"]["post"]
    assert "400" in operation["responses"]
    assert operation["responses"].get("422", {}).get("description") != "Validation Error"
