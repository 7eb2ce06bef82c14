"""Server API keys: no key or a wrong one is refused, and a key of one organization can
never read or change another organization's websites, users, metadata or currencies."""

from dataclasses import dataclass
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import update

from loyalty.db import Database
from loyalty.kit.clock import now
from loyalty.tenancy.models import ApiKey
from tests.support import Tenant, create_tenant

WALLET = "0x52908400098527886e0f7030069857d2e4169ee7"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    # Websites are reached through the organization only.
    takes_website: bool = True

    def body(self, organization_id: str | None, website_id: str | None) -> dict[str, Any]:
        where = {"organizationId": organization_id}
        if self.takes_website:
            where["websiteId"] = website_id
        return BODIES[self.path] | where if self.method == "POST" else where

    async def call(
        self,
        client: AsyncClient,
        headers: dict[str, str],
        organization_id: str | None = None,
        website_id: str | None = None,
    ) -> Response:
        fields = {k: v for k, v in self.body(organization_id, website_id).items() if v is not None}
        if self.method == "POST":
            return await client.post(self.path, json=fields, headers=headers)
        return await client.get(self.path, params=fields, headers=headers)


BODIES: dict[str, dict[str, Any]] = {
    "/api/websites": {"name": "Intruder"},
    "/api/users/metadatas": {"walletAddress": WALLET, "displayName": "Intruder"},
    "/api/loyalty/currencies": {"name": "Fake", "symbol": "F", "decimals": 0},
    "/api/loyalty/rule_groups/create": {"name": "Fake"},
    "/api/loyalty/rules": {
        "name": "Fake",
        "type": "check_in",
        "frequency": "daily",
        "startTime": None,
        "amount": 1,
        "loyaltyCurrencyId": "unknown",
    },
}

ROUTES = [
    Route("GET", "/api/websites", takes_website=False),
    Route("POST", "/api/websites", takes_website=False),
    Route("GET", "/api/users"),
    Route("GET", "/api/users/count"),
    Route("GET", "/api/users/metadatas"),
    Route("POST", "/api/users/metadatas"),
    Route("GET", "/api/loyalty/currencies"),
    Route("POST", "/api/loyalty/currencies"),
    Route("GET", "/api/loyalty/rules"),
    Route("POST", "/api/loyalty/rules"),
    Route("GET", "/api/loyalty/rule_edits"),
    Route("GET", "/api/loyalty/rule_groups"),
    Route("POST", "/api/loyalty/rule_groups/create"),
]
WEBSITE_ROUTES = [r for r in ROUTES if r.takes_website]


def route_id(route: Route) -> str:
    return f"{route.method} {route.path}"


@pytest.fixture
async def victim(client: AsyncClient, database: Database) -> Tenant:
    """An organization with a user, its metadata and a currency."""
    tenant = await create_tenant(database)
    saved = await client.post(
        "/api/users/metadatas",
        json={"walletAddress": WALLET, "displayName": "Victim"},
        headers=tenant.headers,
    )
    assert saved.status_code == 200, saved.text
    currency = await client.post(
        "/api/loyalty/currencies",
        json={"name": "Gold", "symbol": "G", "decimals": 0},
        headers=tenant.headers,
    )
    assert currency.status_code == 201, currency.text
    return tenant


@pytest.fixture
async def intruder(database: Database) -> Tenant:
    return await create_tenant(database, limit_key=False)


async def victim_unchanged(client: AsyncClient, victim: Tenant) -> None:
    users = await client.get("/api/users/metadatas", headers=victim.headers)
    assert [m["displayName"] for m in users.json()["data"]] == ["Victim"]
    currencies = await client.get("/api/loyalty/currencies", headers=victim.headers)
    assert [c["name"] for c in currencies.json()["data"]] == ["Gold"]


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
async def test_missing_key_is_refused(client: AsyncClient, tenant: Tenant, route: Route) -> None:
    response = await route.call(client, {}, tenant.organization_id, tenant.website_id)
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "unauthenticated"


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
async def test_wrong_key_is_refused(client: AsyncClient, tenant: Tenant, route: Route) -> None:
    headers = {"X-API-KEY": tenant.api_key[:-4] + "abcd"}
    response = await route.call(client, headers, tenant.organization_id, tenant.website_id)
    assert response.status_code == 401, response.text


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
async def test_revoked_key_is_refused(
    client: AsyncClient, database: Database, tenant: Tenant, route: Route
) -> None:
    async with database.writing() as session:
        await session.execute(
            update(ApiKey).where(ApiKey.id == tenant.key_id).values(revoked_at=now())
        )
    response = await route.call(client, tenant.headers, tenant.organization_id, tenant.website_id)
    assert response.status_code == 401, response.text


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
async def test_another_organization_is_forbidden(
    client: AsyncClient, victim: Tenant, intruder: Tenant, route: Route
) -> None:
    response = await route.call(client, intruder.headers, victim.organization_id, victim.website_id)
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "forbidden"
    await victim_unchanged(client, victim)


@pytest.mark.parametrize("route", WEBSITE_ROUTES, ids=route_id)
async def test_another_organizations_website_is_not_found(
    client: AsyncClient, victim: Tenant, intruder: Tenant, route: Route
) -> None:
    for organization_id in (None, intruder.organization_id):
        response = await route.call(client, intruder.headers, organization_id, victim.website_id)
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "website_not_found"
    await victim_unchanged(client, victim)


@pytest.mark.parametrize("route", WEBSITE_ROUTES, ids=route_id)
async def test_limited_key_cannot_use_other_websites(
    client: AsyncClient, victim: Tenant, database: Database, route: Route
) -> None:
    neighbour = await create_tenant(database)
    response = await route.call(client, neighbour.headers, None, victim.website_id)
    assert response.status_code == 404, response.text
    await victim_unchanged(client, victim)


async def test_lists_show_nothing_of_another_organization(
    client: AsyncClient, victim: Tenant, intruder: Tenant
) -> None:
    for path in ("/api/users", "/api/users/metadatas", "/api/loyalty/currencies"):
        response = await client.get(path, headers=intruder.headers)
        assert response.json() == {"data": [], "hasNextPage": False}, path
    by_wallet = await client.get(
        "/api/users", params={"walletAddress": WALLET}, headers=intruder.headers
    )
    assert by_wallet.json()["data"] == []
    count = await client.get("/api/users/count", headers=intruder.headers)
    assert count.json() == {"totalCount": 0}
    websites = await client.get("/api/websites", headers=intruder.headers)
    assert [w["id"] for w in websites.json()["data"]] == [intruder.website_id]


async def test_another_organizations_user_cannot_be_named(
    client: AsyncClient, victim: Tenant, intruder: Tenant
) -> None:
    (user,) = (await client.get("/api/users", headers=victim.headers)).json()["data"]
    response = await client.post(
        "/api/users/metadatas",
        json={"websiteId": intruder.website_id, "userId": user["id"], "displayName": "Mine"},
        headers=intruder.headers,
    )
    assert response.status_code == 400, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["userId"]
    await victim_unchanged(client, victim)
