"""Progress on rules that track it (seed 000): ``POST /api/loyalty/rule_statuses`` sets or
adds, clamped to the target; every bad field in one 400; a rule without progress tracking
is a 422; progress never writes to the ledger; a fulfilled progress starts a new cycle;
``GET /api/loyalty/rule_statuses`` filters and pages. The pure functions (target, reached
ranges) are tested on their own, and 50 parallel increments on PostgreSQL count to 50."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from httpx import AsyncClient, Response
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update

from loyalty.db import Database
from loyalty.engine import progress
from loyalty.engine.decide import Refusal, RuleView, progress_claim, tracks_user_progress
from loyalty.engine.models import Completion, RuleProgress
from tests.servers import LIMITS, TIMEOUT
from tests.support import ON_POSTGRES, Tenant, create_currency, create_tenant, wallet

PATH = "/api/loyalty/rule_statuses"

SEED_RANGES = [
    {"startRange": 10, "endRange": 10, "amount": 20},
    {"startRange": 20, "endRange": 20, "amount": 20},
    {"startRange": 50, "endRange": 90, "amount": 20},
    {"startRange": 100, "endRange": 100, "amount": 20},
]
COUNTER_RANGES = [
    {"startRange": 5, "endRange": 9, "amount": 5},
    {"startRange": 10, "endRange": 19, "amount": 10},
    {"startRange": 20, "endRange": 30, "amount": 20},
]


def progress_quest(currency: str, **metadata: Any) -> dict[str, Any]:
    """The rule of seed 000."""
    return {
        "name": "Progress quest",
        "type": "external_rule",
        "frequency": "none",
        "interval": "once",
        "startTime": None,
        "loyaltyCurrencyId": currency,
        "metadata": {"trackProgress": True, "range": SEED_RANGES, **metadata},
    }


def counter_quest(currency: str) -> dict[str, Any]:
    return {
        **progress_quest(currency),
        "name": "Counter quest",
        "metadata": {"trackProgress": True, "progressType": "counter", "range": COUNTER_RANGES},
    }


def plain_rule(currency: str) -> dict[str, Any]:
    return {
        "name": "No progress",
        "type": "external_rule",
        "frequency": "none",
        "interval": "once",
        "startTime": None,
        "amount": 5,
        "loyaltyCurrencyId": currency,
        "metadata": {},
    }


async def create_rule(client: AsyncClient, tenant: Tenant, body: dict[str, Any]) -> str:
    response = await client.post("/api/loyalty/rules", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.fixture
async def currency(client: AsyncClient, tenant: Tenant) -> str:
    return await create_currency(client, tenant)


@pytest.fixture
async def quest(client: AsyncClient, tenant: Tenant, currency: str) -> str:
    return await create_rule(client, tenant, progress_quest(currency))


@pytest.fixture
async def counter(client: AsyncClient, tenant: Tenant, currency: str) -> str:
    return await create_rule(client, tenant, counter_quest(currency))


async def post(client: AsyncClient, tenant: Tenant, body: dict[str, Any]) -> Response:
    return await client.post(PATH, json=body, headers=tenant.headers)


async def status(
    client: AsyncClient, tenant: Tenant, rule: str, member: str = wallet(1), **change: Any
) -> dict[str, Any]:
    response = await post(
        client, tenant, {"loyaltyRuleId": rule, "walletAddress": member, **change}
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def errors(response: Response) -> dict[str, str]:
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_error"
    return {e["field"]: e["message"] for e in response.json()["errors"]}


async def listed(client: AsyncClient, tenant: Tenant, **params: Any) -> dict[str, Any]:
    response = await client.get(PATH, params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def row_of(database: Database, status_id: str) -> RuleProgress:
    async with database.reading() as session:
        row = await session.get(RuleProgress, status_id)
        assert row is not None
        return row


# ---------------------------------------------------------------------------- pure

PERCENT = {"metadata": {"trackProgress": True, "range": SEED_RANGES}}
COUNTER = {"metadata": {"trackProgress": True, "progressType": "counter", "range": COUNTER_RANGES}}


def test_target_is_100_for_a_percentage_and_the_top_range_end_for_a_counter() -> None:
    assert progress.target(PERCENT) == 100
    assert progress.target({"metadata": {"trackProgress": True}}) == 100
    assert progress.target({"metadata": {**PERCENT["metadata"], "progressType": "percentage"}})
    assert progress.target(COUNTER) == 30
    # Shown at the top level of the rule too.
    assert progress.target({"progressType": "counter", "metadata": {"range": COUNTER_RANGES}}) == 30


def _claimable(definition: dict[str, Any], value: int) -> list[str] | str:
    """The parts a claim at ``value`` pays (nothing paid before), or the refusal's code."""
    view = RuleView.of("rule", {"type": "external_rule", "loyaltyCurrencyId": "c", **definition})
    found = progress_claim(view, value, set())
    return found.code if isinstance(found, Refusal) else [part.key for part in found]


