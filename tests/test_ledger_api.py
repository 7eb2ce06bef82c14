"""The ledger through the API: transactions, entries, accounts, ranks."""

from datetime import timedelta
from typing import Any

from httpx import AsyncClient

from loyalty.db import Database
from loyalty.worker.runner import run_once
from tests.support import Tenant, create_currency, create_tenant, credit, debit, transact, wallet


async def balance(client: AsyncClient, tenant: Tenant, currency: str, address: str) -> Any:
    response = await client.get(
        "/api/loyalty/accounts",
        headers=tenant.headers,
        params={"walletAddress": address, "loyaltyCurrencyId": currency},
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    return data[0] if data else None


async def entries(client: AsyncClient, tenant: Tenant, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/loyalty/transaction_entries", headers=tenant.headers, params={"limit": 100, **params}
    )
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()["data"]
    return result


async def test_credit_creates_user_and_account(client: AsyncClient, tenant: Tenant) -> None:
    currency = await create_currency(client, tenant)
    address = "0xAbCdEf0000000000000000000000000000000001"
    tx = await transact(client, tenant, currency, credit(address, 100, "k1"))
    assert tx["description"] == "test" and tx["type"] == "api_key"
    [entry] = tx["entries"]
    assert entry["amount"] == 100 and entry["direction"] == "credit"
    assert entry["walletAddress"] == address.lower() and entry["status"] == "approved"
    assert entry["idempotencyKey"] == "k1"
    account = await balance(client, tenant, currency, address.upper().replace("0X", "0x"))
    assert account["amount"] == 100 and account["lifetimeEarnedAmount"] == 100
    assert account["user"]["walletAddress"] == address.lower()


async def test_debit_and_overdraft(client: AsyncClient, tenant: Tenant) -> None:
    currency = await create_currency(client, tenant)
    await transact(client, tenant, currency, credit(wallet(1), 50))
    await transact(client, tenant, currency, debit(wallet(1), 20))
    refused = await transact(client, tenant, currency, debit(wallet(1), 31), expect=422)
    assert refused["code"] == "insufficient_points"
    account = await balance(client, tenant, currency, wallet(1))
    assert (account["amount"], account["spentAmount"]) == (30, 20)
    assert len(await entries(client, tenant, walletAddress=wallet(1))) == 2


async def test_all_entries_or_none(client: AsyncClient, tenant: Tenant) -> None:
    currency = await create_currency(client, tenant)
    await transact(client, tenant, currency, credit(wallet(1), 10))
    await transact(
        client, tenant, currency, credit(wallet(2), 5, "a"), debit(wallet(1), 11), expect=422
    )
    assert await balance(client, tenant, currency, wallet(2)) is None
    assert (await balance(client, tenant, currency, wallet(1)))["amount"] == 10
    # The refused transaction's key was not used up.
    await transact(client, tenant, currency, credit(wallet(2), 5, "a"))


async def test_transfer_between_users(client: AsyncClient, tenant: Tenant) -> None:
    currency = await create_currency(client, tenant)
    await transact(client, tenant, currency, credit(wallet(1), 10))
    await transact(client, tenant, currency, debit(wallet(1), 4), credit(wallet(2), 4))
    assert (await balance(client, tenant, currency, wallet(1)))["amount"] == 6
    assert (await balance(client, tenant, currency, wallet(2)))["amount"] == 4


async def test_repeated_idempotency_key_applies_once(client: AsyncClient, tenant: Tenant) -> None:
    currency = await create_currency(client, tenant)
    await transact(client, tenant, currency, credit(wallet(1), 10, "once"))
    again = await transact(client, tenant, currency, credit(wallet(1), 10, "once"), expect=409)
    assert again["code"] == "duplicate_idempotency_key"
    assert again["details"]["idempotencyKeys"] == ["once"]
    assert (await balance(client, tenant, currency, wallet(1)))["amount"] == 10


async def test_key_repeated_within_request(client: AsyncClient, tenant: Tenant) -> None:
    currency = await create_currency(client, tenant)
    body = await transact(
        client, tenant, currency, credit(wallet(1), 1, "x"), credit(wallet(2), 1, "x"), expect=400
    )
    assert [e["field"] for e in body["errors"]] == ["entries[1].idempotencyKey"]


async def test_every_bad_field_at_once(client: AsyncClient, tenant: Tenant) -> None:
    response = await client.post(
        "/api/loyalty/transactions",
        headers=tenant.headers,
        json={
            "description": "x",
            "entries": [
                {"amount": -1, "direction": "sideways", "walletAddress": wallet(1)},
                {"amount": 5},
                {"amount": 1, "walletAddress": wallet(1), "surprise": True},
            ],
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    fields = {e["field"] for e in body["errors"]}
    assert fields == {
        "entries[0].amount",
        "entries[0].direction",
        "entries[1]",
        "entries[2].surprise",
    }


async def test_empty_and_missing_entries(client: AsyncClient, tenant: Tenant) -> None:
    for body in ({"description": "x", "entries": []}, {"description": "x"}):
        response = await client.post("/api/loyalty/transactions", json=body, headers=tenant.headers)
        assert response.status_code == 400
        assert [e["field"] for e in response.json()["errors"]] == ["entries"]


async def test_currency_and_user_references(client: AsyncClient, tenant: Tenant) -> None:
    currency = await create_currency(client, tenant)
    other = await create_currency(client, tenant, name="Gems", symbol="GEM")
    response = await client.post(
        "/api/loyalty/transactions",
        headers=tenant.headers,
        json={
            "description": "x",
            "entries": [
                {"amount": 1, "walletAddress": wallet(1)},
                {"amount": 1, "userId": "nobody", "loyaltyCurrencyId": currency},
                {"amount": 1, "walletAddress": wallet(1), "loyaltyCurrencyId": "missing"},
            ],
        },
    )
    assert response.status_code == 400
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == [
        "entries[0].loyaltyCurrencyId",
        "entries[1].userId",
        "entries[2].loyaltyCurrencyId",
    ]
    body = await transact(
        client,
        tenant,
        currency,
        {"amount": 1, "userId": "nobody"},
        {"amount": 1, "walletAddress": wallet(1), "loyaltyCurrencyId": other},
        expect=400,
    )
    assert [e["field"] for e in body["errors"]] == [
        "entries[0].userId",
        "entries[1].loyaltyCurrencyId",
    ]


async def test_user_id_and_wallet_must_agree(client: AsyncClient, tenant: Tenant) -> None:
    currency = await create_currency(client, tenant)
    tx = await transact(client, tenant, currency, credit(wallet(1), 1))
    user_id = tx["entries"][0]["userId"]
    await transact(client, tenant, currency, {"amount": 2, "userId": user_id})
    body = await transact(
        client,
        tenant,
        currency,
        {"amount": 2, "userId": user_id, "walletAddress": wallet(2)},
        expect=400,
    )
    assert [e["field"] for e in body["errors"]] == ["entries[0].walletAddress"]
    assert (await balance(client, tenant, currency, wallet(1)))["amount"] == 3


async def test_decimals_are_exact(client: AsyncClient, tenant: Tenant) -> None:
    currency = await create_currency(client, tenant, decimals=2)
    await transact(client, tenant, currency, credit(wallet(1), 1.25), credit(wallet(1), 0.1))
    assert (await balance(client, tenant, currency, wallet(1)))["amount"] == 1.35
    body = await transact(client, tenant, currency, credit(wallet(1), 1.255), expect=400)
    assert [e["field"] for e in body["errors"]] == ["entries[0].amount"]


async def test_pending_entries_approve_later(
    client: AsyncClient,
    tenant: Tenant,
    database: Database,
    clock: Any,
) -> None:
    currency = await create_currency(client, tenant)
    later = clock.now + timedelta(days=1)
    tx = await transact(
        client, tenant, currency, credit(wallet(1), 40, approvesAt=later.isoformat())
    )
    assert tx["entries"][0]["status"] == "pending"
    account = await balance(client, tenant, currency, wallet(1))
    assert (account["amount"], account["pendingAmount"]) == (0, 40)
    refused = await transact(client, tenant, currency, debit(wallet(1), 1), expect=422)
    assert refused["code"] == "insufficient_points"
    await run_once(database)
    assert (await balance(client, tenant, currency, wallet(1)))["pendingAmount"] == 40
    clock.advance(timedelta(days=1, seconds=1))
    assert (await run_once(database))["approved"] >= 1
    account = await balance(client, tenant, currency, wallet(1))
    assert (account["amount"], account["pendingAmount"], account["lifetimeEarnedAmount"]) == (
        40,
        0,
        40,
    )


async def test_debits_take_soonest_expiring_lots_and_expiry_is_an_entry(
    client: AsyncClient,
    tenant: Tenant,
    database: Database,
    clock: Any,
) -> None:
    currency = await create_currency(client, tenant)
    soon, late = clock.now + timedelta(days=1), clock.now + timedelta(days=10)
    await transact(
        client,
        tenant,
        currency,
        credit(wallet(1), 30, expiresAt=late.isoformat()),
        credit(wallet(1), 20, expiresAt=soon.isoformat()),
        credit(wallet(1), 5),
    )
    await transact(client, tenant, currency, debit(wallet(1), 25))
    # 20 came from the soonest lot, 5 from the later one: 25 + 5 (no expiry) remain.
    clock.advance(timedelta(days=2))
    await run_once(database)
    account = await balance(client, tenant, currency, wallet(1))
    assert (account["amount"], account["expiredAmount"]) == (30, 0)
    clock.advance(timedelta(days=9))
    await run_once(database)
    account = await balance(client, tenant, currency, wallet(1))
    assert (account["amount"], account["expiredAmount"], account["spentAmount"]) == (5, 25, 25)
    expiry = await entries(client, tenant, walletAddress=wallet(1), type="expiry")
    assert [(e["direction"], e["amount"], e["source"]) for e in expiry] == [("debit", 25, "expiry")]
    lots = await entries(client, tenant, walletAddress=wallet(1), status="expired")
    assert [e["amount"] for e in lots] == [30]


async def test_debit_refuses_approval_or_expiry_fields(client: AsyncClient, tenant: Tenant) -> None:
    currency = await create_currency(client, tenant)
    await transact(client, tenant, currency, credit(wallet(1), 5))
    body = await transact(
        client,
        tenant,
        currency,
        debit(wallet(1), 1, approvesAt="2030-01-01T00:00:00Z", expiresAt="2030-01-01T00:00:00Z"),
        expect=400,
    )
    assert {e["field"] for e in body["errors"]} == {"entries[0].approvesAt", "entries[0].expiresAt"}


async def test_entries_filters_and_pagination(client: AsyncClient, tenant: Tenant) -> None:
    currency = await create_currency(client, tenant)
    gems = await create_currency(client, tenant, name="Gems", symbol="GEM")
    for i in range(5):
        await transact(client, tenant, currency, credit(wallet(1), i + 1))
    await transact(client, tenant, gems, credit(wallet(2), 9))
    await transact(client, tenant, currency, debit(wallet(1), 1))
    everything = await entries(client, tenant)
    assert len(everything) == 7
    assert [e["id"] for e in everything] == sorted((e["id"] for e in everything), reverse=True)
    assert [e["amount"] for e in await entries(client, tenant, direction="debit")] == [1]
    assert len(await entries(client, tenant, loyaltyCurrencyId=gems)) == 1
    both = await client.get(
        "/api/loyalty/transaction_entries",
        headers=tenant.headers,
        params=[("walletAddress", wallet(1)), ("walletAddress", wallet(2))],
    )
    assert len(both.json()["data"]) == 7
    user_id = everything[0]["userId"]
    assert len(await entries(client, tenant, userId=user_id)) == 6
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"startingAfter": cursor} if cursor else {})}
        page = (
            await client.get(
                "/api/loyalty/transaction_entries", headers=tenant.headers, params=params
            )
        ).json()
        seen += [e["id"] for e in page["data"]]
        if not page["hasNextPage"]:
            break
        cursor = page["data"][-1]["id"]
    assert seen == [e["id"] for e in everything]
    middle = everything[3]["createdAt"]
    newer = await entries(client, tenant, createdAtStart=middle)
    older = await entries(client, tenant, createdAtEnd=middle)
    assert len(newer) + len(older) == 7


