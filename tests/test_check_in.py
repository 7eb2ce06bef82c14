"""check_in rules: one check-in per period; streaks of consecutive periods in the website's
time zone (across daylight saving changes), broken by a missed period, with milestone
bonuses paid once per streak; rules whose completions count as check-ins; the account
streaks list; and, on PostgreSQL, parallel check-ins of one user counted once."""

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from httpx import AsyncClient, Response

from loyalty.db import Database
from loyalty.engine.periods import period_key
from loyalty.streaks import logic
from tests.conftest import Clock
from tests.servers import burst
from tests.support import (
    ON_POSTGRES,
    RULES,
    Tenant,
    balance,
    complete,
    create_currency,
    create_tenant,
    refused,
    rule,
    wallet,
)
from tests.test_completions import external
from tests.test_events import event, send, triggered

STREAKS = "/api/loyalty/account_streaks"
postgres_only = pytest.mark.skipif(
    not ON_POSTGRES, reason="needs PostgreSQL: SQLite runs one writer at a time"
)
PARIS = "Europe/Paris"
NEW_YORK = "America/New_York"


def check_in(currency: str, **metadata: Any) -> dict[str, Any]:
    return {
        "name": "Daily check-in",
        "type": "check_in",
        "frequency": "none",
        "interval": metadata.pop("interval", "daily"),
        "startTime": None,
        "amount": 10,
        "loyaltyCurrencyId": currency,
        "metadata": metadata,
    }


def streaky(currency: str, *ladder: tuple[int, float], **metadata: Any) -> dict[str, Any]:
    milestones = [{"streakMilestone": m, "streakAmount": a} for m, a in ladder]
    return check_in(currency, enableStreaks=True, streakArray=milestones, **metadata)


async def streak_of(
    client: AsyncClient, tenant: Tenant, rule_id: str, n: int = 1
) -> dict[str, Any]:
    response = await client.get(
        STREAKS,
        params={"loyaltyRuleId": rule_id, "walletAddress": wallet(n)},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    (item,) = response.json()
    return dict(item)


async def checked_in(client: AsyncClient, tenant: Tenant, rule_id: str, n: int = 1) -> Response:
    response = await complete(client, tenant, rule_id, n)
    assert response.status_code == 200, response.text
    return response


def bonuses(response: Response) -> list[tuple[int, int]]:
    """(milestone, amount) of the streak bonuses a completion reports it paid."""
    return [
        (p["streakMilestone"], p["amount"])
        for p in response.json()["paid"]
        if p["part"].startswith("streak:")
    ]


def at(day: date, hour: int, zone: str, minute: int = 0) -> datetime:
    """A local time of the website's zone as a UTC instant."""
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC)


@pytest.fixture
async def currency(client: AsyncClient, tenant: Tenant) -> str:
    return await create_currency(client, tenant)


@pytest.fixture
async def paris(database: Database) -> Tenant:
    return await create_tenant(database, time_zone=PARIS)


# --- check-ins ------------------------------------------------------------------------------


async def test_one_check_in_per_day(
    client: AsyncClient, tenant: Tenant, currency: str, clock: Clock
) -> None:
    rule_id = await rule(client, tenant, check_in(currency, isCheckInOnEveryTxn=False))
    clock.now = datetime(2026, 5, 4, 9, tzinfo=UTC)
    first = await checked_in(client, tenant, rule_id)
    assert first.json()["paid"] == [{"part": "rule", "amount": 10}]
    clock.advance(timedelta(hours=14))
    again = await complete(client, tenant, rule_id)
    assert refused(again, "rule_already_completed") == "You have already completed this rule today"
    clock.advance(timedelta(hours=1))
    await checked_in(client, tenant, rule_id)
    assert await balance(client, tenant) == 20