def test_a_range_is_reached_once_progress_passes_its_start() -> None:
    assert _claimable(PERCENT, 0) == "progress_incomplete"
    assert _claimable(PERCENT, 10) == ["range:0"]
    assert _claimable(PERCENT, 40) == ["range:0", "range:1"]
    # A jump from 40 to 95 reaches 50-90 as well.
    assert _claimable(PERCENT, 95) == ["range:0", "range:1", "range:2"]
    assert _claimable(COUNTER, 12) == ["range:0", "range:1"]


def test_complete_only_at_the_target() -> None:
    assert "" not in _claimable(PERCENT, 99)
    assert _claimable(PERCENT, 100) == ["range:0", "range:1", "range:2", "range:3", ""]
    assert "" not in _claimable(COUNTER, 29)
    assert "" in _claimable(COUNTER, 30)


def test_tracks_progress_only_when_true() -> None:
    assert tracks_user_progress(PERCENT)
    assert tracks_user_progress({"trackProgress": True, "metadata": {}})
    assert not tracks_user_progress({"metadata": {}})
    assert not tracks_user_progress({"metadata": {"trackProgress": False}})


@st.composite
def ranges(draw: st.DrawFn) -> list[dict[str, int]]:
    """Ordered, non-overlapping ranges within 0..1000."""
    bounds = sorted(draw(st.sets(st.integers(0, 1000), min_size=0, max_size=12)))
    spans = [bounds[i : i + 2] for i in range(0, len(bounds) - 1, 2)]
    items = [{"startRange": a, "endRange": b, "amount": 1} for a, b in spans]
    return draw(st.permutations(items))


@given(ranges(), st.integers(-10, 1100), st.sampled_from(["percentage", "counter"]))
def test_reached_ranges_are_exactly_those_starting_at_or_below_progress(
    spans: list[dict[str, int]], value: int, kind: str
) -> None:
    definition = {"metadata": {"trackProgress": True, "progressType": kind, "range": spans}}
    claimable = _claimable(definition, value)
    reached = [] if isinstance(claimable, str) else [k for k in claimable if k]
    assert reached == [f"range:{i}" for i, r in enumerate(spans) if r["startRange"] <= value]
    if kind == "counter" and spans:
        assert progress.target(definition) == max(r["endRange"] for r in spans)


# ---------------------------------------------------------------------------- API


async def test_set_then_increment(client: AsyncClient, tenant: Tenant, quest: str) -> None:
    first = await status(client, tenant, quest, progress=40)
    assert set(first) == {
        "id",
        "createdAt",
        "loyaltyRuleId",
        "organizationId",
        "progress",
        "updatedAt",
        "userId",
        "websiteId",
    }
    assert first["progress"] == 40
    assert first["loyaltyRuleId"] == quest
    assert (first["organizationId"], first["websiteId"]) == (
        tenant.organization_id,
        tenant.website_id,
    )
    second = await status(client, tenant, quest, incProgress=15)
    assert (second["id"], second["userId"], second["progress"]) == (
        first["id"],
        first["userId"],
        55,
    )
    assert second["createdAt"] == first["createdAt"]
    # Set lowers as well as raises; a negative increment lowers.
    assert (await status(client, tenant, quest, progress=30))["progress"] == 30
    assert (await status(client, tenant, quest, incProgress=-5))["progress"] == 25
    # By userId too, and 5.0 is the integer 5.
    by_id = {"loyaltyRuleId": quest, "userId": first["userId"], "incProgress": 5.0}
    response = await post(client, tenant, by_id)
    assert response.status_code == 200, response.text
    assert response.json()["progress"] == 30