async def test_entry_list_shape(client: AsyncClient, tenant: Tenant) -> None:
    currency = await create_currency(client, tenant)
    tx = await transact(client, tenant, currency, credit(wallet(1), 3, "shape"))
    [entry] = await entries(client, tenant)
    assert entry["loyaltyTransaction"]["id"] == tx["id"]
    assert entry["loyaltyTransaction"]["type"] == "api_key"
    assert entry["type"] == "api_key" and entry["organizationId"] == tenant.organization_id
    assert entry["websiteId"] == tenant.website_id and entry["idempotencyKey"] == "shape"
    assert entry["loyaltyAccountId"] and entry["createdAt"]


async def test_accounts_sorted_by_amount_and_ranked(client: AsyncClient, tenant: Tenant) -> None:
    currency = await create_currency(client, tenant)
    for n, amount in enumerate([10, 30, 30, 5], start=1):
        await transact(client, tenant, currency, credit(wallet(n), amount))
    response = await client.get(
        "/api/loyalty/accounts",
        headers=tenant.headers,
        params={"loyaltyCurrencyId": currency, "limit": 2},
    )
    page = response.json()
    assert [a["amount"] for a in page["data"]] == [30, 30] and page["hasNextPage"]
    rest = (
        await client.get(
            "/api/loyalty/accounts",
            headers=tenant.headers,
            params={"loyaltyCurrencyId": currency, "startingAfter": page["data"][-1]["id"]},
        )
    ).json()
    assert [a["amount"] for a in rest["data"]] == [10, 5] and not rest["hasNextPage"]
    ascending = (
        await client.get(
            "/api/loyalty/accounts",
            headers=tenant.headers,
            params={"loyaltyCurrencyId": currency, "sortDir": "asc"},
        )
    ).json()
    assert [a["amount"] for a in ascending["data"]] == [5, 10, 30, 30]
    ranks = []
    for account in page["data"] + rest["data"]:
        r = await client.get(
            f"/api/loyalty/accounts/{account['id']}/rank",
            headers=tenant.headers,
            params={"loyaltyCurrencyId": currency},
        )
        ranks.append(r.json()["rank"])
    assert ranks == [1, 1, 3, 4]
    by_user = await client.get(
        f"/api/loyalty/accounts/{rest['data'][0]['userId']}/rank",
        headers=tenant.headers,
        params={"loyaltyCurrencyId": currency},
    )
    assert by_user.json() == {"rank": 3}
    missing = await client.get(
        "/api/loyalty/accounts/nope/rank",
        headers=tenant.headers,
        params={"loyaltyCurrencyId": currency},
    )
    assert missing.status_code == 404


