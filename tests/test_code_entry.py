"""code_entry rules: the shared code (once per interval), unique codes generated at creation
or imported from a CSV (by upload and from promoCodeCsvUrl by the worker), each spent once
in all, isRestrictedToNewUsers, the CSV export, and one winner when many race for a code."""

import asyncio
import csv
import io
import re
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from httpx import AsyncClient, Response

from loyalty.codes.keys import ALPHABET, GENERATED_LENGTH
from loyalty.db import Database
from loyalty.engine.batching import CompletionBatcher
from loyalty.engine.completions import Ask
from loyalty.engine.verify import Claim
from loyalty.kit import fetch
from loyalty.rules.service import live_rules
from loyalty.tenancy.service import website_snapshot
from loyalty.users.service import ids_for_wallets
from loyalty.worker.runner import run_once
from tests.conftest import Clock
from tests.servers import burst
from tests.support import Tenant, create_currency, create_tenant, wallet

RULES = "/api/loyalty/rules"
STATUS = "/api/loyalty/rules/status"
FILES = "https://codes.test"
# What the fake CSV host serves, by URL (404 for others).
SERVED: dict[str, tuple[int, bytes]] = {}


def _serve(request: httpx.Request) -> httpx.Response:
    status, body = SERVED.get(str(request.url), (404, b"not found"))
    return httpx.Response(status, content=body)


@pytest.fixture(autouse=True)
async def csv_host(database: Database) -> AsyncIterator[dict[str, tuple[int, bytes]]]:
    """Serve CSV files to the import job; the jobs a test queued are run before the fake
    host goes, so none is left for another test's worker to fetch from the network."""
    fetch.TRANSPORT = httpx.MockTransport(_serve)
    SERVED.clear()
    yield SERVED
    await run_once(database)
    fetch.TRANSPORT = None


@pytest.fixture
async def currency(client: AsyncClient, tenant: Tenant) -> str:
    return await create_currency(client, tenant)


def code_rule(currency: str, interval: str = "once", **metadata: Any) -> dict[str, Any]:
    return {
        "name": "Enter a code",
        "type": "code_entry",
        "frequency": "none",
        "interval": interval,
        "startTime": None,
        "amount": 10,
        "loyaltyCurrencyId": currency,
        "metadata": metadata,
    }