async def test_first_update_may_be_an_increment(
    client: AsyncClient, tenant: Tenant, quest: str
) -> None:
    assert (await status(client, tenant, quest, wallet(2), incProgress=7))["progress"] == 7
    assert (await status(client, tenant, quest, wallet(3), incProgress=-7))["progress"] == 0


async def test_progress_is_clamped_to_the_target(
    client: AsyncClient, tenant: Tenant, quest: str, counter: str
) -> None:
    await status(client, tenant, quest, progress=90)
    assert (await status(client, tenant, quest, incProgress=95))["progress"] == 100
    assert (await status(client, tenant, quest, incProgress=100))["progress"] == 100
    assert (await status(client, tenant, quest, incProgress=-60))["progress"] == 40
    assert (await status(client, tenant, quest, incProgress=-100))["progress"] == 0
    # A counter counts to its highest range end (30).
    assert (await status(client, tenant, counter, incProgress=25))["progress"] == 25
    assert (await status(client, tenant, counter, incProgress=25))["progress"] == 30
    assert (await status(client, tenant, counter, progress=30))["progress"] == 30


async def test_every_bad_field_is_reported_at_once(
    client: AsyncClient, tenant: Tenant, quest: str
) -> None:
    response = await post(
        client,
        tenant,
        {
            "userId": "u",
            "walletAddress": wallet(1),
            "progress": 1.5,
            "incProgress": "5",
            "color": "red",
        },
    )
    assert response.status_code == 400, response.text
    assert sorted((e["field"], e["message"]) for e in response.json()["errors"]) == [
        ("color", "unknown field"),
        ("incProgress", "give progress or incProgress, not both"),
        ("incProgress", "must be an integer"),
        ("loyaltyRuleId", "is required"),
        ("progress", "must be an integer"),
        ("walletAddress", "give userId or walletAddress, not both"),
    ]
    # Nothing named; and out of bounds beside a missing user, with the rule known.
    assert errors(await post(client, tenant, {"loyaltyRuleId": quest})) == {
        "userId": "userId or walletAddress is required",
        "progress": "progress or incProgress is required",
    }
    assert errors(await post(client, tenant, {"loyaltyRuleId": quest, "progress": 101})) == {
        "userId": "userId or walletAddress is required",
        "progress": "must be between 0 and 100",
    }