async def test_rank_is_null_without_points(client: AsyncClient, tenant: Tenant) -> None:
    currency = await create_currency(client, tenant)
    await transact(client, tenant, currency, credit(wallet(1), 5))
    tx = await transact(client, tenant, currency, debit(wallet(1), 5))
    account_id = tx["entries"][0]["loyaltyAccountId"]
    r = await client.get(
        f"/api/loyalty/accounts/{account_id}/rank",
        headers=tenant.headers,
        params={"loyaltyCurrencyId": currency},
    )
    assert r.json() == {"rank": None}


async def test_rank_of_a_user_without_an_account(client: AsyncClient, tenant: Tenant) -> None:
    points = await create_currency(client, tenant)
    gems = await create_currency(client, tenant, name="Gems", symbol="GEM")
    tx = await transact(client, tenant, points, credit(wallet(1), 5))
    user_id = tx["entries"][0]["userId"]
    r = await client.get(
        f"/api/loyalty/accounts/{user_id}/rank",
        headers=tenant.headers,
        params={"loyaltyCurrencyId": gems},
    )
    assert (r.status_code, r.json()) == (200, {"rank": None})


async def test_currency_bounds(client: AsyncClient, tenant: Tenant) -> None:
    currency = await create_currency(
        client, tenant, defaultValue=10, minimumValue=2, maximumValue=50
    )
    await transact(client, tenant, currency, credit(wallet(1), 5))
    account = await balance(client, tenant, currency, wallet(1))
    assert account["amount"] == 15  # opening balance of 10, written as its own entry
    assert len(await entries(client, tenant, walletAddress=wallet(1))) == 2
    refused = await transact(client, tenant, currency, credit(wallet(1), 36), expect=422)
    assert refused["code"] == "balance_above_maximum"
    refused = await transact(client, tenant, currency, debit(wallet(1), 14), expect=422)
    assert refused["code"] == "insufficient_points"
    await transact(client, tenant, currency, debit(wallet(1), 13))
    assert (await balance(client, tenant, currency, wallet(1)))["amount"] == 2


