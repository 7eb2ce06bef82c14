"""Users and their metadata: identities, profile writes, lists, filters and counts."""

import asyncio
from typing import Any

from httpx import AsyncClient, Response

from loyalty.db import Database
from loyalty.users import service as users_service
from tests.support import Tenant, create_tenant

METADATAS = "/api/users/metadatas"
USERS = "/api/users"
WALLET = "0x52908400098527886E0F7030069857D2E4169EE7"
OTHER_WALLET = "0x8617E340B3D01FA5F11F306F4090FD50E238070D"
SOLANA = "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV"

# Every field of the SDK's MetadataCreateParams but the addressing ones.
SDK_FIELDS: dict[str, Any] = {
    "bio": "Collector",
    "blockStatusReason": "not_sybil",
    "discordUser": "ada#1",
    "discordUserId": "d-1",
    "displayName": "Ada",
    "emailAddress": "ada@example.com",
    "epicAccountIdentifier": "epic-1",
    "externalIdentifier": "crm-1",
    "externalLoyaltyScore": "97",
    "githubUser": "ada",
    "githubUserId": "g-1",
    "googleUser": "ada@gmail.com",
    "googleUserId": "go-1",
    "internalNotes": "VIP",
    "isBlocked": False,
    "isBlockExempt": True,
    "location": "London",
    "logoUrl": "https://cdn.example.com/ada.png",
    "portfolioUrl": "https://ada.example.com",
    "steamUserId": "s-1",
    "steamUsername": "ada_s",
    "sybilScore": 0.25,
    "telegramUserId": "t-1",
    "telegramUsername": "ada_t",
    "tiktokUser": "ada_tt",
    "tiktokUserId": "tt-1",
    "twitterUser": "ada_x",
    "twitterUserFollowersCount": 1200,
    "twitterUserId": "x-1",
    "userGroupExternalIdentifier": "group-a",
    "userGroupId": "00000000-0000-0000-0000-000000000001",
    "walletGroupIdentifier": "wg-1",
    "YTChannelId": "yt-1",
}


async def save(client: AsyncClient, tenant: Tenant, **fields: Any) -> Response:
    return await client.post(
        METADATAS, json={"websiteId": tenant.website_id} | fields, headers=tenant.headers
    )


