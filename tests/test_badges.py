"""Loyalty badges: create, update, delete, reward and revoke, the lists with holdings and
rules, every error, tenant isolation, the service the earning engine calls, and parallel
rewards on PostgreSQL."""

import asyncio
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import event, func, select

from loyalty.badges import service
from loyalty.badges.models import BadgeUser
from loyalty.db import Database
from loyalty.tenancy import service as tenancy
from loyalty.users.models import User
from loyalty.users.service import ids_for_wallets
from tests.servers import LIMITS, TIMEOUT
from tests.support import ON_POSTGRES, Tenant, create_currency, create_tenant, wallet

PATH = "/api/loyalty/badges"
HOLDINGS = "/api/loyalty/badge_users"
RULES = "/api/loyalty/rules"

# Required by Snag's SDK (BadgeCreateResponse and the others).
SNAG_BADGE = {
    "id",
    "createdAt",
    "description",
    "imageUrl",
    "loyaltyConditions",
    "name",
    "updatedAt",
}
# Snag's LoyaltyBadgeUser: its required fields, and the optional ones we fill.
SNAG_HOLDING = {
    "id",
    "createdAt",
    "loyaltyBadgeId",
    "organizationId",
    "status",
    "updatedAt",
    "userId",
    "websiteId",
    "dismissedInUi",
    "hideInUi",
    "user",
}
IMAGE = "https://cdn.example.com/badge.png"


async def create(client: AsyncClient, tenant: Tenant, **fields: Any) -> Response:
    body = {"name": "Early bird", "imageUrl": IMAGE, "websiteId": tenant.website_id}
    return await client.post(PATH, json=body | fields, headers=tenant.headers)


async def badge_id(client: AsyncClient, tenant: Tenant, **fields: Any) -> str:
    response = await create(client, tenant, **fields)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def reward(client: AsyncClient, tenant: Tenant, badge: str, **body: Any) -> Response:
    return await client.post(f"{PATH}/{badge}/reward", json=body, headers=tenant.headers)


async def revoke(client: AsyncClient, tenant: Tenant, badge: str, **body: Any) -> Response:
    return await client.post(f"{PATH}/{badge}/revoke", json=body, headers=tenant.headers)