async def test_other_organizations_see_nothing(
    client: AsyncClient,
    tenant: Tenant,
    database: Database,
) -> None:
    currency = await create_currency(client, tenant)
    tx = await transact(client, tenant, currency, credit(wallet(1), 5))
    intruder = await create_tenant(database, limit_key=False)
    for path in ("/api/loyalty/transaction_entries", "/api/loyalty/accounts"):
        response = await client.get(path, headers=intruder.headers)
        assert response.status_code == 200 and response.json()["data"] == []
        foreign = await client.get(
            path, headers=intruder.headers, params={"organizationId": tenant.organization_id}
        )
        assert foreign.status_code == 403
        foreign = await client.get(
            path, headers=intruder.headers, params={"websiteId": tenant.website_id}
        )
        assert foreign.status_code == 404
    account_id = tx["entries"][0]["loyaltyAccountId"]
    rank = await client.get(
        f"/api/loyalty/accounts/{account_id}/rank",
        headers=intruder.headers,
        params={"loyaltyCurrencyId": currency},
    )
    assert rank.status_code == 404
    stolen = await client.post(
        "/api/loyalty/transactions",
        headers=intruder.headers,
        json={
            "description": "x",
            "loyaltyCurrencyId": currency,
            "entries": [{"amount": 5, "walletAddress": wallet(1), "direction": "debit"}],
        },
    )
    assert stolen.status_code == 400
    assert (await balance(client, tenant, currency, wallet(1)))["amount"] == 5