async def test_without_enable_streaks_no_streak_is_kept(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(client, tenant, check_in(currency))
    await checked_in(client, tenant, rule_id)
    item = await streak_of(client, tenant, rule_id)
    assert item["streakCount"] == 0 and "id" not in item and item["expiresAt"] is None


async def test_verify_only_checks_in_nobody(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(client, tenant, streaky(currency, (1, 5)))
    verified = await complete(client, tenant, rule_id, verifyOnly=True)
    assert verified.status_code == 200, verified.text
    assert await balance(client, tenant) == 0
    assert (await checked_in(client, tenant, rule_id)).json()["paid"][-1]["amount"] == 5


# --- streaks --------------------------------------------------------------------------------


async def test_consecutive_days_make_a_streak_and_milestones_pay_once(
    client: AsyncClient, tenant: Tenant, currency: str, clock: Clock
) -> None:
    rule_id = await rule(client, tenant, streaky(currency, (2, 5), (3, 7.0)))
    clock.now = datetime(2026, 5, 4, 12, tzinfo=UTC)
    paid = []
    for _ in range(4):
        paid.append(bonuses(await checked_in(client, tenant, rule_id)))
        clock.advance(timedelta(days=1))
    assert paid == [[], [(2, 5)], [(3, 7)], []]
    assert await balance(client, tenant) == 4 * 10 + 5 + 7
    clock.advance(timedelta(hours=-1))
    item = await streak_of(client, tenant, rule_id)
    assert item["streakCount"] == 4
    assert item["milestone"] == [
        {"streakMilestone": 2, "streakAmount": 5},
        {"streakMilestone": 3, "streakAmount": 7},
    ]
    assert item["expiresAt"] == "2026-05-09T00:00:00Z"
    assert item["loyaltyRuleId"] == rule_id and item["walletAddress"] == wallet(1)
    assert item["id"] and item["createdAt"] and item["updatedAt"]


async def test_a_missed_day_breaks_the_streak_and_its_milestones_pay_again(
    client: AsyncClient, tenant: Tenant, currency: str, clock: Clock
) -> None:
    rule_id = await rule(client, tenant, streaky(currency, (2, 5)))
    clock.now = datetime(2026, 5, 4, 23, 59, tzinfo=UTC)
    await checked_in(client, tenant, rule_id)
    clock.now = datetime(2026, 5, 5, 0, 1, tzinfo=UTC)
    assert bonuses(await checked_in(client, tenant, rule_id)) == [(2, 5)]
    clock.now = datetime(2026, 5, 7, 0, 0, tzinfo=UTC)
    broken = await streak_of(client, tenant, rule_id)
    assert broken["streakCount"] == 0 and broken["milestone"] == []
    assert broken["expiresAt"] == "2026-05-07T00:00:00Z" and broken["id"]
    assert bonuses(await checked_in(client, tenant, rule_id)) == []
    assert (await streak_of(client, tenant, rule_id))["streakCount"] == 1
    clock.advance(timedelta(days=1))
    assert bonuses(await checked_in(client, tenant, rule_id)) == [(2, 5)]
    assert await balance(client, tenant) == 40 + 5 + 5


async def test_streak_days_are_local_days_across_spring_forward(
    client: AsyncClient, paris: Tenant, clock: Clock
) -> None:
    """Paris moves to summer time at 02:00 on 29 March 2026: that day has 23 hours, and
    the streak still ends at local midnight, not 48 hours after the last day began."""
    currency = await create_currency(client, paris)
    rule_id = await rule(client, paris, streaky(currency, (2, 3)))
    saturday, sunday, monday = date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30)
    clock.now = at(saturday, 12, PARIS)
    for n in (1, 2):
        await checked_in(client, paris, rule_id, n)
    assert (await streak_of(client, paris, rule_id))["expiresAt"] == "2026-03-29T22:00:00Z"
    clock.now = at(sunday, 23, PARIS, 59)  # 21:59 UTC
    assert bonuses(await checked_in(client, paris, rule_id, 1)) == [(2, 3)]
    clock.now = at(monday, 0, PARIS)  # 22:00 UTC on Sunday: Sunday was missed
    assert at(monday, 0, PARIS) == datetime(2026, 3, 29, 22, tzinfo=UTC)
    assert bonuses(await checked_in(client, paris, rule_id, 2)) == []
    one = await streak_of(client, paris, rule_id, 1)
    two = await streak_of(client, paris, rule_id, 2)
    assert (one["streakCount"], two["streakCount"]) == (2, 1)
    assert one["expiresAt"] == "2026-03-30T22:00:00Z"
    assert two["expiresAt"] == "2026-03-31T22:00:00Z"


async def test_streak_days_are_local_days_across_fall_back(
    client: AsyncClient, database: Database, clock: Clock
) -> None:
    """New York returns to standard time at 02:00 on 1 November 2026: a 25-hour day."""
    tenant = await create_tenant(database, time_zone=NEW_YORK)
    currency = await create_currency(client, tenant)
    rule_id = await rule(client, tenant, streaky(currency))
    clock.now = at(date(2026, 10, 31), 23, NEW_YORK, 30)
    await checked_in(client, tenant, rule_id)
    assert (await streak_of(client, tenant, rule_id))["expiresAt"] == "2026-11-02T05:00:00Z"
    clock.now = at(date(2026, 11, 1), 23, NEW_YORK, 59)  # 04:59 UTC on 2 November
    await checked_in(client, tenant, rule_id)
    item = await streak_of(client, tenant, rule_id)
    assert item["streakCount"] == 2 and item["expiresAt"] == "2026-11-03T05:00:00Z"
    clock.now = datetime(2026, 11, 3, 5, tzinfo=UTC)
    assert (await streak_of(client, tenant, rule_id))["streakCount"] == 0


async def test_weekly_monthly_and_custom_streaks(
    client: AsyncClient, tenant: Tenant, currency: str, clock: Clock
) -> None:
    weekly = await rule(client, tenant, streaky(currency, interval="weekly"))
    monthly = await rule(client, tenant, streaky(currency, interval="monthly"))
    every_3 = await rule(client, tenant, streaky(currency, interval="custom", customIntervalDays=3))
    # Sat 31 Jan (ISO week 5), Tue 3 Feb (week 6), Tue 17 Feb (week 8); 3-day periods
    # start on 31 Jan and 3 Feb, and 17 Feb is four periods after.
    moments = [datetime(2026, 1, 31, 12, tzinfo=UTC), datetime(2026, 2, 3, 12, tzinfo=UTC)]
    moments.append(datetime(2026, 2, 17, 12, tzinfo=UTC))
    counts = []
    for moment in moments:
        clock.now = moment
        for rule_id in (weekly, monthly, every_3):
            await complete(client, tenant, rule_id)
        counts.append(
            [
                (await streak_of(client, tenant, r))["streakCount"]
                for r in (weekly, monthly, every_3)
            ]
        )
    assert counts == [[1, 1, 1], [2, 2, 2], [1, 2, 1]]
    assert (await streak_of(client, tenant, monthly))["expiresAt"] == "2026-04-01T00:00:00Z"


async def test_a_bonus_above_the_currency_maximum_leaves_the_check_in_standing(
    client: AsyncClient, tenant: Tenant
) -> None:
    currency = await create_currency(client, tenant, maximumValue=12)
    rule_id = await rule(client, tenant, streaky(currency, (1, 5)))
    answer = await checked_in(client, tenant, rule_id)
    (bonus,) = [p for p in answer.json()["paid"] if p["part"] == "streak:1"]
    assert bonus["amount"] == 0 and bonus["refusal"] == "balance_above_maximum"
    assert await balance(client, tenant) == 10
    item = await streak_of(client, tenant, rule_id)
    assert item["streakCount"] == 1


async def test_bonuses_are_ledger_transactions_of_their_own_type(
    client: AsyncClient, tenant: Tenant
) -> None:
    currency = await create_currency(client, tenant, decimals=2)
    rule_id = await rule(client, tenant, streaky(currency, (1, 2.5)))
    await checked_in(client, tenant, rule_id)
    entries = await client.get(
        "/api/loyalty/transaction_entries",
        params={"loyaltyRuleId": rule_id},
        headers=tenant.headers,
    )
    kinds = sorted((e["loyaltyTransaction"]["type"], e["amount"]) for e in entries.json()["data"])
    assert kinds == [("loyalty_rule", 10), ("loyalty_rule_streak", 2.5)]


async def test_deleting_the_rule_with_its_points_takes_the_bonuses_back(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(client, tenant, streaky(currency, (1, 5)))
    await checked_in(client, tenant, rule_id)
    assert await balance(client, tenant) == 15
    deleted = await client.delete(
        f"{RULES}/{rule_id}", params={"debitLoyaltyPoints": "true"}, headers=tenant.headers
    )
    assert deleted.status_code == 200, deleted.text
    assert await balance(client, tenant) == 0


# --- rules that count as a check-in -----------------------------------------------------------


async def test_completing_a_named_rule_checks_in(
    client: AsyncClient, tenant: Tenant, currency: str, clock: Clock
) -> None:
    clock.now = datetime(2026, 6, 1, 8, tzinfo=UTC)
    purchase = await rule(client, tenant, external(currency, interval="unlimited", amount=1))
    other = await rule(client, tenant, external(currency, name="Other", interval="unlimited"))
    daily = await rule(client, tenant, streaky(currency, (2, 4), autoCheckInRuleIds=[purchase]))
    assert (await complete(client, tenant, other)).status_code == 200
    assert await balance(client, tenant) == 10
    for _ in range(2):
        assert (await complete(client, tenant, purchase)).status_code == 200
    assert await balance(client, tenant) == 10 + 2 + 10
    clock.advance(timedelta(days=1))
    await complete(client, tenant, purchase)
    assert await balance(client, tenant) == 10 + 3 + 20 + 4
    assert (await streak_of(client, tenant, daily))["streakCount"] == 2
    assert refused(await complete(client, tenant, daily), "rule_already_completed")


async def test_any_rule_checks_in_and_a_check_in_never_triggers_one(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    quest = await rule(client, tenant, external(currency, amount=1))
    plain = await rule(client, tenant, check_in(currency) | {"name": "Plain", "amount": 100})
    anything = await rule(client, tenant, check_in(currency, autoCheckInRuleIds=["any"]))
    await checked_in(client, tenant, plain)
    assert await balance(client, tenant) == 100
    await checked_in(client, tenant, quest)
    assert await balance(client, tenant) == 100 + 1 + 10
    assert refused(await complete(client, tenant, anything), "rule_already_completed")


async def test_a_check_in_rule_saved_later_is_seen_at_once(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    quest = await rule(client, tenant, external(currency, interval="unlimited", amount=1))
    await complete(client, tenant, quest)
    daily = await rule(client, tenant, check_in(currency))
    await complete(client, tenant, quest)
    assert await balance(client, tenant) == 2
    change = {"metadata": {"autoCheckInRuleIds": [quest]}}
    updated = await client.post(f"{RULES}/{daily}", json=change, headers=tenant.headers)
    assert updated.status_code == 200, updated.text
    await complete(client, tenant, quest)
    assert await balance(client, tenant) == 3 + 10
    deleted = await client.delete(f"{RULES}/{daily}", headers=tenant.headers)
    assert deleted.status_code == 200, deleted.text


async def test_events_that_complete_a_named_rule_check_in(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    quest = await rule(client, tenant, triggered(currency, {"event": "login"}, amount=1))
    await rule(client, tenant, check_in(currency, autoCheckInRuleIds=[quest]))
    await send(client, tenant, event("e1", "login"), event("e2", "login"))
    assert await balance(client, tenant) == 2 + 10


# --- refused check_in rules -------------------------------------------------------------------


async def rule_refused(client: AsyncClient, tenant: Tenant, body: dict[str, Any]) -> list[str]:
    response = await client.post(RULES, json=body, headers=tenant.headers)
    assert response.status_code == 400, response.text
    return sorted(e["field"] for e in response.json()["errors"])


async def test_bad_check_in_rules_are_refused_naming_every_field(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    before = (await client.get(RULES, headers=tenant.headers)).json()["data"]
    body = check_in(
        currency,
        streakArray=[{"streakMilestone": 2, "streakAmount": 1}] * 2,
        autoCheckInRuleIds=["any", "x"],
        isCheckInOnEveryTxn=True,
    )
    assert await rule_refused(client, tenant, body) == [
        "metadata.autoCheckInRuleIds",
        "metadata.autoCheckInRuleIds[1]",
        "metadata.enableStreaks",
        "metadata.isCheckInOnEveryTxn",
        "metadata.streakArray[1].streakMilestone",
    ]
    bad_values = check_in(
        currency,
        enableStreaks=True,
        streakArray=[{"streakMilestone": 0, "streakAmount": -1}],
        autoCheckInRuleIds=["nope", "nope"],
    )
    assert await rule_refused(client, tenant, bad_values) == [
        "metadata.autoCheckInRuleIds[0]",
        "metadata.autoCheckInRuleIds[1]",
        "metadata.autoCheckInRuleIds[1]",
        "metadata.streakArray[0].streakAmount",
        "metadata.streakArray[0].streakMilestone",
    ]
    assert await rule_refused(client, tenant, check_in(currency, interval="once")) == ["interval"]
    multiplier = check_in(currency) | {"rewardType": "multiplier"}
    assert "rewardType" in await rule_refused(client, tenant, multiplier)
    after = (await client.get(RULES, headers=tenant.headers)).json()["data"]
    assert after == before


async def test_what_a_check_in_rule_names_is_checked_when_saved(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    first = await rule(client, tenant, check_in(currency))
    body = check_in(currency, autoCheckInRuleIds=[first])
    assert await rule_refused(client, tenant, body) == ["metadata.autoCheckInRuleIds[0]"]
    assert await rule_refused(client, tenant, streaky(currency, (3, 1.5))) == [
        "metadata.streakArray[0].streakAmount"
    ]
    listed = (await client.get(RULES, headers=tenant.headers)).json()["data"]
    assert [r["id"] for r in listed] == [first]


# --- account streaks ----------------------------------------------------------------------------


async def test_account_streaks_of_one_user_have_an_item_per_rule(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    one = await rule(client, tenant, streaky(currency, (1, 1)))
    two = await rule(client, tenant, streaky(currency))
    await checked_in(client, tenant, one)
    response = await client.get(
        STREAKS,
        params={
            "loyaltyRuleId": [two, one],
            "walletAddress": wallet(1).upper().replace("0X", "0x"),
        },
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    empty, found = response.json()
    assert empty == {
        "loyaltyRuleId": two,
        "userId": found["userId"],
        "walletAddress": wallet(1),
        "streakCount": 0,
        "milestone": [],
        "expiresAt": None,
        "createdAt": None,
        "updatedAt": None,
    }
    assert found["streakCount"] == 1 and found["milestone"] == [
        {"streakMilestone": 1, "streakAmount": 1}
    ]
    by_id = await client.get(
        STREAKS, params={"loyaltyRuleId": one, "userId": found["userId"]}, headers=tenant.headers
    )
    assert by_id.json() == [found]
    nobody = await client.get(
        STREAKS, params={"loyaltyRuleId": one, "walletAddress": wallet(99)}, headers=tenant.headers
    )
    assert nobody.status_code == 200 and nobody.json() == []


async def test_account_streaks_of_every_user_page_by_id(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(client, tenant, streaky(currency))
    for n in range(1, 4):
        await checked_in(client, tenant, rule_id, n)
    params: dict[str, Any] = {"loyaltyRuleId": rule_id, "limit": 2}
    first = (await client.get(STREAKS, params=params, headers=tenant.headers)).json()
    params["startingAfter"] = first[-1]["id"]
    rest = (await client.get(STREAKS, params=params, headers=tenant.headers)).json()
    assert [s["walletAddress"] for s in first + rest] == [wallet(n) for n in range(1, 4)]
    assert len(first) == 2 and len(rest) == 1


async def test_account_streaks_refusals(
    client: AsyncClient, database: Database, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(client, tenant, streaky(currency))
    quest = await rule(client, tenant, external(currency))

    async def get(status: int, **params: Any) -> dict[str, Any]:
        response = await client.get(STREAKS, params=params, headers=tenant.headers)
        assert response.status_code == status, response.text
        return dict(response.json())

    def fields(answer: dict[str, Any]) -> list[str]:
        return sorted(e["field"] for e in answer["errors"])

    assert fields(await get(400)) == ["loyaltyRuleId"]
    assert fields(await get(400, loyaltyRuleId=rule_id, limit=1001)) == ["limit"]
    mixed = await get(400, loyaltyRuleId=[rule_id, quest], userId="u", startingAfter="x", limit=1)
    assert fields(mixed) == ["limit", "startingAfter"]
    assert fields(await get(400, loyaltyRuleId=rule_id, userGroupId="g")) == ["userGroupId"]
    assert (await get(404, loyaltyRuleId="nope"))["code"] == "rule_not_found"
    assert (await get(422, loyaltyRuleId=[rule_id, quest]))["code"] == "rule_not_check_in"
    other = await create_tenant(database)
    assert (await get(404, loyaltyRuleId=rule_id, websiteId=other.website_id))["code"] == (
        "website_not_found"
    )
    foreign = await client.get(STREAKS, params={"loyaltyRuleId": rule_id}, headers=other.headers)
    assert foreign.status_code == 404 and foreign.json()["code"] == "rule_not_found"
    wrong_org = await client.get(
        STREAKS,
        params={"loyaltyRuleId": rule_id, "organizationId": other.organization_id},
        headers=tenant.headers,
    )
    assert wrong_org.status_code == 403, wrong_org.text
    user_id = (await checked_in(client, tenant, rule_id)).json()["userId"]
    mismatch = await client.get(
        STREAKS,
        params={"loyaltyRuleId": rule_id, "userId": user_id, "walletAddress": wallet(2)},
        headers=tenant.headers,
    )
    assert mismatch.status_code == 200 and mismatch.json() == []
    assert (await client.delete(f"{RULES}/{rule_id}", headers=tenant.headers)).status_code == 200
    assert (await get(404, loyaltyRuleId=rule_id))["code"] == "rule_not_found"


# --- pure logic --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "days"), [("daily", None), ("weekly", None), ("monthly", None), ("custom", 3)]
)
def test_streak_periods_read_the_pipelines_period_keys(interval: str, days: int | None) -> None:
    zone = ZoneInfo(PARIS)
    moment = datetime(2026, 3, 28, 12, tzinfo=UTC)
    keys = []
    for _ in range(70):
        keys.append(period_key(interval, moment, zone, unique="", custom_days=days))
        moment += timedelta(days=1)
    distinct = list(dict.fromkeys(keys))
    assert all(logic.follows(a, b) for a, b in pairwise(distinct))
    assert not any(logic.follows(a, c) for a, c in zip(distinct, distinct[2:], strict=False))
    for i, key in enumerate(distinct[:-2]):
        ends = logic.expiry(key, zone)
        assert period_key(interval, ends, zone, unique="", custom_days=days) == distinct[i + 2]
        before = ends - timedelta(microseconds=1)
        assert period_key(interval, before, zone, unique="", custom_days=days) == distinct[i + 1]


def test_a_check_in_in_the_same_period_changes_nothing() -> None:
    state = logic.checked_in(None, "d:2026-03-28")
    assert logic.checked_in(state, "d:2026-03-28") is state
    assert logic.checked_in(state, "w:2026-W14") == logic.StreakState(1, "w:2026-W14", "w:2026-W14")
    with pytest.raises(ValueError, match="no streak"):
        logic.Period.of("u:x")


# --- PostgreSQL: real parallel requests ----------------------------------------------------------


@postgres_only
async def test_ten_parallel_check_ins_of_one_user_check_in_once(
    client: AsyncClient, tenant: Tenant, currency: str, urls: list[str]
) -> None:
    rule_id = await rule(client, tenant, streaky(currency, (1, 5)))
    body = {"walletAddress": wallet(7)}
    outcomes = await burst(urls, tenant, f"{RULES}/{rule_id}/complete", [body] * 10)
    assert outcomes == Counter({(200, "completed"): 1, (422, "rule_already_completed"): 9})
    assert await balance(client, tenant, 7) == 15
    item = await streak_of(client, tenant, rule_id, 7)
    assert item["streakCount"] == 1 and len(item["milestone"]) == 1


@postgres_only
async def test_parallel_completions_that_count_as_check_ins_check_in_once(
    client: AsyncClient, database: Database, tenant: Tenant, currency: str, urls: list[str]
) -> None:
    """Completions of a rule that counts as a check-in, in parallel with check-ins of the
    same user: no deadlock (the batches lock their users first), and one check-in."""
    quest = await rule(client, tenant, external(currency, interval="unlimited", amount=1))
    daily = await rule(client, tenant, streaky(currency, autoCheckInRuleIds=[quest]))
    body = {"walletAddress": wallet(8)}
    paths = [f"{RULES}/{quest}/complete", f"{RULES}/{daily}/complete"]
    answers = await asyncio.gather(*(burst(urls, tenant, path, [body] * 10) for path in paths))
    assert answers[0] == Counter({(200, "completed"): 10})
    assert sum(answers[1].values()) == 10 and set(answers[1]) <= {
        (200, "completed"),
        (422, "rule_already_completed"),
    }
    assert await balance(client, tenant, 8) == 10 * 1 + 10
    assert (await streak_of(client, tenant, daily, 8))["streakCount"] == 1