async def rewarded(client: AsyncClient, tenant: Tenant, badge: str, **body: Any) -> dict[str, Any]:
    response = await reward(client, tenant, badge, **body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def listed(
    client: AsyncClient, tenant: Tenant, path: str = PATH, **params: Any
) -> tuple[list[dict[str, Any]], bool]:
    response = await client.get(path, params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["data"], body["hasNextPage"]


def error_fields(response: Response) -> list[str]:
    assert response.status_code == 400, response.text
    return sorted(e["field"] for e in response.json()["errors"])


async def new_user(database: Database, tenant: Tenant, address: str) -> str:
    async with database.writing() as session:
        found = await ids_for_wallets(session, tenant.organization_id, tenant.website_id, [address])
    return found[address]


async def award(
    database: Database, tenant: Tenant, badge: str, user: str, rule: str | None = None
) -> bool:
    async with database.writing() as session:
        return await service.award_badge(
            session,
            organization_id=tenant.organization_id,
            website_id=tenant.website_id,
            badge_id=badge,
            user_id=user,
            rule_id=rule,
        )


async def holding_row(database: Database, badge: str, user: str) -> BadgeUser | None:
    async with database.reading() as session:
        return await service.holding_of(session, badge, user)


def code(response: Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


async def user_id_of(client: AsyncClient, tenant: Tenant, address: str) -> str:
    response = await client.get(
        "/api/users", params={"walletAddress": address}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    [user] = response.json()["data"]
    return str(user["id"])


# --- create -----------------------------------------------------------------------------------


async def test_create_answers_snag_badge(client: AsyncClient, tenant: Tenant) -> None:
    response = await create(
        client,
        tenant,
        description="First to join",
        hideInUi=True,
        organizationId=tenant.organization_id,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body.keys() >= SNAG_BADGE
    assert body["name"] == "Early bird"
    assert body["description"] == "First to join"
    assert body["imageUrl"] == IMAGE
    assert body["hideInUi"] is True
    assert body["loyaltyConditions"] == []
    assert body["organizationId"] == tenant.organization_id
    assert body["websiteId"] == tenant.website_id
    assert body["deletedAt"] is None


async def test_website_defaults_to_the_keys_only_website(
    client: AsyncClient, tenant: Tenant
) -> None:
    response = await client.post(
        PATH, json={"name": "B", "imageUrl": IMAGE}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["websiteId"] == tenant.website_id
    assert (body["hideInUi"], body["description"]) == (False, None)


async def test_org_wide_key_must_name_the_website(client: AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database, limit_key=False)
    response = await client.post(
        PATH, json={"name": "B", "imageUrl": IMAGE}, headers=tenant.headers
    )
    assert error_fields(response) == ["websiteId"]


async def test_empty_sdk_conditions_are_accepted(client: AsyncClient, tenant: Tenant) -> None:
    # The SDK's own example sends one empty condition.
    empty: list[list[dict[str, Any]] | None] = [[], [{}], None, [{"type": None, "amount": None}]]
    for conditions in empty:
        response = await create(client, tenant, conditions=conditions, csvFiles=[])
        assert response.status_code == 201, response.text
        assert response.json()["loyaltyConditions"] == []


async def test_conditions_are_not_supported_yet(client: AsyncClient, tenant: Tenant) -> None:
    response = await create(
        client,
        tenant,
        conditions=[{"type": "points", "amount": 100}],
        csvFiles=[{"src": "https://example.com/a.csv"}],
    )
    assert error_fields(response) == ["conditions", "csvFiles"]
    messages = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert "not supported" in messages["conditions"]


async def test_create_lists_every_bad_field(client: AsyncClient, tenant: Tenant) -> None:
    response = await client.post(
        PATH,
        json={"name": " ", "hideInUi": "sometimes", "colour": "red", "description": 5},
        headers=tenant.headers,
    )
    assert error_fields(response) == ["colour", "description", "hideInUi", "imageUrl", "name"]
    response = await create(client, tenant, name="x" * 256)
    assert error_fields(response) == ["name"]


async def test_create_in_another_organization_or_website(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    other = await create_tenant(database)
    response = await create(client, tenant, organizationId=other.organization_id)
    assert code(response) == (403, "forbidden")
    response = await create(client, tenant, websiteId=other.website_id)
    assert code(response) == (404, "website_not_found")


# --- update -----------------------------------------------------------------------------------


async def test_update_changes_what_is_given(client: AsyncClient, tenant: Tenant) -> None:
    badge = await badge_id(client, tenant, description="Old")
    response = await client.post(
        f"{PATH}/{badge}",
        json={"name": "Night owl", "imageUrl": "https://x/y.png", "hideInUi": True},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.keys() >= SNAG_BADGE
    assert (body["name"], body["imageUrl"], body["hideInUi"]) == (
        "Night owl",
        "https://x/y.png",
        True,
    )
    assert body["description"] == "Old"
    assert body["updatedAt"] >= body["createdAt"]

    # A null name changes nothing; a null description clears it; {} changes nothing.
    response = await client.post(
        f"{PATH}/{badge}", json={"name": None, "description": None}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    assert (response.json()["name"], response.json()["description"]) == ("Night owl", None)
    response = await client.post(f"{PATH}/{badge}", json={}, headers=tenant.headers)
    assert response.json()["imageUrl"] == "https://x/y.png"


async def test_update_errors(client: AsyncClient, tenant: Tenant) -> None:
    badge = await badge_id(client, tenant)
    response = await client.post(
        f"{PATH}/{badge}", json={"name": "", "hideInUi": 3, "extra": 1}, headers=tenant.headers
    )
    assert error_fields(response) == ["extra", "hideInUi", "name"]
    response = await client.post(f"{PATH}/missing", json={"name": "A"}, headers=tenant.headers)
    assert code(response) == (404, "badge_not_found")


# --- delete -----------------------------------------------------------------------------------


async def test_delete_is_soft_and_stops_rewards(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    badge = await badge_id(client, tenant)
    holding = await rewarded(client, tenant, badge, walletAddress=wallet(1))

    response = await client.delete(f"{PATH}/{badge}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.keys() >= SNAG_BADGE
    assert body["id"] == badge and body["deletedAt"] is not None

    assert code(await client.delete(f"{PATH}/{badge}", headers=tenant.headers)) == (
        404,
        "badge_not_found",
    )
    assert code(await reward(client, tenant, badge, walletAddress=wallet(2))) == (
        404,
        "badge_not_found",
    )
    response = await client.post(f"{PATH}/{badge}", json={"name": "A"}, headers=tenant.headers)
    assert code(response) == (404, "badge_not_found")

    assert (await listed(client, tenant))[0] == []
    data, _ = await listed(client, tenant, includeDeleted="true")
    assert [b["id"] for b in data] == [badge]
    assert data[0]["deletedAt"] is not None
    # The holder keeps the holding.
    assert [h["id"] for h in data[0]["loyaltyBadgeUsers"]] == [holding["id"]]
    assert (await listed(client, tenant, HOLDINGS))[0] == []
    kept, _ = await listed(client, tenant, HOLDINGS, includeDeleted="true")
    assert [(h["id"], h["status"]) for h in kept] == [(holding["id"], "active")]

    # The engine cannot award it either.
    user = await new_user(database, tenant, wallet(3))
    assert await award(database, tenant, badge, user) is False


# --- reward and revoke ----------------------------------------------------------------------


async def test_reward_a_new_wallet_creates_its_user_once(
    client: AsyncClient, tenant: Tenant
) -> None:
    badge = await badge_id(client, tenant)
    address = "0xAbCdEf0000000000000000000000000000000001"
    response = await reward(client, tenant, badge, walletAddress=address)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["message"] == "Badge rewarded"
    data = body["data"]
    assert data.keys() == {"id", "loyaltyBadgeId", "status", "userId"}
    assert (data["loyaltyBadgeId"], data["status"]) == (badge, "active")
    assert data["userId"] == await user_id_of(client, tenant, address.lower())

    # Again, by the same wallet in another case or by the user id: the same holding.
    again = await reward(client, tenant, badge, walletAddress=address.lower(), status="active")
    assert again.status_code == 200, again.text
    assert again.json()["data"] == data
    assert again.json()["message"] == "The user already holds this badge"
    assert await rewarded(client, tenant, badge, userId=data["userId"]) == data
    both = {"userId": data["userId"], "walletAddress": address}
    assert await rewarded(client, tenant, badge, **both) == data
    holdings, _ = await listed(client, tenant, HOLDINGS)
    assert [h["id"] for h in holdings] == [data["id"]]


async def test_revoke_then_reward_again(client: AsyncClient, tenant: Tenant) -> None:
    badge = await badge_id(client, tenant)
    held = await rewarded(client, tenant, badge, walletAddress=wallet(1))

    response = await revoke(client, tenant, badge, walletAddress=wallet(1))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["message"] == "Badge revoked"
    assert body["data"] == {**held, "status": "revoked"}

    again = await revoke(client, tenant, badge, userId=held["userId"], status="revoked")
    assert again.status_code == 200, again.text
    assert again.json()["data"]["status"] == "revoked"
    assert again.json()["message"] == "The badge was already revoked"

    response = await reward(client, tenant, badge, walletAddress=wallet(1))
    assert response.json()["message"] == "Badge rewarded"
    assert response.json()["data"] == held


async def test_reward_and_revoke_errors(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    badge = await badge_id(client, tenant)
    other = await create_tenant(database)
    foreign_user = await new_user(database, other, wallet(9))
    user = await new_user(database, tenant, wallet(1))

    for call in (reward, revoke):
        assert error_fields(await call(client, tenant, badge)) == ["userId"]
        response = await call(client, tenant, badge, userId="missing")
        assert error_fields(response) == ["userId"]
        response = await call(client, tenant, badge, userId=foreign_user)
        assert error_fields(response) == ["userId"]
        response = await call(client, tenant, badge, userId=user, walletAddress=wallet(2))
        assert error_fields(response) == ["walletAddress"]
        response = await call(client, tenant, badge, walletAddress=" ", nickname="x")
        assert error_fields(response) == ["nickname", "walletAddress"]
        response = await call(client, tenant, "missing", walletAddress=wallet(1))
        assert code(response) == (404, "badge_not_found")
    assert error_fields(await reward(client, tenant, badge, userId=user, status="revoked")) == [
        "status"
    ]
    assert error_fields(await revoke(client, tenant, badge, userId=user, status="active")) == [
        "status"
    ]
    # Revoking what the user never held; a wallet nobody has is not created.
    response = await revoke(client, tenant, badge, userId=user)
    assert code(response) == (404, "badge_user_not_found")
    response = await revoke(client, tenant, badge, walletAddress=wallet(5))
    assert code(response) == (404, "badge_user_not_found")
    users = await client.get(
        "/api/users", params={"walletAddress": wallet(5)}, headers=tenant.headers
    )
    assert users.json()["data"] == []


# --- lists ----------------------------------------------------------------------------------


def token_hold(currency: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": "Holders",
        "type": "TokenHold",
        "network": "mainnet",
        "collections": [
            {"address": "0xBC4CA0EdA7647A8aB7C2061c2E118A18a936f13D", "network": "mainnet"}
        ],
        "frequency": "daily",
        "interval": "daily",
        "startTime": "2024-01-01T00:00:00Z",
        "loyaltyCurrencyId": currency,
        "amount": 1,
        **fields,
    }


async def rule_id(client: AsyncClient, tenant: Tenant, body: dict[str, Any]) -> str:
    response = await client.post(RULES, json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_list_badges_with_holders_and_rules(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    first = await badge_id(client, tenant, name="First", hideInUi=True)
    second = await badge_id(client, tenant, name="Second")
    empty = await badge_id(client, tenant, name="Empty")
    a = await rewarded(client, tenant, first, walletAddress=wallet(1))
    b = await rewarded(client, tenant, first, walletAddress=wallet(2))
    c = await rewarded(client, tenant, second, walletAddress=wallet(1))
    gone = await rewarded(client, tenant, second, walletAddress=wallet(3))
    await revoke(client, tenant, second, walletAddress=wallet(3))

    currency = await create_currency(client, tenant)
    awarding = await rule_id(
        client, tenant, token_hold(currency, rewardType="badge", loyaltyBadgeId=first)
    )
    ranged = {"range": [{"startRange": 1, "endRange": 5, "amount": 1, "loyaltyBadgeId": second}]}
    by_range = await rule_id(client, tenant, token_hold(currency, name="Ranged", metadata=ranged))
    deleted = await rule_id(
        client, tenant, token_hold(currency, rewardType="badge", loyaltyBadgeId=second)
    )
    assert (await client.delete(f"{RULES}/{deleted}", headers=tenant.headers)).status_code == 200
    await rule_id(client, tenant, token_hold(currency, name="Unrelated"))

    statements = StatementCounter(database)
    with statements:
        data, more = await listed(client, tenant)
    assert not more
    assert [x["id"] for x in data] == [first, second, empty]
    by_id = {x["id"]: x for x in data}
    assert by_id[first].keys() >= SNAG_BADGE | {"loyaltyBadgeUsers", "loyaltyRules"}
    holders = by_id[first]["loyaltyBadgeUsers"]
    assert [h["id"] for h in holders] == [a["id"], b["id"]]
    assert holders[0].keys() >= SNAG_HOLDING
    assert holders[0]["user"] == {"id": a["userId"], "walletAddress": wallet(1)}
    assert (holders[0]["hideInUi"], holders[0]["dismissedInUi"]) == (True, False)
    assert holders[0]["websiteId"] == tenant.website_id
    assert holders[0]["organizationId"] == tenant.organization_id
    # Active holdings only, unless asked.
    assert [h["id"] for h in by_id[second]["loyaltyBadgeUsers"]] == [c["id"]]
    assert by_id[empty]["loyaltyBadgeUsers"] == []
    assert by_id[first]["loyaltyRules"] == [{"id": awarding, "name": "Holders"}]
    assert by_id[second]["loyaltyRules"] == [{"id": by_range, "name": "Ranged"}]
    assert by_id[empty]["loyaltyRules"] == []
    # One query each for the badges, their holdings and the rules, whatever the page.
    assert statements.selects_of("badges") == 1
    assert statements.selects_of("badge_users") == 1
    assert statements.selects_of("loyalty_rules") == 1

    data, _ = await listed(client, tenant, status=["active", "revoked"], badgeIds=[second])
    assert [h["id"] for h in data[0]["loyaltyBadgeUsers"]] == [c["id"], gone["id"]]
    data, _ = await listed(client, tenant, badgeIds=[first, empty])
    assert [x["id"] for x in data] == [first, empty]
    data, _ = await listed(client, tenant, walletAddress=[wallet(1)])
    assert [[h["id"] for h in x["loyaltyBadgeUsers"]] for x in data] == [[a["id"]], [c["id"]], []]
    data, _ = await listed(client, tenant, walletAddress=[wallet(1), wallet(2)], badgeIds=[first])
    assert [h["id"] for h in data[0]["loyaltyBadgeUsers"]] == [a["id"], b["id"]]
    data, _ = await listed(client, tenant, userId=[b["userId"]])
    assert [[h["id"] for h in x["loyaltyBadgeUsers"]] for x in data] == [[b["id"]], [], []]
    # Filters on the user narrow the holdings, never the badges.
    data, _ = await listed(client, tenant, walletAddress=wallet(7))
    assert [x["loyaltyBadgeUsers"] for x in data] == [[], [], []]


async def test_list_badges_by_user_group(client: AsyncClient, tenant: Tenant) -> None:
    badge = await badge_id(client, tenant)
    held = await rewarded(client, tenant, badge, walletAddress=wallet(1))
    await rewarded(client, tenant, badge, walletAddress=wallet(2))
    response = await client.post(
        "/api/users/metadatas",
        json={"walletAddress": wallet(1), "userGroupId": "vip"},
        headers=tenant.headers,
    )
    assert response.status_code in (200, 201), response.text
    data, _ = await listed(client, tenant, userGroupId="vip")
    assert [h["id"] for h in data[0]["loyaltyBadgeUsers"]] == [held["id"]]
    data, _ = await listed(client, tenant, userGroupId="other")
    assert data[0]["loyaltyBadgeUsers"] == []


async def test_list_badges_pages(client: AsyncClient, tenant: Tenant) -> None:
    ids = [await badge_id(client, tenant, name=f"B{n}") for n in range(5)]
    seen: list[str] = []
    more = True
    while more:
        cursor = {"startingAfter": seen[-1]} if seen else {}
        data, more = await listed(client, tenant, limit=2, **cursor)
        assert len(data) <= 2
        seen += [x["id"] for x in data]
    assert seen == ids
    response = await client.get(PATH, params={"limit": 0}, headers=tenant.headers)
    assert error_fields(response) == ["limit"]
    response = await client.get(PATH, params={"limit": 101}, headers=tenant.headers)
    assert error_fields(response) == ["limit"]


async def test_list_badge_users(client: AsyncClient, tenant: Tenant) -> None:
    first = await badge_id(client, tenant, name="First")
    second = await badge_id(client, tenant, name="Second", hideInUi=True)
    a = await rewarded(client, tenant, first, walletAddress=wallet(1))
    b = await rewarded(client, tenant, second, walletAddress=wallet(1))
    c = await rewarded(client, tenant, second, walletAddress=wallet(2))
    await revoke(client, tenant, second, walletAddress=wallet(2))

    data, more = await listed(client, tenant, HOLDINGS)
    assert not more
    assert [h["id"] for h in data] == [a["id"], b["id"], c["id"]]
    assert data[0].keys() >= SNAG_HOLDING
    assert data[0]["user"] == {"id": a["userId"], "walletAddress": wallet(1)}
    assert (data[0]["loyaltyBadgeId"], data[0]["status"], data[0]["hideInUi"]) == (
        first,
        "active",
        False,
    )
    assert data[0]["loyaltyRuleId"] is None
    assert (data[2]["status"], data[2]["hideInUi"]) == ("revoked", True)

    async def ids(**params: Any) -> list[str]:
        found, _ = await listed(client, tenant, HOLDINGS, **params)
        return [h["id"] for h in found]

    assert await ids(loyaltyBadgeId=second) == [b["id"], c["id"]]
    assert await ids(loyaltyBadgeId=[first, second], status="active") == [a["id"], b["id"]]
    assert await ids(status="revoked") == [c["id"]]
    assert await ids(walletAddress=wallet(1)) == [a["id"], b["id"]]
    assert await ids(walletAddress=[wallet(1), wallet(2)], loyaltyBadgeId=second) == [
        b["id"],
        c["id"],
    ]
    assert await ids(userId=c["userId"]) == [c["id"]]
    assert await ids(userId=c["userId"], walletAddress=wallet(1)) == []

    page, more = await listed(client, tenant, HOLDINGS, limit=2)
    assert ([h["id"] for h in page], more) == ([a["id"], b["id"]], True)
    page, more = await listed(client, tenant, HOLDINGS, limit=2, startingAfter=b["id"])
    assert ([h["id"] for h in page], more) == ([c["id"]], False)
    response = await client.get(HOLDINGS, params={"status": "lost"}, headers=tenant.headers)
    assert error_fields(response) == ["status[0]"]


# --- tenancy ----------------------------------------------------------------------------------


async def test_another_organization_never_sees_badges(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    badge = await badge_id(client, tenant)
    await rewarded(client, tenant, badge, walletAddress=wallet(1))
    other = await create_tenant(database, limit_key=False)

    assert (await listed(client, other))[0] == []
    assert (await listed(client, other, HOLDINGS))[0] == []
    assert (await listed(client, other, badgeIds=badge))[0] == []
    response = await client.get(
        PATH, params={"organizationId": tenant.organization_id}, headers=other.headers
    )
    assert code(response) == (403, "forbidden")
    response = await client.get(
        PATH, params={"websiteId": tenant.website_id}, headers=other.headers
    )
    assert code(response) == (404, "website_not_found")
    for response in (
        await client.post(f"{PATH}/{badge}", json={"name": "Mine"}, headers=other.headers),
        await client.delete(f"{PATH}/{badge}", headers=other.headers),
        await reward(client, other, badge, walletAddress=wallet(1)),
        await revoke(client, other, badge, walletAddress=wallet(1)),
    ):
        assert code(response) == (404, "badge_not_found")
    data, _ = await listed(client, tenant)
    assert data[0]["name"] == "Early bird" and len(data[0]["loyaltyBadgeUsers"]) == 1


async def test_key_limited_to_one_website_sees_only_it(
    client: AsyncClient, database: Database
) -> None:
    wide = await create_tenant(database, limit_key=False)
    async with database.writing() as session:
        second = await tenancy.create_website(session, wide.organization_id, "Second")
        key, plaintext = await tenancy.create_api_key(
            session, wide.organization_id, "second only", [second.id]
        )
    limited = Tenant(wide.organization_id, second.id, plaintext, key.id)
    here = await badge_id(client, wide)
    there = await badge_id(client, limited)

    assert [b["id"] for b in (await listed(client, wide))[0]] == [here, there]
    assert [b["id"] for b in (await listed(client, limited))[0]] == [there]
    data, _ = await listed(client, wide, websiteId=second.id)
    assert [b["id"] for b in data] == [there]
    response = await reward(client, limited, here, walletAddress=wallet(1))
    assert code(response) == (404, "badge_not_found")


async def test_requires_an_api_key(client: AsyncClient) -> None:
    assert (await client.get(PATH)).status_code == 401
    assert (await client.get(HOLDINGS)).status_code == 401
    assert (await client.post(PATH, json={"name": "A", "imageUrl": IMAGE})).status_code == 401


# --- the service the earning engine calls -----------------------------------------------------


async def test_award_twice_is_once_and_revoke_reactivates(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    badge = await badge_id(client, tenant)
    user = await new_user(database, tenant, wallet(1))

    assert await award(database, tenant, badge, user, rule="rule-1") is True
    assert await award(database, tenant, badge, user, rule="rule-2") is False
    first = await holding_row(database, badge, user)
    assert first is not None
    assert (first.status, first.rule_id) == ("active", "rule-1")

    async with database.writing() as session:
        assert await service.revoke_badge(session, badge_id=badge, user_id=user) is True
        assert await service.revoke_badge(session, badge_id=badge, user_id=user) is False
    revoked = await holding_row(database, badge, user)
    assert revoked is not None and revoked.status == "revoked"

    assert await award(database, tenant, badge, user, rule="rule-3") is True
    again = await holding_row(database, badge, user)
    assert again is not None
    assert (again.id, again.status, again.rule_id) == (first.id, "active", "rule-3")
    holdings, _ = await listed(client, tenant, HOLDINGS)
    assert [(h["id"], h["loyaltyRuleId"]) for h in holdings] == [(first.id, "rule-3")]


async def test_revoke_what_was_never_held(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    badge = await badge_id(client, tenant)
    user = await new_user(database, tenant, wallet(1))
    async with database.writing() as session:
        assert await service.revoke_badge(session, badge_id=badge, user_id=user) is False
    assert await holding_row(database, badge, user) is None


async def test_award_only_a_badge_of_the_website(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    other = await create_tenant(database)
    foreign = await badge_id(client, other)
    user = await new_user(database, tenant, wallet(1))
    assert await award(database, tenant, foreign, user) is False
    assert await award(database, tenant, "missing", user) is False


def test_badge_ids_of_a_rule_document() -> None:
    document = {
        "loyaltyBadgeId": "a",
        "metadata": {"range": [{"loyaltyBadgeId": "b"}, {"amount": 1}, {"loyaltyBadgeId": None}]},
    }
    assert service.badge_ids_of(document) == {"a", "b"}
    assert service.badge_ids_of({"loyaltyBadgeId": None, "metadata": {}}) == set()
    assert service.badge_ids_of({"metadata": {"range": None}}) == set()


# --- concurrency (PostgreSQL) -----------------------------------------------------------------


postgres_only = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="needs PostgreSQL (LOYALTY_TEST_DATABASE_URL=postgresql://...): "
    "SQLite runs one writer at a time, so there is no race to test",
)


@postgres_only
async def test_parallel_rewards_of_one_badge_to_one_wallet_hold_it_once(
    urls: list[str], client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    badge = await badge_id(client, tenant)
    address = wallet(42)
    async with (
        AsyncClient(base_url=urls[0], timeout=TIMEOUT, limits=LIMITS) as one,
        AsyncClient(base_url=urls[1], timeout=TIMEOUT, limits=LIMITS) as two,
    ):
        answers = await asyncio.gather(
            *(
                (one, two)[n % 2].post(
                    f"{PATH}/{badge}/reward",
                    json={"walletAddress": address},
                    headers=tenant.headers,
                )
                for n in range(20)
            )
        )
    assert [a.status_code for a in answers] == [200] * 20, [a.text for a in answers]
    messages = [a.json()["message"] for a in answers]
    assert messages.count("Badge rewarded") == 1
    assert len({a.json()["data"]["id"] for a in answers}) == 1
    async with database.reading() as session:
        users = await session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.website_id == tenant.website_id, User.wallet_address == address)
        )
        holdings = await session.scalar(
            select(func.count()).select_from(BadgeUser).where(BadgeUser.badge_id == badge)
        )
    assert (users, holdings) == (1, 1)


@postgres_only
async def test_parallel_awards_and_revocations_settle(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    """Awards in parallel transactions: one reports the award; then parallel revocations:
    one reports the revocation."""
    badge = await badge_id(client, tenant)
    user = await new_user(database, tenant, wallet(1))
    awards = await asyncio.gather(*(award(database, tenant, badge, user) for _ in range(10)))
    assert sorted(awards) == [False] * 9 + [True]

    async def take_back() -> bool:
        async with database.writing() as session:
            return await service.revoke_badge(session, badge_id=badge, user_id=user)

    revocations = await asyncio.gather(*(take_back() for _ in range(10)))
    assert sorted(revocations) == [False] * 9 + [True]


@postgres_only
async def test_delete_waits_for_a_reward_in_flight(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    """A reward holds the badge shared until commit: a delete meanwhile waits for it, and
    an award after the delete finds no badge."""
    badge = await badge_id(client, tenant)
    user = await new_user(database, tenant, wallet(1))
    async with database.writing() as session:
        assert await service.award_badge(
            session,
            organization_id=tenant.organization_id,
            website_id=tenant.website_id,
            badge_id=badge,
            user_id=user,
        )
        deleting = asyncio.create_task(client.delete(f"{PATH}/{badge}", headers=tenant.headers))
        await asyncio.sleep(0.3)
        assert not deleting.done()
    response = await deleting
    assert response.status_code == 200, response.text
    assert (
        await award(database, tenant, badge, await new_user(database, tenant, wallet(2))) is False
    )
    kept = await holding_row(database, badge, user)
    assert kept is not None and kept.status == "active"


# --- helpers ----------------------------------------------------------------------------------


class StatementCounter:
    """Counts the SELECTs run on the database's engines while active, per table read."""

    def __init__(self, database: Database) -> None:
        self.engines = {database.read_engine.sync_engine, database.write_engine.sync_engine}
        self.statements: list[str] = []

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    def __enter__(self) -> "StatementCounter":
        for engine in self.engines:
            event.listen(engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_exc: object) -> None:
        for engine in self.engines:
            event.remove(engine, "before_cursor_execute", self._record)

    def selects_of(self, table: str) -> int:
        return sum(
            1
            for s in self.statements
            if s.lstrip().upper().startswith("SELECT") and f"FROM {table}" in s
        )


async def test_a_badge_lists_its_first_holders_only(
    client: AsyncClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "HOLDERS_LISTED", 2)
    badge = await badge_id(client, tenant)
    awarded = [await rewarded(client, tenant, badge, walletAddress=wallet(n)) for n in (1, 2, 3)]
    data, _ = await listed(client, tenant, badgeIds=[badge])
    assert [h["id"] for h in data[0]["loyaltyBadgeUsers"]] == [a["id"] for a in awarded[:2]]
    # Filters apply before the cap: the third holder is listed when asked for.
    data, _ = await listed(client, tenant, badgeIds=[badge], walletAddress=[wallet(3)])
    assert [h["id"] for h in data[0]["loyaltyBadgeUsers"]] == [awarded[2]["id"]]