async def test_authentication(client: AsyncClient) -> None:
    for headers in ({}, {"X-API-KEY": "lk_nope_nope"}):
        response = await client.get("/api/loyalty/accounts", headers=headers)
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"
        response = await client.post("/api/loyalty/transactions", headers=headers, json={})
        assert response.status_code == 401


async def test_empty_query_values_mean_no_filter(client: AsyncClient, tenant: Tenant) -> None:
    """Snag's SDK sends a null filter as an empty value."""
    currency = await create_currency(client, tenant)
    await transact(client, tenant, currency, credit(wallet(1), 5))
    response = await client.get(
        "/api/loyalty/transaction_entries?websiteId=&organizationId=&userId=&limit=5",
        headers=tenant.headers,
    )
    assert response.status_code == 200 and len(response.json()["data"]) == 1


async def test_account_user_carries_metadata(client: AsyncClient, tenant: Tenant) -> None:
    currency = await create_currency(client, tenant)
    await transact(client, tenant, currency, credit(wallet(1), 5))
    saved = await client.post(
        "/api/users/metadatas",
        headers=tenant.headers,
        json={"walletAddress": wallet(1), "displayName": "Ada", "twitterUser": "ada"},
    )
    assert saved.status_code == 200, saved.text
    account = await balance(client, tenant, currency, wallet(1))
    [meta] = account["user"]["userMetadata"]
    assert (meta["displayName"], meta["twitterUser"]) == ("Ada", "ada")


async def test_entries_sorted_by_when_they_last_changed(
    client: AsyncClient, tenant: Tenant, database: Database, clock: Any
) -> None:
    currency = await create_currency(client, tenant)
    later = clock.now + timedelta(hours=1)
    await transact(
        client, tenant, currency, credit(wallet(1), 5, "pending", approvesAt=later.isoformat())
    )
    clock.advance(timedelta(minutes=1))
    await transact(client, tenant, currency, credit(wallet(1), 7, "plain"))
    clock.advance(timedelta(hours=2))
    await run_once(database)  # approves the first: it changed last

    async def keys(**params: Any) -> list[str]:
        response = await client.get(
            "/api/loyalty/transaction_entries",
            params={"sortBy": "updatedAt", **params},
            headers=tenant.headers,
        )
        assert response.status_code == 200, response.text
        return [e["idempotencyKey"] for e in response.json()["data"]]

    assert await keys() == ["pending", "plain"]
    assert await keys(sortDir="asc") == ["plain", "pending"]
    first = await client.get(
        "/api/loyalty/transaction_entries",
        params={"sortBy": "updatedAt", "limit": 1},
        headers=tenant.headers,
    )
    assert first.json()["hasNextPage"] is True
    after = first.json()["data"][0]["id"]
    assert await keys(limit=1, startingAfter=after) == ["plain"]
    lock_order = await client.get(
        "/api/loyalty/transaction_entries",
        params={"sortBy": "loyaltyAccountLockVersion"},
        headers=tenant.headers,
    )
    assert lock_order.status_code == 400
