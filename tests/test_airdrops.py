"""points_airdrop rules: CSVs of wallets or user ids and amounts, uploaded or read from the
rule's URL, paid by the worker in batches through the earning pipeline, once per user,
within the airdrop's window; bad lines reported by line number, good lines paid."""

import asyncio
import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from httpx import AsyncClient, Response

from loyalty.airdrops import payout
from loyalty.db import Database
from loyalty.engine.completions import complete_many
from loyalty.errors import NotFound
from loyalty.kit import fetch
from loyalty.kit.clock import iso
from loyalty.users.service import ids_for_wallets
from loyalty.worker.runner import run_once
from tests.conftest import Clock
from tests.support import ON_POSTGRES, Tenant, create_currency, create_tenant, wallet

RULES = "/api/loyalty/rules"

# What the fake web serves, by URL: (HTTP status, body). Anything else is a 404.
SERVED: dict[str, tuple[int, bytes]] = {}


@pytest.fixture(autouse=True)
def web() -> Iterator[dict[str, tuple[int, bytes]]]:
    def answer(request: httpx.Request) -> httpx.Response:
        status, body = SERVED.get(str(request.url), (404, b"not found"))
        return httpx.Response(status, content=body)

    fetch.TRANSPORT = httpx.MockTransport(answer)
    yield SERVED
    fetch.TRANSPORT = None


@pytest.fixture
async def currency(client: AsyncClient, tenant: Tenant) -> str:
    return await create_currency(client, tenant)


def new_url() -> str:
    return f"https://files.test/{secrets.token_hex(6)}.csv"


def airdrop_body(currency: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": "Season 1 airdrop",
        "type": "points_airdrop",
        "frequency": "none",
        "startTime": None,
        "rewardType": "points",
        "loyaltyCurrencyId": currency,
        "loyaltyUserAllotmentCsvUrl": new_url(),
        "metadata": {},
        **fields,
    }