async def create(client: AsyncClient, tenant: Tenant, body: dict[str, Any]) -> str:
    response = await client.post(RULES, json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def update(
    client: AsyncClient, tenant: Tenant, rule_id: str, **metadata: Any
) -> dict[str, Any]:
    body = {"metadata": metadata}
    response = await client.post(f"{RULES}/{rule_id}", json=body, headers=tenant.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def enter(
    client: AsyncClient, tenant: Tenant, rule_id: str, code: str | None, n: int = 1, **more: Any
) -> Response:
    body: dict[str, Any] = {"walletAddress": wallet(n), **more}
    if code is not None:
        body["verificationCode"] = code
    return await client.post(f"{RULES}/{rule_id}/complete", json=body, headers=tenant.headers)


def paid(response: Response) -> None:
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "completed", response.text


def refused(response: Response, code: str) -> str:
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code, response.text
    return str(response.json()["message"])


async def balance(client: AsyncClient, tenant: Tenant, n: int = 1) -> float:
    response = await client.get(
        "/api/loyalty/accounts", params={"walletAddress": wallet(n)}, headers=tenant.headers
    )
    data = response.json()["data"]
    return float(data[0]["amount"]) if data else 0


async def exported(client: AsyncClient, tenant: Tenant, rule_id: str) -> list[dict[str, str]]:
    response = await client.get(f"{RULES}/{rule_id}/promo_codes.csv", headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


async def upload(
    client: AsyncClient, tenant: Tenant, rule_id: str, text: str | bytes, **kwargs: Any
) -> Response:
    content = text.encode() if isinstance(text, str) else text
    headers = {**tenant.headers, "content-type": "text/csv"}
    path = f"{RULES}/{rule_id}/promo_codes"
    return await client.post(path, content=content, headers=headers, **kwargs)


async def imports(client: AsyncClient, tenant: Tenant, rule_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"{RULES}/{rule_id}/promo_code_imports", headers=tenant.headers)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


async def csv_rule(client: AsyncClient, tenant: Tenant, currency: str, **fields: Any) -> str:
    """A csv rule whose URL serves nothing yet (its import fails; codes are uploaded)."""
    metadata = {"promoCodeType": "csv", "promoCodeCsvUrl": f"{FILES}/none.csv", **fields}
    return await create(client, tenant, code_rule(currency, **metadata))


# The shared code


async def test_the_shared_code_pays_once_per_interval(
    client: AsyncClient, tenant: Tenant, currency: str, clock: Clock
) -> None:
    rule = code_rule(currency, "daily", promoCodeType="code", promoCode="Spring24")
    rule_id = await create(client, tenant, rule)
    paid(await enter(client, tenant, rule_id, " spring24 "))
    message = refused(await enter(client, tenant, rule_id, "SPRING24"), "rule_already_completed")
    assert message == "You have already completed this rule today"
    paid(await enter(client, tenant, rule_id, "Spring24", n=2))
    clock.advance(timedelta(days=1))
    paid(await enter(client, tenant, rule_id, "Spring24"))
    assert await balance(client, tenant) == 20


async def test_a_wrong_or_missing_code_is_refused_and_pays_nothing(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await create(
        client, tenant, code_rule(currency, promoCodeType="code", promoCode="SPRING24")
    )
    message = refused(await enter(client, tenant, rule_id, "SPRING25"), "invalid_code")
    assert message == "This promo code is not valid"
    message = refused(await enter(client, tenant, rule_id, None), "code_required")
    assert message == "A promo code is required: send it as verificationCode"
    refused(await enter(client, tenant, rule_id, "  "), "code_required")
    assert await balance(client, tenant) == 0
    statuses = (await client.get(STATUS, headers=tenant.headers)).json()["data"]
    assert [s["status"] for s in statuses] == ["failed"] * 3
    # A wrong code does not use up the interval: the right one still pays.
    paid(await enter(client, tenant, rule_id, "SPRING24"))


# Generated codes


async def test_generated_codes_are_readable_unique_and_spent_once(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule = code_rule(currency, "unlimited", promoCodeType="generate", promoCodeLength=50)
    rule_id = await create(client, tenant, rule)
    rows = await exported(client, tenant, rule_id)
    codes = [row["code"] for row in rows]
    assert len(set(codes)) == 50
    assert all(re.fullmatch(f"[{ALPHABET}]{{{GENERATED_LENGTH}}}", code) for code in codes)
    assert {(row["used"], row["usedBy"]) for row in rows} == {("false", "")}
    first, second = codes[0], codes[1]
    answer = await enter(client, tenant, rule_id, first.lower())
    paid(answer)
    message = refused(await enter(client, tenant, rule_id, first, n=2), "code_already_used")
    assert message == "This promo code has already been used"
    # Once in all, also for the user who used it, whatever the interval allows.
    refused(await enter(client, tenant, rule_id, first), "code_already_used")
    paid(await enter(client, tenant, rule_id, second))
    assert await balance(client, tenant) == 20
    assert await balance(client, tenant, 2) == 0
    used = {row["code"]: row for row in await exported(client, tenant, rule_id)}
    assert used[first]["used"] == "true"
    assert used[first]["usedBy"] == answer.json()["userId"]
    assert sum(row["used"] == "true" for row in used.values()) == 2


async def test_a_refused_completion_does_not_spend_its_code(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule = code_rule(currency, "once", promoCodeType="generate", promoCodeLength=3)
    rule_id = await create(client, tenant, rule)
    one, two, three = (row["code"] for row in await exported(client, tenant, rule_id))
    paid(await enter(client, tenant, rule_id, one))
    refused(await enter(client, tenant, rule_id, two), "rule_already_completed")
    verified = await enter(client, tenant, rule_id, three, n=3, verifyOnly=True)
    assert verified.status_code == 200, verified.text
    assert verified.json()["status"] == "verified"
    paid(await enter(client, tenant, rule_id, two, n=2))
    paid(await enter(client, tenant, rule_id, three, n=3))


async def test_raising_promo_code_length_generates_the_difference(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await create(
        client, tenant, code_rule(currency, promoCodeType="code", promoCode="SHARED")
    )
    await update(client, tenant, rule_id, promoCodeType="generate", promoCodeLength=5)
    before = {row["code"] for row in await exported(client, tenant, rule_id)}
    assert len(before) == 5
    await update(client, tenant, rule_id, promoCodeType="generate", promoCodeLength=8)
    after = {row["code"] for row in await exported(client, tenant, rule_id)}
    assert len(after) == 8 and before < after
    # Lowering it removes no code: codes may be in people's hands already.
    await update(client, tenant, rule_id, promoCodeType="generate", promoCodeLength=2)
    assert {row["code"] for row in await exported(client, tenant, rule_id)} == after
    # The shared code is no longer the rule's code.
    refused(await enter(client, tenant, rule_id, "SHARED"), "invalid_code")
    paid(await enter(client, tenant, rule_id, sorted(before)[0]))


async def test_a_hundred_thousand_codes_are_generated_at_creation(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule = code_rule(currency, promoCodeType="generate", promoCodeLength=100_000)
    rule_id = await create(client, tenant, rule)
    rows = await exported(client, tenant, rule_id)
    assert len({row["code"] for row in rows}) == 100_000
    paid(await enter(client, tenant, rule_id, rows[-1]["code"]))


# New users only


async def test_restricted_codes_admit_only_users_created_in_the_last_six_hours(
    client: AsyncClient, tenant: Tenant, currency: str, clock: Clock
) -> None:
    rule_id = await create(
        client, tenant, code_rule(currency, promoCodeType="code", promoCode="WELCOME")
    )
    restricted = code_rule(
        currency, promoCodeType="code", promoCode="WELCOME", isRestrictedToNewUsers=True
    )
    restricted_id = await create(client, tenant, restricted)
    paid(await enter(client, tenant, rule_id, "WELCOME"))  # the user is created now
    clock.advance(timedelta(hours=6, seconds=1))
    message = refused(await enter(client, tenant, restricted_id, "WELCOME"), "user_not_new")
    assert message == "This promo code is only for new users (joined in the last 6 hours)"
    paid(await enter(client, tenant, restricted_id, "WELCOME", n=2))
    assert await balance(client, tenant) == 10


async def test_a_restricted_unique_code_refused_to_an_old_user_stays_unused(
    client: AsyncClient, tenant: Tenant, currency: str, clock: Clock
) -> None:
    rule = code_rule(
        currency, promoCodeType="generate", promoCodeLength=1, isRestrictedToNewUsers=True
    )
    rule_id = await create(client, tenant, rule)
    (code,) = (row["code"] for row in await exported(client, tenant, rule_id))
    refused(await enter(client, tenant, rule_id, "NOPE"), "invalid_code")  # creates the user
    clock.advance(timedelta(hours=7))
    refused(await enter(client, tenant, rule_id, code), "user_not_new")
    paid(await enter(client, tenant, rule_id, code, n=2))


# CSV uploads


async def test_an_uploaded_csv_adds_its_codes(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await csv_rule(client, tenant, currency, interval="unlimited")
    first = await upload(client, tenant, rule_id, "code\nALPHA-1\n\nBRAVO-2,note\nalpha-1\n")
    assert first.status_code == 201, first.text
    answer = first.json()
    assert answer["source"] == "upload" and answer["status"] == "completed"
    assert (answer["importedCount"], answer["duplicateCount"]) == (2, 1)
    assert answer["badLines"] == [] and answer["url"] is None
    again = await upload(client, tenant, rule_id, "\ufeffBravo-2\nCHARLIE-3\r\n")
    assert (again.json()["importedCount"], again.json()["duplicateCount"]) == (1, 1)
    rows = await exported(client, tenant, rule_id)
    assert [row["code"] for row in rows] == ["ALPHA-1", "BRAVO-2", "CHARLIE-3"]
    paid(await enter(client, tenant, rule_id, "bravo-2"))
    refused(await enter(client, tenant, rule_id, "BRAVO-2", n=2), "code_already_used")
    refused(await enter(client, tenant, rule_id, "DELTA-4"), "invalid_code")
    history = await imports(client, tenant, rule_id)
    assert [(i["source"], i["importedCount"]) for i in history[:2]] == [
        ("upload", 1),
        ("upload", 2),
    ]


async def test_a_csv_can_be_uploaded_as_a_multipart_file(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await csv_rule(client, tenant, currency)
    response = await client.post(
        f"{RULES}/{rule_id}/promo_codes",
        files={"file": ("codes.csv", b"ONE\nTWO\n", "text/csv")},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["importedCount"] == 2
    paid(await enter(client, tenant, rule_id, "two"))


async def test_a_csv_with_bad_lines_is_refused_whole(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await csv_rule(client, tenant, currency)
    text = "GOOD-1\n,second column only\n" + "X" * 101 + "\nBAD\tTAB\nGOOD-2\n"
    response = await upload(client, tenant, rule_id, text)
    assert response.status_code == 400, response.text
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [
        ("file", "line 2: the code (first column) is empty"),
        ("file", "line 3: the code is longer than 100 characters"),
        ("file", "line 4: the code holds control characters"),
    ]
    assert await exported(client, tenant, rule_id) == []
    assert [i for i in await imports(client, tenant, rule_id) if i["source"] == "upload"] == []
    refused(await enter(client, tenant, rule_id, "GOOD-1"), "invalid_code")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file holds no codes"),
        (b"code\n\n", "The file holds no codes"),
        (b"caf\xe9\n", "The file is not UTF-8 text (byte 3 cannot be read)"),
        (b'"open quote\n', "The file is not a readable CSV: unexpected end of data"),
    ],
)
async def test_an_unreadable_csv_is_refused(
    client: AsyncClient, tenant: Tenant, currency: str, content: bytes, message: str
) -> None:
    rule_id = await csv_rule(client, tenant, currency)
    response = await upload(client, tenant, rule_id, content)
    assert response.status_code == 400, response.text
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [("file", message)]


async def test_an_upload_must_be_a_csv_body_or_file(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await csv_rule(client, tenant, currency)
    path = f"{RULES}/{rule_id}/promo_codes"
    as_json = await client.post(path, json={"codes": ["A"]}, headers=tenant.headers)
    assert as_json.status_code == 400, as_json.text
    assert as_json.json()["errors"][0]["field"] == "body"
    no_file = await client.post(
        path, data={"other": "A"}, files={"x": ("x", b"A")}, headers=tenant.headers
    )
    assert no_file.status_code == 400, no_file.text
    assert no_file.json()["errors"][0]["field"] == "file"
    too_big = await upload(client, tenant, rule_id, b"A" * (fetch.MAX_BYTES + 1))
    assert too_big.status_code == 400, too_big.text
    assert too_big.json()["errors"][0]["message"] == "is larger than 20 MB"


async def test_codes_are_uploaded_only_into_csv_rules(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    shared = await create(
        client, tenant, code_rule(currency, promoCodeType="code", promoCode="SHARED")
    )
    generated = await create(
        client, tenant, code_rule(currency, promoCodeType="generate", promoCodeLength=1)
    )
    for rule_id in (shared, generated):
        message = refused(await upload(client, tenant, rule_id, "A\n"), "not_a_csv_code_rule")
        assert message == (
            "Codes are imported only into a code_entry rule whose promoCodeType is csv"
        )
        refused(
            await client.post(f"{RULES}/{rule_id}/promo_code_imports", headers=tenant.headers),
            "not_a_csv_code_rule",
        )
    response = await client.get(f"{RULES}/{shared}/promo_codes.csv", headers=tenant.headers)
    refused(response, "no_unique_codes")


async def test_another_organization_cannot_reach_a_rules_codes(
    client: AsyncClient, tenant: Tenant, currency: str, database: Database
) -> None:
    rule_id = await csv_rule(client, tenant, currency)
    other = await create_tenant(database)
    for method, path in (
        ("POST", f"{RULES}/{rule_id}/promo_codes"),
        ("POST", f"{RULES}/{rule_id}/promo_code_imports"),
        ("GET", f"{RULES}/{rule_id}/promo_code_imports"),
        ("GET", f"{RULES}/{rule_id}/promo_codes.csv"),
    ):
        headers = {**other.headers, "content-type": "text/csv"}
        response = await client.request(method, path, content=b"A\n", headers=headers)
        assert response.status_code == 404, (path, response.text)
    no_key = await client.get(f"{RULES}/{rule_id}/promo_codes.csv")
    assert no_key.status_code == 401
    assert await exported(client, tenant, rule_id) == []


# CSV from promoCodeCsvUrl


async def test_the_csv_at_the_url_is_imported_by_the_worker(
    client: AsyncClient, tenant: Tenant, currency: str, database: Database
) -> None:
    url = f"{FILES}/{tenant.website_id}/codes.csv"
    SERVED[url] = (200, b"promoCode\nNORTH\nSOUTH\nnorth\n")
    rule = code_rule(currency, promoCodeType="csv", promoCodeCsvUrl=url)
    rule_id = await create(client, tenant, rule)
    (queued,) = await imports(client, tenant, rule_id)
    assert (queued["source"], queued["url"], queued["status"]) == ("url", url, "queued")
    refused(await enter(client, tenant, rule_id, "NORTH"), "invalid_code")
    await run_once(database)
    (done,) = await imports(client, tenant, rule_id)
    assert (done["status"], done["importedCount"], done["duplicateCount"]) == ("completed", 2, 1)
    assert done["finishedAt"] is not None
    paid(await enter(client, tenant, rule_id, "north"))
    refused(await enter(client, tenant, rule_id, "NORTH", n=2), "code_already_used")


async def test_a_url_that_fails_or_has_bad_lines_fails_its_import_until_refetched(
    client: AsyncClient, tenant: Tenant, currency: str, database: Database
) -> None:
    url = f"{FILES}/{tenant.website_id}/later.csv"
    rule_id = await create(
        client, tenant, code_rule(currency, promoCodeType="csv", promoCodeCsvUrl=url)
    )
    await run_once(database)
    (missing,) = await imports(client, tenant, rule_id)
    assert (missing["status"], missing["error"]) == ("failed", "The URL answered HTTP 404")
    SERVED[url] = (200, b"FIRST\n,note\n" + b"Y" * 101 + b"\n")
    refetched = await client.post(f"{RULES}/{rule_id}/promo_code_imports", headers=tenant.headers)
    assert refetched.status_code == 201, refetched.text
    assert refetched.json()["status"] == "queued"
    await run_once(database)
    bad = (await imports(client, tenant, rule_id))[0]
    assert bad["status"] == "failed" and bad["importedCount"] == 0
    assert bad["error"] == "The file has bad lines: nothing was imported"
    assert bad["badLineCount"] == 2
    assert bad["badLines"] == [
        {"line": 2, "message": "the code (first column) is empty"},
        {"line": 3, "message": "the code is longer than 100 characters"},
    ]
    refused(await enter(client, tenant, rule_id, "FIRST"), "invalid_code")
    SERVED[url] = (200, b"FIRST\nSECOND\n")
    await client.post(f"{RULES}/{rule_id}/promo_code_imports", headers=tenant.headers)
    await run_once(database)
    assert (await imports(client, tenant, rule_id))[0]["importedCount"] == 2
    paid(await enter(client, tenant, rule_id, "FIRST"))


async def test_a_new_url_is_imported_and_supersedes_the_queued_one(
    client: AsyncClient, tenant: Tenant, currency: str, database: Database
) -> None:
    old, new = f"{FILES}/{tenant.website_id}/old.csv", f"{FILES}/{tenant.website_id}/new.csv"
    SERVED[old], SERVED[new] = (200, b"OLD\n"), (200, b"NEW\n")
    rule_id = await create(
        client, tenant, code_rule(currency, promoCodeType="csv", promoCodeCsvUrl=old)
    )
    await update(client, tenant, rule_id, promoCodeType="csv", promoCodeCsvUrl=new)
    # Saving the rule again with the same URL queues nothing.
    await update(client, tenant, rule_id, promoCodeType="csv", promoCodeCsvUrl=new)
    await run_once(database)
    found = [(i["url"], i["status"]) for i in await imports(client, tenant, rule_id)]
    assert found == [(new, "completed"), (old, "superseded")]
    refused(await enter(client, tenant, rule_id, "OLD"), "invalid_code")
    paid(await enter(client, tenant, rule_id, "NEW"))


async def test_a_csv_url_must_be_http(client: AsyncClient, tenant: Tenant, currency: str) -> None:
    for url in ("file:///etc/passwd", "codes.csv"):
        body = code_rule(currency, promoCodeType="csv", promoCodeCsvUrl=url)
        response = await client.post(RULES, json=body, headers=tenant.headers)
        assert response.status_code == 400, response.text
        assert response.json()["errors"] == [
            {
                "field": "metadata.promoCodeCsvUrl",
                "message": "must be an http or https URL",
                "location": "body",
            }
        ]
    listed = await client.get(RULES, headers=tenant.headers)
    assert listed.json()["data"] == []


# Races


async def test_parallel_claims_of_one_code_in_one_process_have_one_winner(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule = code_rule(currency, "unlimited", promoCodeType="generate", promoCodeLength=1)
    rule_id = await create(client, tenant, rule)
    (code,) = (row["code"] for row in await exported(client, tenant, rule_id))
    answers = await asyncio.gather(*(enter(client, tenant, rule_id, code, n=n) for n in range(12)))
    outcomes = Counter(
        (a.status_code, a.json().get("code") or a.json().get("status")) for a in answers
    )
    assert outcomes == Counter({(200, "completed"): 1, (422, "code_already_used"): 11})
    assert sum([await balance(client, tenant, n) for n in range(12)]) == 10


async def test_two_claims_of_one_code_in_one_batch_are_decided_one_by_one(
    client: AsyncClient, tenant: Tenant, currency: str, database: Database
) -> None:
    """The second ask of a batch claiming the code the first holds splits the batch; run
    alone, the first spends the code and the second finds it used."""
    rule = code_rule(currency, promoCodeType="generate", promoCodeLength=1)
    rule_id = await create(client, tenant, rule)
    (code,) = (row["code"] for row in await exported(client, tenant, rule_id))
    async with database.writing() as session:
        users = await ids_for_wallets(
            session, tenant.organization_id, tenant.website_id, [wallet(1), wallet(2)]
        )
        snapshot = (await live_rules(session, [rule_id]))[rule_id]
        website = await website_snapshot(session, tenant.website_id)
    asks = [Ask(snapshot, Claim(user_id, verification_code=code)) for user_id in users.values()]
    batcher = CompletionBatcher(database, runners=1)
    try:
        outcomes = await asyncio.gather(*(batcher.submit(website, ask) for ask in asks))
    finally:
        await batcher.close()
    assert batcher.batches_split == 1
    assert sorted((o.status, o.refusal.code if o.refusal else None) for o in outcomes) == [
        ("completed", None),
        ("failed", "code_already_used"),
    ]


async def test_twenty_users_racing_for_one_unique_code_give_exactly_one_winner(
    client: AsyncClient, tenant: Tenant, currency: str, urls: list[str]
) -> None:
    rule = code_rule(currency, promoCodeType="generate", promoCodeLength=1)
    rule_id = await create(client, tenant, rule)
    (code,) = (row["code"] for row in await exported(client, tenant, rule_id))
    bodies = [{"walletAddress": wallet(n), "verificationCode": code} for n in range(20)]
    outcomes = await burst(urls, tenant, f"{RULES}/{rule_id}/complete", bodies)
    assert outcomes == Counter({(200, "completed"): 1, (422, "code_already_used"): 19})
    assert sum([await balance(client, tenant, n) for n in range(20)]) == 10
    (row,) = await exported(client, tenant, rule_id)
    assert row["used"] == "true"