BAD_VALUES = [
    ({"progress": 1.5}, "progress", "must be an integer"),
    ({"progress": "5"}, "progress", "must be an integer"),
    ({"progress": True}, "progress", "must be an integer"),
    ({"progress": [5]}, "progress", "must be an integer"),
    ({"incProgress": 0.5}, "incProgress", "must be an integer"),
    ({"incProgress": "1"}, "incProgress", "must be an integer"),
    ({"progress": -1}, "progress", "must be between 0 and 100"),
    ({"progress": 101}, "progress", "must be between 0 and 100"),
    ({"progress": 10**30}, "progress", "must be between 0 and 100"),
    ({"incProgress": 101}, "incProgress", "must be between -100 and 100"),
    ({"incProgress": -101}, "incProgress", "must be between -100 and 100"),
    ({"progress": 5, "incProgress": 5}, "incProgress", "give progress or incProgress, not both"),
    ({}, "progress", "progress or incProgress is required"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_VALUES)
async def test_bad_progress_is_a_400(
    client: AsyncClient,
    tenant: Tenant,
    quest: str,
    change: dict[str, Any],
    field: str,
    message: str,
) -> None:
    body = {"loyaltyRuleId": quest, "walletAddress": wallet(1), **change}
    assert errors(await post(client, tenant, body)) == {field: message}


BAD_NAMES = [
    ({"walletAddress": None}, "userId", "userId or walletAddress is required"),
    ({"userId": "x"}, "walletAddress", "give userId or walletAddress, not both"),
    ({"walletAddress": ""}, "walletAddress", "must not be empty"),
    ({"walletAddress": 12}, "walletAddress", "must be a string"),
    ({"walletAddress": "w" * 129}, "walletAddress", "must be at most 128 characters"),
    ({"loyaltyRuleId": None}, "loyaltyRuleId", "is required"),
    ({"loyaltyRuleId": 5}, "loyaltyRuleId", "must be a string"),
    ({"websiteId": 5}, "websiteId", "must be a string"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_NAMES)
async def test_bad_names_are_a_400(
    client: AsyncClient,
    tenant: Tenant,
    quest: str,
    change: dict[str, Any],
    field: str,
    message: str,
) -> None:
    body = {"loyaltyRuleId": quest, "walletAddress": wallet(1), "progress": 5, **change}
    assert errors(await post(client, tenant, body)) == {field: message}


async def test_a_counter_is_bounded_by_its_target(
    client: AsyncClient, tenant: Tenant, counter: str
) -> None:
    body = {"loyaltyRuleId": counter, "walletAddress": wallet(1)}
    assert errors(await post(client, tenant, {**body, "progress": 31})) == {
        "progress": "must be between 0 and 30"
    }
    assert errors(await post(client, tenant, {**body, "incProgress": -31})) == {
        "incProgress": "must be between -30 and 30"
    }


async def test_a_body_that_is_not_an_object_is_a_400(client: AsyncClient, tenant: Tenant) -> None:
    response = await client.post(PATH, json=[1], headers=tenant.headers)
    assert response.status_code == 400, response.text


async def test_a_rule_that_does_not_track_progress_is_a_422(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule = await create_rule(client, tenant, plain_rule(currency))
    body = {"loyaltyRuleId": rule, "walletAddress": wallet(1), "progress": 10}
    response = await post(client, tenant, body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "rule_does_not_track_progress"
    # Bounds are the target's, so they are not checked on such a rule: still the 422.
    response = await post(client, tenant, {**body, "progress": 1000})
    assert response.json()["code"] == "rule_does_not_track_progress"


async def test_an_unknown_rule_is_a_404(client: AsyncClient, tenant: Tenant) -> None:
    body = {"loyaltyRuleId": "nope", "walletAddress": wallet(1), "progress": 10}
    response = await post(client, tenant, body)
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "rule_not_found"


async def test_a_deleted_rule_is_a_404(client: AsyncClient, tenant: Tenant, quest: str) -> None:
    deleted = await client.delete(f"/api/loyalty/rules/{quest}", headers=tenant.headers)
    assert deleted.status_code == 200, deleted.text
    body = {"loyaltyRuleId": quest, "walletAddress": wallet(1), "progress": 10}
    response = await post(client, tenant, body)
    assert (response.status_code, response.json()["code"]) == (404, "rule_not_found")


async def test_another_organizations_key_sees_no_rule(
    client: AsyncClient, tenant: Tenant, database: Database, quest: str
) -> None:
    await status(client, tenant, quest, progress=10)
    stranger = await create_tenant(database)
    body = {"loyaltyRuleId": quest, "walletAddress": wallet(1), "progress": 10}
    response = await client.post(PATH, json=body, headers=stranger.headers)
    assert (response.status_code, response.json()["code"]) == (404, "rule_not_found")
    assert (await listed(client, stranger))["data"] == []
    assert (await listed(client, stranger, loyaltyRuleId=quest))["data"] == []
    # Naming another organization is refused.
    other_org = {**body, "organizationId": stranger.organization_id}
    assert (await post(client, tenant, other_org)).status_code == 403
    # Naming a website the key may not use, or not the rule's.
    response = await post(client, tenant, {**body, "websiteId": stranger.website_id})
    assert (response.status_code, response.json()["code"]) == (404, "website_not_found")
    same = {**body, "organizationId": tenant.organization_id, "websiteId": tenant.website_id}
    assert (await post(client, tenant, same)).status_code == 200


async def test_an_unknown_user_id_is_a_400_naming_it(
    client: AsyncClient, tenant: Tenant, database: Database, quest: str
) -> None:
    body = {"loyaltyRuleId": quest, "userId": "nobody", "progress": 10}
    response = await post(client, tenant, body)
    assert response.status_code == 400, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["userId"]
    # A user of another website is nobody here.
    stranger = await create_tenant(database)
    stranger_currency = await create_currency(client, stranger)
    theirs = await create_rule(client, stranger, progress_quest(stranger_currency))
    their_user = (await status(client, stranger, theirs, progress=1))["userId"]
    response = await post(client, tenant, {**body, "userId": their_user})
    assert response.status_code == 400, response.text


async def test_a_new_wallet_creates_its_user(
    client: AsyncClient, tenant: Tenant, quest: str
) -> None:
    member = "0xAbCdEf0000000000000000000000000000000001"
    made = await status(client, tenant, quest, member, progress=10)
    users = await client.get(
        "/api/users", params={"walletAddress": member.lower()}, headers=tenant.headers
    )
    assert users.status_code == 200, users.text
    [user] = users.json()["data"]
    assert (user["id"], user["walletAddress"]) == (made["userId"], member.lower())
    # The same EVM address in another case is the same user.
    again = await status(client, tenant, quest, member.lower(), incProgress=1)
    assert (again["userId"], again["progress"]) == (made["userId"], 11)


async def test_progress_writes_nothing_to_the_ledger(
    client: AsyncClient, tenant: Tenant, database: Database, quest: str
) -> None:
    made = await status(client, tenant, quest, progress=60)
    await status(client, tenant, quest, incProgress=100)
    entries = await client.get("/api/loyalty/transaction_entries", headers=tenant.headers)
    assert entries.status_code == 200, entries.text
    assert entries.json()["data"] == []
    async with database.reading() as session:
        paid = await session.scalars(select(Completion).where(Completion.rule_id == quest))
        assert paid.all() == []
    assert (await row_of(database, made["id"])).fulfilled_at is None


async def test_a_fulfilled_progress_starts_a_new_cycle(
    client: AsyncClient, tenant: Tenant, database: Database, quest: str
) -> None:
    made = await status(client, tenant, quest, progress=100)
    assert (await row_of(database, made["id"])).cycle == 0
    async with database.writing() as session:
        await session.execute(
            update(RuleProgress)
            .where(RuleProgress.id == made["id"])
            .values(fulfilled_at=datetime.now(UTC))
        )
    again = await status(client, tenant, quest, incProgress=10)
    assert (again["id"], again["progress"]) == (made["id"], 10)
    row = await row_of(database, made["id"])
    assert (row.progress, row.cycle, row.fulfilled_at) == (10, 1, None)
    # Within the cycle, updates add up again; the next fulfilment starts cycle 2 by a set.
    assert (await status(client, tenant, quest, incProgress=5))["progress"] == 15
    assert (await row_of(database, made["id"])).cycle == 1
    async with database.writing() as session:
        await session.execute(
            update(RuleProgress)
            .where(RuleProgress.id == made["id"])
            .values(fulfilled_at=datetime.now(UTC))
        )
    assert (await status(client, tenant, quest, progress=70))["progress"] == 70
    row = await row_of(database, made["id"])
    assert (row.progress, row.cycle, row.fulfilled_at) == (70, 2, None)
    # A negative increment on a fulfilled row starts from 0 too.
    async with database.writing() as session:
        await session.execute(
            update(RuleProgress)
            .where(RuleProgress.id == made["id"])
            .values(fulfilled_at=datetime.now(UTC))
        )
    assert (await status(client, tenant, quest, incProgress=-5))["progress"] == 0
    assert (await row_of(database, made["id"])).cycle == 3


async def test_list_filters_and_pages(
    client: AsyncClient, tenant: Tenant, quest: str, counter: str
) -> None:
    member = "0xAbCdEf0000000000000000000000000000000002"
    rows = [
        await status(client, tenant, quest, wallet(1), progress=10),
        await status(client, tenant, quest, wallet(2), progress=20),
        await status(client, tenant, counter, wallet(1), progress=3),
        await status(client, tenant, counter, member, progress=4),
    ]
    everything = await listed(client, tenant)
    assert everything == {"data": rows, "hasNextPage": False}

    def ids(page: dict[str, Any]) -> list[str]:
        return [r["id"] for r in page["data"]]

    assert ids(await listed(client, tenant, loyaltyRuleId=quest)) == ids({"data": rows[:2]})
    both = await listed(client, tenant, loyaltyRuleId=[quest, counter])
    assert ids(both) == ids(everything)
    one = rows[0]["userId"]
    assert ids(await listed(client, tenant, userId=one)) == [rows[0]["id"], rows[2]["id"]]
    assert ids(await listed(client, tenant, userId=one, loyaltyRuleId=counter)) == [rows[2]["id"]]
    two = [one, rows[1]["userId"]]
    assert ids(await listed(client, tenant, userId=two)) == [r["id"] for r in rows[:3]]
    # Wallets in any case, repeated.
    by_wallet = await listed(client, tenant, walletAddress=[member.upper().replace("0X", "0x")])
    assert ids(by_wallet) == [rows[3]["id"]]
    several = await listed(client, tenant, walletAddress=[wallet(2), member])
    assert ids(several) == [rows[1]["id"], rows[3]["id"]]
    assert (await listed(client, tenant, walletAddress=wallet(99)))["data"] == []
    # The key's website, named.
    scoped = await listed(
        client, tenant, websiteId=tenant.website_id, organizationId=tenant.organization_id
    )
    assert ids(scoped) == ids(everything)
    # Pages of two.
    first = await listed(client, tenant, limit=2)
    assert (ids(first), first["hasNextPage"]) == ([r["id"] for r in rows[:2]], True)
    second = await listed(client, tenant, limit=2, startingAfter=rows[1]["id"])
    assert (ids(second), second["hasNextPage"]) == ([r["id"] for r in rows[2:]], False)
    # An updated row keeps its place and shows its new progress.
    changed = await status(client, tenant, quest, wallet(1), incProgress=1)
    again = await listed(client, tenant, loyaltyRuleId=quest)
    assert again["data"][0] == changed


async def test_list_refuses_a_bad_limit_and_foreign_website(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    response = await client.get(PATH, params={"limit": 0}, headers=tenant.headers)
    assert response.status_code == 400
    stranger = await create_tenant(database)
    response = await client.get(
        PATH, params={"websiteId": stranger.website_id}, headers=tenant.headers
    )
    assert response.status_code == 404


# ---------------------------------------------------------------------------- PostgreSQL


@pytest.mark.skipif(
    not ON_POSTGRES,
    reason="needs PostgreSQL (LOYALTY_TEST_DATABASE_URL=postgresql://...): "
    "SQLite runs one writer at a time, so there is no race to test",
)
async def test_parallel_increments_all_count(
    urls: list[str], client: AsyncClient, tenant: Tenant, database: Database, quest: str
) -> None:
    member = wallet(7)
    # The user exists first, so the requests race on the progress row, not on the user.
    made = await status(client, tenant, quest, member, incProgress=0)
    body = {"loyaltyRuleId": quest, "walletAddress": member, "incProgress": 1}
    async with (
        AsyncClient(base_url=urls[0], timeout=TIMEOUT, limits=LIMITS) as a,
        AsyncClient(base_url=urls[1], timeout=TIMEOUT, limits=LIMITS) as b,
    ):
        answers = await asyncio.gather(
            *((a, b)[n % 2].post(PATH, json=body, headers=tenant.headers) for n in range(50))
        )
    assert [r.status_code for r in answers] == [200] * 50, [r.text for r in answers]
    assert sorted(r.json()["progress"] for r in answers) == list(range(1, 51))
    assert (await row_of(database, made["id"])).progress == 50


@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL")
async def test_parallel_first_increments_make_one_row(
    urls: list[str], client: AsyncClient, tenant: Tenant, quest: str, counter: str
) -> None:
    """Fifty requests for a user with no progress on the rule yet: one row, at 50."""
    # The user is made through another rule, so the requests race to insert the row.
    user = (await status(client, tenant, counter, wallet(8), progress=1))["userId"]
    body = {"loyaltyRuleId": quest, "userId": user, "incProgress": 1}
    async with (
        AsyncClient(base_url=urls[0], timeout=TIMEOUT, limits=LIMITS) as a,
        AsyncClient(base_url=urls[1], timeout=TIMEOUT, limits=LIMITS) as b,
    ):
        answers = await asyncio.gather(
            *((a, b)[n % 2].post(PATH, json=body, headers=tenant.headers) for n in range(50))
        )
    assert [r.status_code for r in answers] == [200] * 50, [r.text for r in answers]
    assert len({r.json()["id"] for r in answers}) == 1
    [row] = (await listed(client, tenant, userId=user, loyaltyRuleId=quest))["data"]
    assert row["progress"] == 50