async def create_rule(client: AsyncClient, tenant: Tenant, body: dict[str, Any]) -> str:
    response = await client.post(RULES, json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def upload(client: AsyncClient, tenant: Tenant, rule_id: str, text: str) -> Response:
    headers = {**tenant.headers, "Content-Type": "text/csv"}
    return await client.post(f"{RULES}/{rule_id}/airdrop", content=text.encode(), headers=headers)


async def uploaded(client: AsyncClient, tenant: Tenant, rule_id: str, text: str) -> dict[str, Any]:
    response = await upload(client, tenant, rule_id, text)
    assert response.status_code == 202, response.text
    result: dict[str, Any] = response.json()
    return result


async def status(
    client: AsyncClient, tenant: Tenant, rule_id: str, **params: Any
) -> dict[str, Any]:
    response = await client.get(f"{RULES}/{rule_id}/airdrop", params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def balance(client: AsyncClient, tenant: Tenant, address: str) -> float:
    response = await client.get(
        "/api/loyalty/accounts", params={"walletAddress": address}, headers=tenant.headers
    )
    data = response.json()["data"]
    return float(data[0]["amount"]) if data else 0


def counts(answer: dict[str, Any]) -> tuple[str, int, int, int, int]:
    return (
        answer["status"],
        answer["rowsTotal"],
        answer["rowsProcessed"],
        answer["rowsPaid"],
        answer["rowsFailed"],
    )


def errors(answer: dict[str, Any]) -> list[tuple[int, str]]:
    return [(e["line"], e["code"]) for e in answer["errors"]]


async def user_id_of(database: Database, tenant: Tenant, address: str) -> str:
    async with database.writing() as session:
        ids = await ids_for_wallets(session, tenant.organization_id, tenant.website_id, [address])
    return ids[address]


def refused(response: Response, status_code: int, code: str) -> dict[str, Any]:
    assert response.status_code == status_code, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code, response.text
    return body


# ---- an upload with bad lines ------------------------------------------------------------


async def test_bad_lines_are_reported_and_good_lines_paid(
    client: AsyncClient, database: Database, currency: str, tenant: Tenant
) -> None:
    rule_id = await create_rule(client, tenant, airdrop_body(currency))
    known = await user_id_of(database, tenant, wallet(2))
    upper = wallet(1).replace("0x", "0X").upper().replace("0X", "0x")
    text = "\n".join(
        [
            "walletAddress,userId,amount,note",
            f"{upper},,100,first",  # 2: paid (EVM addresses in any case)
            f",{known},50",  # 3: paid by user id
            "0x1234,,10",  # 4: not an address
            f"{wallet(3)},,-5",  # 5: negative
            f"{wallet(4)},,1.5",  # 6: decimals the currency does not have
            ",00000000-0000-7000-8000-000000000000,10",  # 7: nobody's id
            f"{wallet(1)},,20",  # 8: the same wallet as line 2
            f"{wallet(5)},{known},20",  # 9: both
            ",,20",  # 10: nobody
            f"{wallet(6)},,ten",  # 11: not a number
            f"{wallet(7)},,0",  # 12: nothing to pay
            "",  # 13: blank, skipped
            f"{wallet(8)},,",  # 14: no amount
            "Ghj6Vh4kSx3hyQ2wBvB1a7zgbXrnGeTJ3vU2n5E8cGtk,,7",  # 15: a Solana wallet, paid
        ]
    )
    answer = await uploaded(client, tenant, rule_id, text)
    assert answer["status"] == "pending" and answer["source"] == "upload"
    assert counts(answer) == ("pending", 13, 10, 0, 10)
    assert errors(answer) == [
        (4, "invalid_wallet"),
        (5, "invalid_amount"),
        (6, "invalid_amount"),
        (7, "user_not_found"),
        (8, "duplicate_line"),
        (9, "ambiguous_user"),
        (10, "missing_user"),
        (11, "invalid_amount"),
        (12, "invalid_amount"),
        (14, "invalid_amount"),
    ]
    by_line = {e["line"]: e for e in answer["errors"]}
    assert by_line[5]["message"] == "amount must not be negative"
    assert by_line[6]["message"] == "amount must have no decimal places (the currency's decimals)"
    assert by_line[8]["message"] == "names the same user as line 2"
    assert by_line[4]["walletAddress"] == "0x1234"
    await run_once(database)
    done = await status(client, tenant, rule_id)
    assert counts(done) == ("completed", 13, 13, 3, 10)
    assert done["progress"] == 100 and done["completedAt"] is not None
    assert await balance(client, tenant, wallet(1)) == 100
    assert await balance(client, tenant, wallet(2)) == 50
    assert await balance(client, tenant, "Ghj6Vh4kSx3hyQ2wBvB1a7zgbXrnGeTJ3vU2n5E8cGtk") == 7
    assert await balance(client, tenant, wallet(5)) == 0
    statuses = await client.get(
        f"{RULES}/status", params={"loyaltyRuleId": rule_id}, headers=tenant.headers
    )
    assert sorted(s["status"] for s in statuses.json()["data"]) == ["completed"] * 3


async def test_amounts_keep_the_currencys_decimals(
    client: AsyncClient, database: Database, tenant: Tenant
) -> None:
    currency = await create_currency(client, tenant, decimals=2)
    rule_id = await create_rule(client, tenant, airdrop_body(currency))
    text = f"address,points\n{wallet(1)},12.25\n{wallet(2)},1.005\n{wallet(3)},+3.10\n"
    answer = await uploaded(client, tenant, rule_id, text)
    assert errors(answer) == [(3, "invalid_amount")]
    await run_once(database)
    assert await balance(client, tenant, wallet(1)) == 12.25
    assert await balance(client, tenant, wallet(3)) == 3.1


async def test_a_new_wallet_becomes_a_user(
    client: AsyncClient, database: Database, currency: str, tenant: Tenant
) -> None:
    rule_id = await create_rule(client, tenant, airdrop_body(currency))
    await uploaded(client, tenant, rule_id, f"wallet,amount\n{wallet(9)},5\n")
    await run_once(database)
    users = await client.get(
        "/api/users", params={"walletAddress": wallet(9)}, headers=tenant.headers
    )
    assert len(users.json()["data"]) == 1
    assert await balance(client, tenant, wallet(9)) == 5


async def test_a_blocked_user_is_a_failed_line(
    client: AsyncClient, database: Database, currency: str, tenant: Tenant
) -> None:
    rule_id = await create_rule(client, tenant, airdrop_body(currency))
    blocked = await client.post(
        "/api/users/metadatas",
        json={"walletAddress": wallet(1), "isBlocked": True},
        headers=tenant.headers,
    )
    assert blocked.status_code == 200, blocked.text
    await uploaded(client, tenant, rule_id, f"walletAddress,amount\n{wallet(1)},5\n{wallet(2)},6")
    await run_once(database)
    done = await status(client, tenant, rule_id)
    assert counts(done) == ("completed", 2, 2, 1, 1)
    assert errors(done) == [(2, "user_blocked")]


async def test_a_badge_airdrop_needs_no_amounts(
    client: AsyncClient, database: Database, currency: str, tenant: Tenant
) -> None:
    badge = await client.post(
        "/api/loyalty/badges",
        json={"name": "Early", "imageUrl": "https://img.test/b.png"},
        headers=tenant.headers,
    )
    assert badge.status_code in (200, 201), badge.text
    badge_id = badge.json()["id"]
    body = airdrop_body(currency, rewardType="badge", loyaltyBadgeId=badge_id)
    rule_id = await create_rule(client, tenant, body)
    await uploaded(client, tenant, rule_id, f"walletAddress\n{wallet(1)}\n")
    await run_once(database)
    assert counts(await status(client, tenant, rule_id)) == ("completed", 1, 1, 1, 0)
    holders = await client.get(
        "/api/loyalty/badge_users", params={"loyaltyBadgeId": badge_id}, headers=tenant.headers
    )
    assert [h["user"]["walletAddress"] for h in holders.json()["data"]] == [wallet(1)]


# ---- the file as a whole ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"amount\n5\n", "has no walletAddress or userId column"),
        (b"walletAddress\n0xabc\n", "has no amount column"),
        (b"walletAddress,amount\n", "has no data lines"),
        (b"wallet,address,amount\n", "names the wallet column twice"),
        (b"walletAddress,amount\n\xff\xfe,1\n", "is not UTF-8 text"),
        (b"walletAddress,amount\n0xab\x00c,1\n", "contains NUL characters"),
        (b"walletAddress,amount\n" + b"a" * 200_000 + b",1\n", "cannot be read as CSV at line 2"),
    ],
)
async def test_an_unreadable_file_is_refused(
    client: AsyncClient, currency: str, tenant: Tenant, content: bytes, message: str
) -> None:
    rule_id = await create_rule(client, tenant, airdrop_body(currency))
    headers = {**tenant.headers, "Content-Type": "text/csv"}
    response = await client.post(f"{RULES}/{rule_id}/airdrop", content=content, headers=headers)
    body = refused(response, 400, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["file"]
    assert message in body["errors"][0]["message"]
    assert (await status(client, tenant, rule_id))["source"] == "url"  # no new airdrop


async def test_a_multipart_upload(
    client: AsyncClient, database: Database, currency: str, tenant: Tenant
) -> None:
    rule_id = await create_rule(client, tenant, airdrop_body(currency))
    files = {"file": ("drop.csv", f"walletAddress,amount\n{wallet(1)},3\n", "text/csv")}
    response = await client.post(f"{RULES}/{rule_id}/airdrop", files=files, headers=tenant.headers)
    assert response.status_code == 202, response.text
    await run_once(database)
    assert await balance(client, tenant, wallet(1)) == 3
    other = await client.post(
        f"{RULES}/{rule_id}/airdrop", data={"note": "x"}, files={}, headers=tenant.headers
    )
    assert refused(other, 400, "validation_error")["errors"][0]["field"] == "body"


async def test_only_airdrop_rules_of_the_key_take_a_csv(
    client: AsyncClient, database: Database, currency: str, tenant: Tenant
) -> None:
    external: dict[str, Any] = {
        "name": "Ext",
        "type": "external_rule",
        "frequency": "none",
        "startTime": None,
        "amount": 1,
        "loyaltyCurrencyId": currency,
        "metadata": {},
    }
    other_rule = await create_rule(client, tenant, external)
    csv = f"walletAddress,amount\n{wallet(1)},3\n"
    refused(await upload(client, tenant, other_rule, csv), 422, "not_an_airdrop_rule")
    refused(await upload(client, tenant, "no-such-rule", csv), 404, "rule_not_found")
    rule_id = await create_rule(client, tenant, airdrop_body(currency))
    stranger = await create_tenant(database)
    refused(await upload(client, stranger, rule_id, csv), 404, "rule_not_found")
    answer = await client.get(f"{RULES}/{rule_id}/airdrop", headers=stranger.headers)
    refused(answer, 404, "rule_not_found")


async def test_the_completion_api_does_not_pay_an_airdrop(
    client: AsyncClient, database: Database, currency: str, tenant: Tenant
) -> None:
    rule_id = await create_rule(client, tenant, airdrop_body(currency))
    await uploaded(client, tenant, rule_id, f"walletAddress,amount\n{wallet(1)},3\n")
    response = await client.post(
        f"{RULES}/{rule_id}/complete",
        json={"walletAddress": wallet(1), "amount": 3},
        headers=tenant.headers,
    )
    body = refused(response, 422, "airdrop_not_eligible")
    assert body["message"] == "Seems like you're not eligible for this points airdrop."
    await run_once(database)
    assert await balance(client, tenant, wallet(1)) == 3


# ---- by URL ------------------------------------------------------------------------------


async def test_the_rules_url_is_read_by_the_worker(
    client: AsyncClient, database: Database, currency: str, tenant: Tenant
) -> None:
    body = airdrop_body(currency)
    SERVED[body["loyaltyUserAllotmentCsvUrl"]] = (200, b"userId,amount\nnobody,1\n")
    rule_id = await create_rule(client, tenant, body)
    waiting = await status(client, tenant, rule_id)
    assert waiting["source"] == "url" and waiting["csvUrl"] == body["loyaltyUserAllotmentCsvUrl"]
    assert counts(waiting) == ("pending", 0, 0, 0, 0)
    await run_once(database)
    assert errors(await status(client, tenant, rule_id)) == [(2, "user_not_found")]
    # A new URL is a new airdrop; a user paid by an earlier airdrop of the rule is not paid again.
    url = new_url()
    SERVED[url] = (200, f"walletAddress,amount\n{wallet(1)},4\n{wallet(2)},5\n".encode())
    await uploaded(client, tenant, rule_id, f"walletAddress,amount\n{wallet(1)},9\n")
    await run_once(database)
    changed = await client.post(
        f"{RULES}/{rule_id}", json={"loyaltyUserAllotmentCsvUrl": url}, headers=tenant.headers
    )
    assert changed.status_code == 200, changed.text
    await run_once(database)
    done = await status(client, tenant, rule_id)
    assert done["csvUrl"] == url
    assert counts(done) == ("completed", 2, 2, 1, 1)
    assert errors(done) == [(2, "already_airdropped")]
    assert await balance(client, tenant, wallet(1)) == 9
    assert await balance(client, tenant, wallet(2)) == 5
    # Saving the rule with the same URL reads nothing again.
    await client.post(f"{RULES}/{rule_id}", json={"name": "Renamed"}, headers=tenant.headers)
    assert (await status(client, tenant, rule_id))["id"] == done["id"]


async def test_a_url_that_cannot_be_read_fails_after_three_tries(
    client: AsyncClient, database: Database, currency: str, tenant: Tenant, clock: Clock
) -> None:
    rule_id = await create_rule(client, tenant, airdrop_body(currency))
    await run_once(database)
    first = await status(client, tenant, rule_id)
    assert first["status"] == "pending"
    assert first["message"] == "The URL answered HTTP 404; it will be read again"
    for wait in (30, 60):
        clock.advance(timedelta(seconds=wait))
        await run_once(database)
    failed = await status(client, tenant, rule_id)
    assert (failed["status"], failed["message"]) == ("failed", "The URL answered HTTP 404")


async def test_a_url_serving_no_airdrop_csv_fails(
    client: AsyncClient, database: Database, currency: str, tenant: Tenant
) -> None:
    body = airdrop_body(currency)
    SERVED[body["loyaltyUserAllotmentCsvUrl"]] = (200, b"<html>Not a CSV</html>")
    rule_id = await create_rule(client, tenant, body)
    await run_once(database)
    failed = await status(client, tenant, rule_id)
    assert failed["status"] == "failed"
    assert failed["message"] == "The CSV has no walletAddress or userId column in its header line"


async def test_only_web_urls_are_accepted(
    client: AsyncClient, currency: str, tenant: Tenant
) -> None:
    body = airdrop_body(currency, loyaltyUserAllotmentCsvUrl="file:///etc/passwd")
    response = await client.post(RULES, json=body, headers=tenant.headers)
    fields = [e["field"] for e in refused(response, 400, "validation_error")["errors"]]
    assert fields == ["loyaltyUserAllotmentCsvUrl"]


# ---- batches, progress, re-runs ------------------------------------------------------------


async def test_batches_show_progress_and_a_rerun_pays_nothing_twice(
    client: AsyncClient, database: Database, currency: str, tenant: Tenant
) -> None:
    metadata = {"rewardByBatch": True, "batchSize": 2}
    rule_id = await create_rule(client, tenant, airdrop_body(currency, metadata=metadata))
    lines = "".join(f"{wallet(n)},{n}\n" for n in range(1, 6))
    airdrop_id = (await uploaded(client, tenant, rule_id, "walletAddress,amount\n" + lines))["id"]
    async with database.writing() as session:
        await payout.pay_next_batch(session, airdrop_id)
    halfway = await status(client, tenant, rule_id)
    assert counts(halfway) == ("processing", 5, 2, 2, 0)
    assert halfway["progress"] == 40 and halfway["startedAt"] is not None
    # A batch whose transaction dies pays nothing; the queued job pays it again later.
    with pytest.raises(RuntimeError):
        async with database.writing() as session:
            await payout.pay_next_batch(session, airdrop_id)
            raise RuntimeError("the worker died before committing")
    assert counts(await status(client, tenant, rule_id)) == ("processing", 5, 2, 2, 0)
    await run_once(database)
    async with database.writing() as session:
        await payout.pay_next_batch(session, airdrop_id)  # a completed airdrop: nothing
    assert counts(await status(client, tenant, rule_id)) == ("completed", 5, 5, 5, 0)
    assert [await balance(client, tenant, wallet(n)) for n in range(1, 6)] == [1, 2, 3, 4, 5]
    again = await uploaded(client, tenant, rule_id, "walletAddress,amount\n" + lines)
    await run_once(database)
    rerun = await status(client, tenant, rule_id)
    assert rerun["id"] == again["id"]
    assert counts(rerun) == ("completed", 5, 5, 0, 5)
    assert {e["code"] for e in rerun["errors"]} == {"already_airdropped"}
    assert [await balance(client, tenant, wallet(n)) for n in range(1, 6)] == [1, 2, 3, 4, 5]


async def test_failed_lines_are_paged(
    client: AsyncClient, database: Database, currency: str, tenant: Tenant
) -> None:
    rule_id = await create_rule(client, tenant, airdrop_body(currency))
    text = "walletAddress,amount\n" + "".join(f"{wallet(n)},-1\n" for n in range(5))
    airdrop_id = (await uploaded(client, tenant, rule_id, text))["id"]
    first = await status(client, tenant, rule_id, limit=2)
    assert [e["line"] for e in first["errors"]] == [2, 3] and first["hasMoreErrors"]
    path = f"{RULES}/{rule_id}/airdrops/{airdrop_id}"
    rest = await client.get(path, params={"startingAfter": 3}, headers=tenant.headers)
    assert [e["line"] for e in rest.json()["errors"]] == [4, 5, 6]
    assert not rest.json()["hasMoreErrors"]
    unknown = await client.get(f"{RULES}/{rule_id}/airdrops/nope", headers=tenant.headers)
    refused(unknown, 404, "airdrop_not_found")


async def test_track_progress_follows_the_processing(
    client: AsyncClient, database: Database, currency: str, tenant: Tenant
) -> None:
    body = airdrop_body(currency, metadata={"trackProgress": True})
    rule_id = await create_rule(client, tenant, body)
    await uploaded(client, tenant, rule_id, f"walletAddress,amount\n{wallet(1)},8\n")
    await run_once(database)
    assert counts(await status(client, tenant, rule_id)) == ("completed", 1, 1, 1, 0)
    assert await balance(client, tenant, wallet(1)) == 8


async def test_a_batch_the_pipeline_cannot_pay_fails_the_airdrop(
    client: AsyncClient,
    database: Database,
    currency: str,
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rule_id = await create_rule(client, tenant, airdrop_body(currency))
    await uploaded(client, tenant, rule_id, f"walletAddress,amount\n{wallet(1)},1\n{wallet(2)},2")
    pay = complete_many

    async def pays_then_fails(*args: Any) -> Any:
        await pay(*args)
        raise NotFound("The currency no longer exists", code="currency_not_found")

    monkeypatch.setattr(payout, "complete_many", pays_then_fails)
    await run_once(database)
    done = await status(client, tenant, rule_id)
    assert counts(done) == ("failed", 2, 2, 0, 2)
    assert done["message"] == "The currency no longer exists"
    assert errors(done) == [(2, "currency_not_found"), (3, "currency_not_found")]
    assert await balance(client, tenant, wallet(1)) == 0


# ---- the airdrop's window ----------------------------------------------------------------


async def test_nothing_is_paid_before_the_effective_start(
    client: AsyncClient, database: Database, currency: str, tenant: Tenant, clock: Clock
) -> None:
    start = clock.now + timedelta(hours=1)
    body = airdrop_body(currency, effectiveStartTime=iso(start))
    rule_id = await create_rule(client, tenant, body)
    await uploaded(client, tenant, rule_id, f"walletAddress,amount\n{wallet(1)},8\n")
    await run_once(database)
    assert counts(await status(client, tenant, rule_id)) == ("pending", 1, 0, 0, 0)
    assert await balance(client, tenant, wallet(1)) == 0
    clock.now = start
    await run_once(database)
    assert counts(await status(client, tenant, rule_id)) == ("completed", 1, 1, 1, 0)
    assert await balance(client, tenant, wallet(1)) == 8


async def test_an_earlier_start_is_honoured_at_once(
    client: AsyncClient, database: Database, currency: str, tenant: Tenant, clock: Clock
) -> None:
    body = airdrop_body(currency, effectiveStartTime=iso(clock.now + timedelta(days=7)))
    rule_id = await create_rule(client, tenant, body)
    await uploaded(client, tenant, rule_id, f"walletAddress,amount\n{wallet(1)},8\n")
    await run_once(database)
    moved = await client.post(
        f"{RULES}/{rule_id}",
        json={"effectiveStartTime": iso(clock.now - timedelta(minutes=1))},
        headers=tenant.headers,
    )
    assert moved.status_code == 200, moved.text
    await run_once(database)
    assert await balance(client, tenant, wallet(1)) == 8


async def test_nothing_is_paid_after_the_effective_end(
    client: AsyncClient, database: Database, currency: str, tenant: Tenant, clock: Clock
) -> None:
    start, end = clock.now + timedelta(hours=1), clock.now + timedelta(hours=2)
    body = airdrop_body(currency, effectiveStartTime=iso(start), effectiveEndTime=iso(end))
    rule_id = await create_rule(client, tenant, body)
    await uploaded(client, tenant, rule_id, f"walletAddress,amount\n{wallet(1)},8\n")
    clock.now = end
    await run_once(database)
    done = await status(client, tenant, rule_id)
    assert counts(done) == ("completed", 1, 1, 0, 1)
    assert errors(done) == [(2, "airdrop_ended")]
    assert await balance(client, tenant, wallet(1)) == 0
    late = await upload(client, tenant, rule_id, f"walletAddress,amount\n{wallet(2)},1\n")
    refused(late, 422, "airdrop_ended")


async def test_deleting_the_rule_ends_its_airdrops(
    client: AsyncClient, database: Database, currency: str, tenant: Tenant, clock: Clock
) -> None:
    body = airdrop_body(currency, effectiveStartTime=iso(clock.now + timedelta(hours=1)))
    rule_id = await create_rule(client, tenant, body)
    airdrop = await uploaded(client, tenant, rule_id, f"walletAddress,amount\n{wallet(1)},8\n")
    deleted = await client.delete(f"{RULES}/{rule_id}", headers=tenant.headers)
    assert deleted.status_code == 200, deleted.text
    clock.advance(timedelta(hours=2))
    await run_once(database)
    restored_view = await client.get(
        f"{RULES}/{rule_id}/airdrops/{airdrop['id']}", headers=tenant.headers
    )
    refused(restored_view, 404, "rule_not_found")
    assert await balance(client, tenant, wallet(1)) == 0
    async with database.reading() as session:
        from loyalty.airdrops.models import Airdrop

        row = await session.get_one(Airdrop, airdrop["id"])
    assert (row.state, row.message, row.rows_failed) == ("failed", "The rule was deleted", 1)


# ---- concurrency -------------------------------------------------------------------------


@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: SQLite runs one writer at a time")
async def test_parallel_workers_pay_each_line_once(
    client: AsyncClient, database: Database, currency: str, tenant: Tenant
) -> None:
    metadata = {"rewardByBatch": True, "batchSize": 3}
    rule_id = await create_rule(client, tenant, airdrop_body(currency, metadata=metadata))
    lines = "".join(f"{wallet(n)},{n}\n" for n in range(1, 11))
    airdrop_id = (await uploaded(client, tenant, rule_id, "walletAddress,amount\n" + lines))["id"]

    async def worker() -> None:
        async with database.writing() as session:
            await payout.pay_next_batch(session, airdrop_id)

    await asyncio.gather(*(worker() for _ in range(6)))
    await run_once(database)
    assert counts(await status(client, tenant, rule_id)) == ("completed", 10, 10, 10, 0)
    assert [await balance(client, tenant, wallet(n)) for n in range(1, 11)] == list(range(1, 11))