async def saved(client: AsyncClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    response = await save(client, tenant, **fields)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def users(client: AsyncClient, tenant: Tenant, params: Any = None) -> list[dict[str, Any]]:
    response = await client.get(USERS, params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


async def user_ids(client: AsyncClient, tenant: Tenant, params: Any = None) -> list[str]:
    return [u["id"] for u in await users(client, tenant, params)]


async def metadata_ids(client: AsyncClient, tenant: Tenant, params: Any = None) -> list[str]:
    response = await client.get(METADATAS, params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return [m["id"] for m in response.json()["data"]]


def error_fields(response: Response) -> list[str]:
    assert response.status_code == 400, response.text
    return sorted(e["field"] for e in response.json()["errors"])


# POST /api/users/metadatas


async def test_new_wallet_creates_the_user(client: AsyncClient, tenant: Tenant) -> None:
    body = await saved(
        client, tenant, organizationId=tenant.organization_id, walletAddress=WALLET, bio="Hi"
    )
    assert body["user"] == {"id": body["id"], "walletAddress": WALLET.lower()}
    assert body["organizationId"] == tenant.organization_id
    assert body["websiteId"] == tenant.website_id
    assert body["userGroup"] is None
    assert body["userGroupId"] is None
    assert body["walletGroupIdentifier"] is None
    assert body["bio"] == "Hi"
    assert body["displayName"] is None
    assert body["isBlocked"] is False
    assert body["createdAt"]
    (user,) = await users(client, tenant)
    assert user["state"] == "enrolled"
    assert user["externalIdentifier"] is None


async def test_evm_wallets_are_case_insensitive(client: AsyncClient, tenant: Tenant) -> None:
    first = await saved(client, tenant, walletAddress=WALLET, displayName="Ada")
    again = await saved(client, tenant, walletAddress=WALLET.lower(), bio="Same")
    assert again["user"]["id"] == first["user"]["id"]
    assert again["displayName"] == "Ada"
    found = await user_ids(client, tenant, {"walletAddress": WALLET.upper().replace("0X", "0x")})
    assert found == [first["user"]["id"]]


async def test_other_chains_keep_their_case(client: AsyncClient, tenant: Tenant) -> None:
    first = await saved(client, tenant, walletAddress=SOLANA)
    second = await saved(client, tenant, walletAddress=SOLANA.lower())
    assert first["user"]["walletAddress"] == SOLANA
    assert first["user"]["id"] != second["user"]["id"]


async def test_new_external_identifier_creates_the_user(
    client: AsyncClient, tenant: Tenant
) -> None:
    body = await saved(client, tenant, externalIdentifier="crm-7", displayName="Grace")
    assert body["user"]["walletAddress"] is None
    assert body["externalIdentifier"] == "crm-7"
    again = await saved(client, tenant, externalIdentifier="crm-7", bio="Admiral")
    assert again["id"] == body["id"]
    assert (again["displayName"], again["bio"]) == ("Grace", "Admiral")


async def test_every_sdk_field_is_stored_and_returned(client: AsyncClient, tenant: Tenant) -> None:
    body = await saved(client, tenant, walletAddress=WALLET, **SDK_FIELDS)
    for name, value in SDK_FIELDS.items():
        assert body[name] == value, name
    (listed,) = (await client.get(METADATAS, headers=tenant.headers)).json()["data"]
    assert listed == body
    (user,) = await users(client, tenant)
    (profile,) = user["userMetadata"]
    assert profile["twitterUserFollowersCount"] == 1200
    assert profile["steamUsername"] == "ada_s"


async def test_only_sent_fields_change_and_null_clears(client: AsyncClient, tenant: Tenant) -> None:
    first = await saved(
        client, tenant, walletAddress=WALLET, displayName="Ada", bio="Bio", location="Paris"
    )
    body = await saved(client, tenant, userId=first["id"], bio=None, location=None, logoUrl="u")
    assert (body["displayName"], body["bio"], body["location"], body["logoUrl"]) == (
        "Ada",
        None,
        None,
        "u",
    )


async def test_sdk_nulls_for_every_optional_field(client: AsyncClient, tenant: Tenant) -> None:
    nulls = dict.fromkeys(name for name in SDK_FIELDS if name != "externalIdentifier")
    body = await saved(client, tenant, walletAddress=WALLET, organizationId=None, **nulls)
    assert body["isBlocked"] is False
    assert body["displayName"] is None


async def test_unknown_user_id_is_a_bad_request(client: AsyncClient, tenant: Tenant) -> None:
    response = await save(client, tenant, userId="00000000-0000-7000-8000-000000000000")
    assert error_fields(response) == ["userId"]


async def test_some_identity_is_required(client: AsyncClient, tenant: Tenant) -> None:
    response = await save(client, tenant, displayName="Nobody", walletAddress=None)
    assert error_fields(response) == ["userId"]


async def test_identities_of_different_users_conflict(client: AsyncClient, tenant: Tenant) -> None:
    await saved(client, tenant, walletAddress=WALLET)
    await saved(client, tenant, externalIdentifier="crm-2")
    response = await save(client, tenant, walletAddress=WALLET, externalIdentifier="crm-2")
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "identity_conflict"


async def test_external_identifier_of_another_user_conflicts(
    client: AsyncClient, tenant: Tenant
) -> None:
    mine = await saved(client, tenant, walletAddress=WALLET)
    await saved(client, tenant, walletAddress=OTHER_WALLET, externalIdentifier="taken")
    response = await save(client, tenant, userId=mine["id"], externalIdentifier="taken")
    assert response.status_code == 409, response.text


async def test_wallet_and_new_external_identifier_name_one_user(
    client: AsyncClient, tenant: Tenant
) -> None:
    first = await saved(client, tenant, walletAddress=WALLET)
    body = await saved(client, tenant, walletAddress=WALLET, externalIdentifier="crm-3")
    assert body["id"] == first["id"]
    assert await user_ids(client, tenant, {"externalIdentifier": "crm-3"}) == [first["id"]]
    cleared = await saved(client, tenant, userId=first["id"], externalIdentifier=None)
    assert cleared["externalIdentifier"] is None


async def test_new_wallet_and_external_identifier_create_one_user(
    client: AsyncClient, tenant: Tenant
) -> None:
    body = await saved(client, tenant, walletAddress=WALLET, externalIdentifier="crm-4")
    assert body["externalIdentifier"] == "crm-4"
    assert await user_ids(client, tenant) == [body["id"]]


async def test_concurrent_first_writes_make_one_user(client: AsyncClient, tenant: Tenant) -> None:
    responses = await asyncio.gather(
        *[
            save(client, tenant, walletAddress=WALLET, externalIdentifier="crm-c", location=f"{i}")
            for i in range(8)
        ]
    )
    assert [r.status_code for r in responses] == [200] * 8, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert len(await user_ids(client, tenant)) == 1


async def test_a_wallet_is_attached_once(client: AsyncClient, tenant: Tenant) -> None:
    user = await saved(client, tenant, externalIdentifier="crm-5")
    body = await saved(client, tenant, userId=user["id"], walletAddress=WALLET)
    assert body["user"]["walletAddress"] == WALLET.lower()
    response = await save(client, tenant, userId=user["id"], walletAddress=OTHER_WALLET)
    assert response.status_code == 409, response.text


async def test_blocking_sets_the_user_state(client: AsyncClient, tenant: Tenant) -> None:
    user = await saved(client, tenant, walletAddress=WALLET)
    blocked = await saved(client, tenant, userId=user["id"], isBlocked=True)
    assert blocked["isBlocked"] is True
    assert (await users(client, tenant))[0]["state"] == "blocked"
    await saved(client, tenant, userId=user["id"], isBlocked=False)
    assert (await users(client, tenant))[0]["state"] == "enrolled"


async def test_wire_errors_are_listed_at_once(client: AsyncClient, tenant: Tenant) -> None:
    response = await save(
        client,
        tenant,
        walletAddress=7,
        isBlocked="maybe",
        blockStatusReason="bored",
        twitterUserFollowersCount="many",
        nickname="x",
    )
    assert error_fields(response) == [
        "blockStatusReason",
        "isBlocked",
        "nickname",
        "twitterUserFollowersCount",
        "walletAddress",
    ]


async def test_field_rules_are_listed_at_once(client: AsyncClient, tenant: Tenant) -> None:
    response = await save(
        client,
        tenant,
        walletAddress="",
        externalIdentifier="e" * 256,
        displayName="d" * 256,
        emailAddress="e" * 321,
        location="l" * 4097,
        twitterUserFollowersCount=-1,
    )
    assert error_fields(response) == [
        "displayName",
        "emailAddress",
        "externalIdentifier",
        "location",
        "twitterUserFollowersCount",
        "walletAddress",
    ]
    assert await user_ids(client, tenant) == []


# GET /api/users


async def test_user_list_answers_snag_users(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    async with database.writing() as session:
        bare = await users_service.ids_for_wallets(
            session, tenant.organization_id, tenant.website_id, [OTHER_WALLET]
        )
    profiled = await saved(client, tenant, walletAddress=WALLET, displayName="Ada")
    listed = await users(client, tenant, {"organizationId": tenant.organization_id})
    by_id = {u["id"]: u for u in listed}
    user = by_id[profiled["id"]]
    assert user["walletAddress"] == WALLET.lower()
    assert user["isSnagSuperAdmin"] is False
    assert user["organizationId"] == tenant.organization_id
    assert user["websiteId"] == tenant.website_id
    assert user["userMetadata"][0]["displayName"] == "Ada"
    assert user["userMetadata"][0]["createdAt"]
    assert by_id[bare[OTHER_WALLET.lower()]]["userMetadata"] == []


async def test_user_list_pages(client: AsyncClient, tenant: Tenant) -> None:
    ids = [(await saved(client, tenant, externalIdentifier=f"p{i}"))["id"] for i in range(5)]
    first = await client.get(USERS, params={"limit": 2}, headers=tenant.headers)
    assert [u["id"] for u in first.json()["data"]] == ids[:2]
    assert first.json()["hasNextPage"] is True
    last = await client.get(
        USERS, params={"limit": 3, "startingAfter": ids[1]}, headers=tenant.headers
    )
    assert [u["id"] for u in last.json()["data"]] == ids[2:]
    assert last.json()["hasNextPage"] is False


async def test_user_list_defaults_to_twenty(client: AsyncClient, tenant: Tenant) -> None:
    for i in range(21):
        await saved(client, tenant, externalIdentifier=f"d{i}")
    response = await client.get(USERS, headers=tenant.headers)
    assert len(response.json()["data"]) == 20
    assert response.json()["hasNextPage"] is True


async def test_user_ids_repeat(client: AsyncClient, tenant: Tenant) -> None:
    ids = [(await saved(client, tenant, externalIdentifier=f"r{i}"))["id"] for i in range(3)]
    query = f"{USERS}?userId={ids[0]}&userId={ids[2]}&userId="
    response = await client.get(query, headers=tenant.headers)
    assert [u["id"] for u in response.json()["data"]] == [ids[0], ids[2]]
    assert await user_ids(client, tenant, {"userId": ids[1]}) == [ids[1]]


async def test_user_filters(client: AsyncClient, tenant: Tenant) -> None:
    ada = (await saved(client, tenant, walletAddress=WALLET, **SDK_FIELDS))["id"]
    await saved(client, tenant, walletAddress=OTHER_WALLET, displayName="Other")
    filters = {
        "walletAddress": WALLET,
        "address": WALLET.lower(),
        "externalIdentifier": "crm-1",
        "emailAddress": "ada@example.com",
        "discordUser": "ada#1",
        "twitterUser": "ada_x",
        "telegramUsername": "ada_t",
        "telegramUserId": "t-1",
        "tiktokUser": "ada_tt",
        "steamUsername": "ada_s",
        "steamUserId": "s-1",
        "userGroupId": SDK_FIELDS["userGroupId"],
        "userGroupExternalIdentifier": "group-a",
    }
    for name, value in filters.items():
        assert await user_ids(client, tenant, {name: value}) == [ada], name
        assert await user_ids(client, tenant, {name: "nobody"}) == [], name
    assert await user_ids(client, tenant, {"redditUser": "ada"}) == []


async def test_filters_combine(client: AsyncClient, tenant: Tenant) -> None:
    ada = (await saved(client, tenant, walletAddress=WALLET, twitterUser="ada_x"))["id"]
    params = {"walletAddress": WALLET, "twitterUser": "ada_x"}
    assert await user_ids(client, tenant, params) == [ada]
    assert await user_ids(client, tenant, params | {"address": OTHER_WALLET}) == []


async def test_sdk_empty_filters_are_ignored(client: AsyncClient, tenant: Tenant) -> None:
    ada = (await saved(client, tenant, walletAddress=WALLET))["id"]
    query = f"{USERS}?includeDelegation=&externalIdentifier=&emailAddress=&startingAfter="
    response = await client.get(query, headers=tenant.headers)
    assert [u["id"] for u in response.json()["data"]] == [ada]
    assert await user_ids(client, tenant, {"includeDelegation": "true"}) == [ada]


async def test_user_list_limit_is_checked(client: AsyncClient, tenant: Tenant) -> None:
    response = await client.get(USERS, params={"limit": 101}, headers=tenant.headers)
    assert error_fields(response) == ["limit"]
    assert response.json()["errors"][0]["location"] == "query"


async def test_users_of_each_website(client: AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database, limit_key=False)
    second = await client.post("/api/websites", json={"name": "Two"}, headers=tenant.headers)
    other_site = second.json()["id"]
    here = (await saved(client, tenant, walletAddress=WALLET))["id"]
    there = (await saved(client, tenant, websiteId=other_site, walletAddress=WALLET))["id"]
    assert here != there
    assert await user_ids(client, tenant) == [here, there]
    assert await user_ids(client, tenant, {"websiteId": other_site}) == [there]
    assert await user_ids(client, tenant, {"walletAddress": WALLET}) == [here, there]


# GET /api/users/count


async def test_count_users(client: AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database, limit_key=False)
    other_site = (
        await client.post("/api/websites", json={"name": "Two"}, headers=tenant.headers)
    ).json()["id"]
    for i in range(3):
        await saved(client, tenant, externalIdentifier=f"c{i}")
    await saved(client, tenant, websiteId=other_site, externalIdentifier="c9")
    params = {"organizationId": tenant.organization_id, "websiteId": tenant.website_id}
    response = await client.get(f"{USERS}/count", params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"totalCount": 3}
    everyone = await client.get(f"{USERS}/count", headers=tenant.headers)
    assert everyone.json() == {"totalCount": 4}


# GET /api/users/metadatas


async def test_metadata_list_filters(client: AsyncClient, tenant: Tenant) -> None:
    ada = (await saved(client, tenant, walletAddress=WALLET, externalIdentifier="crm-a"))["id"]
    bob = (await saved(client, tenant, walletAddress=OTHER_WALLET))["id"]
    assert await metadata_ids(client, tenant) == [ada, bob]
    assert await metadata_ids(client, tenant, {"userId": bob}) == [bob]
    assert await metadata_ids(client, tenant, {"walletAddress": WALLET.lower()}) == [ada]
    assert await metadata_ids(client, tenant, {"walletAddress": WALLET}) == [ada]
    assert await metadata_ids(client, tenant, {"externalIdentifier": "crm-a"}) == [ada]
    assert await metadata_ids(client, tenant, {"externalIdentifier": ""}) == [ada, bob]


async def test_metadata_search(client: AsyncClient, tenant: Tenant) -> None:
    ada = (await saved(client, tenant, walletAddress=WALLET, displayName="Ada Lovelace"))["id"]
    bob = (await saved(client, tenant, externalIdentifier="b", emailAddress="bob@Example.com"))[
        "id"
    ]
    assert await metadata_ids(client, tenant, {"userSearch": "lovel"}) == [ada]
    assert await metadata_ids(client, tenant, {"userSearch": "EXAMPLE.COM"}) == [bob]
    assert await metadata_ids(client, tenant, {"userSearch": WALLET[2:12]}) == [ada]
    assert await metadata_ids(client, tenant, {"userSearch": "%"}) == []
    assert await metadata_ids(client, tenant, {"userSearch": "_"}) == []


async def test_metadata_list_pages(client: AsyncClient, tenant: Tenant) -> None:
    ids = [(await saved(client, tenant, externalIdentifier=f"m{i}"))["id"] for i in range(3)]
    first = await client.get(METADATAS, params={"limit": 2}, headers=tenant.headers)
    assert [m["id"] for m in first.json()["data"]] == ids[:2]
    assert first.json()["hasNextPage"] is True
    rest = await client.get(
        METADATAS, params={"limit": 2, "startingAfter": ids[1]}, headers=tenant.headers
    )
    assert [m["id"] for m in rest.json()["data"]] == ids[2:]
    assert rest.json()["hasNextPage"] is False
