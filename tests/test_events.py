"""Events (``POST /api/loyalty/events``) and the rules they trigger: validation of batches,
duplicates, completions and progress by events, conditions on event data (the pure
matcher too), users named three ways, triggers on rules; and, on PostgreSQL, the same
batch sent twice at once to two processes pays once."""

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from httpx import AsyncClient, Response
from hypothesis import given
from hypothesis import strategies as st

from loyalty.db import Database
from loyalty.engine.conditions import (
    MAX_CONDITIONS,
    OPERATORS,
    Condition,
    Group,
    Scalar,
    holds,
    matches,
    parse,
    to_json,
)
from loyalty.engine.events import Trigger, progress_step
from loyalty.rules.checks import validate
from tests.servers import LIMITS, TIMEOUT
from tests.support import Tenant, create_currency, create_tenant, wallet

EVENTS = "/api/loyalty/events"
RULES = "/api/loyalty/rules"
WHEN = "2026-03-01T12:00:00+01:00"


def event(event_id: str, name: str = "purchase", n: int = 1, **data: Any) -> dict[str, Any]:
    return {
        "id": event_id,
        "name": name,
        "walletAddress": wallet(n),
        "timestamp": WHEN,
        "data": data,
    }


def triggered(currency: str, trigger: dict[str, Any], **fields: Any) -> dict[str, Any]:
    metadata = {"trigger": trigger, **fields.pop("metadata", {})}
    return {
        "name": "Bought something",
        "type": "external_rule",
        "frequency": "none",
        "interval": "unlimited",
        "claimType": "auto",
        "startTime": None,
        "amount": 10,
        "loyaltyCurrencyId": currency,
        "metadata": metadata,
        **fields,
    }


async def rule(client: AsyncClient, tenant: Tenant, body: dict[str, Any]) -> str:
    response = await client.post(RULES, json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def send(
    client: AsyncClient, tenant: Tenant, *events: dict[str, Any], expect: int = 200
) -> list[dict[str, Any]]:
    response = await client.post(EVENTS, json={"events": list(events)}, headers=tenant.headers)
    assert response.status_code == expect, response.text
    data: list[dict[str, Any]] = response.json().get("data", [])
    return data


async def balance(client: AsyncClient, tenant: Tenant, **who: str) -> float:
    response = await client.get("/api/loyalty/accounts", params=who, headers=tenant.headers)
    data = response.json()["data"]
    return float(data[0]["amount"]) if data else 0


def fields(response: Response) -> set[str]:
    assert response.status_code == 400, response.text
    return {e["field"] for e in response.json()["errors"]}


@pytest.fixture
async def currency(client: AsyncClient, tenant: Tenant) -> str:
    return await create_currency(client, tenant)


# ---------------------------------------------------------------------------- validation


async def test_every_bad_field_of_every_event_is_listed(
    client: AsyncClient, tenant: Tenant
) -> None:
    body = {
        "colour": "red",
        "events": [
            event("ok"),
            {"name": "", "timestamp": "2026-03-01T12:00:00", "data": {"colour": ["red"]}},
            {
                "id": "x" * 256,
                "name": "purchase",
                "userId": "u",
                "walletAddress": wallet(1),
                "timestamp": "yesterday",
                "data": {"note": "y" * 1025, "ok": 1, "inf": 1e400, "nothing": None},
                "extra": 1,
            },
            "not an event",
            {**event("z"), "data": {f"k{n}": n for n in range(101)}},
            {**event("w"), "externalId": 42, "walletAddress": None, "data": []},
        ],
    }
    # JSON has no infinity, but Python's parser reads the literal: it must be refused.
    headers = {**tenant.headers, "content-type": "application/json"}
    response = await client.post(EVENTS, content=json.dumps(body), headers=headers)
    assert fields(response) == {
        "colour",
        "events[1].id",
        "events[1].name",
        "events[1].userId",
        "events[1].timestamp",
        "events[1].data.colour",
        "events[2].id",
        "events[2].walletAddress",
        "events[2].timestamp",
        "events[2].data.note",
        "events[2].data.inf",
        "events[2].data.nothing",
        "events[2].extra",
        "events[3]",
        "events[4].data",
        "events[5].externalId",
        "events[5].data",
    }


@pytest.mark.parametrize(
    ("events", "message"),
    [
        (None, "is required"),
        ({}, "must be a list"),
        ([], "must have at least 1 event"),
        ([event(str(n)) for n in range(1001)], "must have at most 1000 events"),
    ],
)
async def test_the_batch_holds_one_to_a_thousand_events(
    client: AsyncClient, tenant: Tenant, events: Any, message: str
) -> None:
    body = {} if events is None else {"events": events}
    response = await client.post(EVENTS, json=body, headers=tenant.headers)
    assert fields(response) == {"events"}
    assert response.json()["errors"][0]["message"].startswith(message)


async def test_an_unknown_user_id_refuses_the_batch_and_records_nothing(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    await rule(client, tenant, triggered(currency, {"event": "purchase"}))
    stranger = {**event("e2"), "walletAddress": None, "userId": "no-such-user"}
    response = await client.post(
        EVENTS, json={"events": [event("e1"), stranger]}, headers=tenant.headers
    )
    assert fields(response) == {"events[1].userId"}
    assert await balance(client, tenant, walletAddress=wallet(1)) == 0
    (again,) = await send(client, tenant, event("e1"))
    assert again["status"] == "processed"


async def test_a_key_of_another_organization_cannot_post_to_this_website(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    other = await create_tenant(database)
    body = {"websiteId": tenant.website_id, "events": [event("e1")]}
    response = await client.post(EVENTS, json=body, headers=other.headers)
    assert response.status_code == 404, response.text


# ---------------------------------------------------------------------------- earning


async def test_an_event_completes_an_auto_rule_and_pays_it(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(
        client, tenant, triggered(currency, {"event": "purchase"}, interval="once")
    )
    (first,) = await send(client, tenant, event("order-1"))
    assert first == {
        "id": "order-1",
        "status": "processed",
        "earned": [{"loyaltyRuleId": rule_id, "status": "completed", "amount": 10}],
    }
    assert await balance(client, tenant, walletAddress=wallet(1)) == 10
    (second,) = await send(client, tenant, event("order-2"))
    assert second["earned"] == [
        {
            "loyaltyRuleId": rule_id,
            "status": "failed",
            "message": "You have already completed this rule",
        }
    ]
    assert await balance(client, tenant, walletAddress=wallet(1)) == 10
    # The events answer is their record: no completion requests are listed for them.
    statuses = await client.get(
        f"{RULES}/status", params={"loyaltyRuleId": rule_id}, headers=tenant.headers
    )
    assert statuses.json()["data"] == []
    entries = await client.get(
        "/api/loyalty/transaction_entries",
        params={"loyaltyRuleId": rule_id},
        headers=tenant.headers,
    )
    assert [e["amount"] for e in entries.json()["data"]] == [10]


async def test_amounts_are_in_the_currency_units(client: AsyncClient, tenant: Tenant) -> None:
    cents = await create_currency(client, tenant, name="Cash", symbol="USD", decimals=2)
    await rule(client, tenant, triggered(cents, {"event": "purchase"}, amount=2.5))
    (result,) = await send(client, tenant, event("e1"))
    assert result["earned"][0]["amount"] == 2.5
    assert await balance(client, tenant, walletAddress=wallet(1)) == 2.5


async def test_the_same_batch_twice_pays_once(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    await rule(client, tenant, triggered(currency, {"event": "purchase"}))
    batch = [event("a", n=1), event("b", n=2), event("c", n=1)]
    first = await send(client, tenant, *batch)
    assert [(r["id"], r["status"], len(r["earned"])) for r in first] == [
        ("a", "processed", 1),
        ("b", "processed", 1),
        ("c", "processed", 1),
    ]
    second = await send(client, tenant, *batch)
    assert second == [{"id": i, "status": "duplicate", "earned": []} for i in "abc"]
    assert await balance(client, tenant, walletAddress=wallet(1)) == 20
    assert await balance(client, tenant, walletAddress=wallet(2)) == 10


async def test_an_id_twice_in_one_batch_counts_once(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    await rule(client, tenant, triggered(currency, {"event": "purchase"}))
    results = await send(client, tenant, event("a"), event("b"), event("a"))
    assert [r["status"] for r in results] == ["processed", "processed", "duplicate"]
    assert await balance(client, tenant, walletAddress=wallet(1)) == 20


async def test_events_of_other_names_trigger_nothing(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    await rule(client, tenant, triggered(currency, {"event": "purchase"}))
    (result,) = await send(client, tenant, event("e1", name="refund"))
    assert result == {"id": "e1", "status": "processed", "earned": []}
    assert await balance(client, tenant, walletAddress=wallet(1)) == 0


async def test_rules_outside_their_time_window_or_deleted_ignore_events(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    later = triggered(currency, {"event": "purchase"}, startTime="2999-01-01T00:00:00Z")
    await rule(client, tenant, later)
    gone = await rule(client, tenant, triggered(currency, {"event": "purchase"}))
    deleted = await client.delete(f"{RULES}/{gone}", headers=tenant.headers)
    assert deleted.status_code == 200, deleted.text
    (result,) = await send(client, tenant, event("e1"))
    assert result["earned"] == []


async def test_a_blocked_user_is_refused_in_the_events_result(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(client, tenant, triggered(currency, {"event": "purchase"}))
    blocked = await client.post(
        "/api/users/metadatas",
        json={"walletAddress": wallet(2), "isBlocked": True},
        headers=tenant.headers,
    )
    assert blocked.status_code == 200, blocked.text
    results = await send(client, tenant, event("e1", n=2), event("e2", n=1))
    assert results[0]["earned"] == [
        {"loyaltyRuleId": rule_id, "status": "failed", "message": "This user is blocked"}
    ]
    assert results[1]["earned"][0]["status"] == "completed"


CONDITIONS = {
    "all": [
        {"field": "total", "operator": "gte", "value": 50},
        {
            "any": [
                {"field": "country", "operator": "in", "value": ["FR", "DE"]},
                {"field": "vip", "operator": "eq", "value": True},
            ]
        },
    ]
}


async def test_conditions_all_and_any(client: AsyncClient, tenant: Tenant, currency: str) -> None:
    rule_id = await rule(
        client, tenant, triggered(currency, {"event": "purchase", "conditions": CONDITIONS})
    )
    results = await send(
        client,
        tenant,
        event("fr", total=60, country="FR"),
        event("vip", total=50, country="US", vip=True),
        event("small", total=40, country="FR"),
        event("us", total=60, country="US", vip=False),
        event("none"),
    )
    earned = {r["id"]: [e["loyaltyRuleId"] for e in r["earned"]] for r in results}
    assert earned == {"fr": [rule_id], "vip": [rule_id], "small": [], "us": [], "none": []}
    assert await balance(client, tenant, walletAddress=wallet(1)) == 20


async def test_one_event_may_trigger_several_rules(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    big = {"all": [{"field": "total", "operator": "gt", "value": 100}]}
    every = await rule(client, tenant, triggered(currency, {"event": "purchase"}))
    large = await rule(
        client, tenant, triggered(currency, {"event": "purchase", "conditions": big}, amount=50)
    )
    small, huge = await send(client, tenant, event("s", total=5), event("h", total=500))
    assert [e["loyaltyRuleId"] for e in small["earned"]] == [every]
    assert [(e["loyaltyRuleId"], e["amount"]) for e in huge["earned"]] == [
        (every, 10),
        (large, 50),
    ]


async def test_progress_advances_by_a_data_field(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    trigger = {"event": "walk", "progressFrom": "steps"}
    rule_id = await rule(
        client, tenant, triggered(currency, trigger, metadata={"trackProgress": True})
    )
    results = await send(
        client,
        tenant,
        event("a", "walk", steps=30),
        event("b", "walk", steps=50.0),
        event("c", "walk", steps=40),
        event("d", "walk", steps="many"),
        event("e", "walk"),
        event("f", "walk", steps=2.5),
    )
    assert [r["earned"] for r in results] == [
        [{"loyaltyRuleId": rule_id, "status": "progressed", "progress": 30}],
        [{"loyaltyRuleId": rule_id, "status": "progressed", "progress": 80}],
        [{"loyaltyRuleId": rule_id, "status": "progressed", "progress": 100}],
        [
            {
                "loyaltyRuleId": rule_id,
                "status": "failed",
                "message": "data.steps must be a number: it gives the progress to add",
            }
        ],
        [
            {
                "loyaltyRuleId": rule_id,
                "status": "failed",
                "message": "data.steps is missing: it gives the progress to add",
            }
        ],
        [
            {
                "loyaltyRuleId": rule_id,
                "status": "failed",
                "message": "data.steps must be a whole number: progress counts in whole steps",
            }
        ],
    ]
    # Progress never rewards by itself: the claim does.
    assert await balance(client, tenant, walletAddress=wallet(1)) == 0
    claimed = await client.post(
        f"{RULES}/{rule_id}/complete", json={"walletAddress": wallet(1)}, headers=tenant.headers
    )
    assert claimed.status_code == 200, claimed.text
    assert await balance(client, tenant, walletAddress=wallet(1)) == 10


async def test_progress_advances_by_one_without_progress_from(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    ranges = [{"startRange": 2, "endRange": 2, "amount": 5}]
    ranges.append({"startRange": 3, "endRange": 3, "amount": 5})
    body = triggered(
        currency,
        {"event": "check_in"},
        claimType="manual",
        metadata={"trackProgress": True, "progressType": "counter", "range": ranges},
    )
    del body["amount"]
    rule_id = await rule(client, tenant, body)
    results = await send(client, tenant, *(event(f"c{n}", "check_in") for n in range(4)))
    assert [r["earned"][0]["progress"] for r in results] == [1, 2, 3, 3]
    statuses = await client.get(
        "/api/loyalty/rule_statuses", params={"loyaltyRuleId": rule_id}, headers=tenant.headers
    )
    assert [s["progress"] for s in statuses.json()["data"]] == [3]


# ---------------------------------------------------------------------------- users


async def test_users_named_by_wallet_external_id_or_user_id(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    await rule(client, tenant, triggered(currency, {"event": "purchase"}))
    by_external = {**event("x1"), "walletAddress": None, "externalId": "customer-7"}
    await send(client, tenant, by_external, {**by_external, "id": "x2"})
    accounts = await client.get(
        "/api/loyalty/accounts",
        params={"externalIdentifier": "customer-7"},
        headers=tenant.headers,
    )
    (account,) = accounts.json()["data"]
    assert account["amount"] == 20
    user_id = account["userId"]
    by_id = {**event("x3"), "walletAddress": None, "userId": user_id}
    await send(client, tenant, by_id)
    assert await balance(client, tenant, userId=user_id) == 30
    evm = wallet(9).upper().replace("0X", "0x")
    await send(client, tenant, {**event("x4"), "walletAddress": evm})
    assert await balance(client, tenant, walletAddress=wallet(9)) == 10


# ---------------------------------------------------------------------------- rule triggers


def errors_of(trigger: Any, **fields: Any) -> dict[str, str]:
    body = {
        "name": "r",
        "type": "external_rule",
        "frequency": "none",
        "startTime": None,
        "loyaltyCurrencyId": "c",
        "amount": 1,
        "claimType": "auto",
        "metadata": {"trigger": trigger},
        **fields,
    }
    draft, _ = validate(body)
    return {e.field: e.message for e in draft.errors}


def test_a_valid_trigger_passes() -> None:
    assert errors_of({"event": "purchase", "conditions": CONDITIONS}) == {}
    assert errors_of({"event": "purchase", "conditions": None, "progressFrom": None}) == {}
    progress = {"event": "walk", "progressFrom": "steps"}
    assert errors_of(progress, claimType="manual", trackProgress=True) == {}


def test_every_problem_of_a_trigger_has_its_path() -> None:
    trigger = {
        "event": "",
        "colour": 1,
        "progressFrom": "steps",
        "conditions": {
            "all": [
                {"field": "a", "operator": "bogus", "value": 1},
                {"field": "", "operator": "gt", "value": "ten"},
                {"any": [{"all": [{"any": [{"field": "x", "operator": "exists"}]}]}]},
                {"field": "c", "operator": "in", "value": [1, None]},
                {"operator": "contains", "value": "", "extra": 1},
                {"all": [], "field": "x"},
                {"all": [], "any": []},
                "text",
                {"field": "e", "operator": "exists", "value": "yes"},
                {"field": "n", "operator": "eq"},
            ]
        },
    }
    errors = errors_of(trigger, claimType="manual")
    c = "metadata.trigger.conditions.all"
    assert errors == {
        "metadata.trigger.event": "String should have at least 1 character",
        "metadata.trigger.colour": "is not a field of this rule",
        "metadata.trigger.progressFrom": "needs trackProgress",
        "metadata.trigger": "an event completes the rule only with claimType auto; set "
        "claimType auto, or trackProgress to have events advance progress",
        f"{c}[0].operator": f"must be one of {', '.join(OPERATORS)}",
        f"{c}[1].field": "must not be empty",
        f"{c}[1].value": "must be a number for gt",
        f"{c}[2].any[0].all[0]": "condition groups nest at most 3 deep",
        f"{c}[3].value[1]": "must be a string, a number or a boolean",
        f"{c}[4].field": "is required",
        f"{c}[4].value": "must be a non-empty string for contains",
        f"{c}[4].extra": "is not a field of a condition",
        f"{c}[5].field": "is not a field of a condition group",
        f"{c}[5].all": "must not be empty",
        f"{c}[6]": "give all or any, not both",
        f"{c}[7]": "must be a condition {field, operator, value} or a group {all | any}",
        f"{c}[8].value": "must be true or false for exists (or left out: true)",
        f"{c}[9].value": "is required for eq",
    }


def test_a_trigger_holds_at_most_twenty_conditions() -> None:
    many = {"any": [{"field": f"f{n}", "operator": "exists"} for n in range(MAX_CONDITIONS + 1)]}
    assert errors_of({"event": "e", "conditions": many}) == {
        "metadata.trigger.conditions": "has 21 conditions; at most 20 are allowed"
    }
    assert errors_of({"event": "e", "conditions": {"any": many["any"][:-1]}}) == {}


@pytest.mark.parametrize(
    ("trigger", "path"),
    [
        ("purchase", "metadata.trigger"),
        ({}, "metadata.trigger.event"),
        ({"event": "e", "conditions": []}, "metadata.trigger.conditions"),
        ({"event": "e", "conditions": {"all": {}}}, "metadata.trigger.conditions.all"),
        ({"event": "e" * 256}, "metadata.trigger.event"),
        ({"event": "e", "progressFrom": ""}, "metadata.trigger.progressFrom"),
    ],
)
def test_trigger_shapes(trigger: Any, path: str) -> None:
    assert path in errors_of(trigger, trackProgress=True)


async def test_the_api_refuses_a_bad_trigger_and_stores_a_good_one(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    bad = triggered(currency, {"event": "e", "conditions": {"any": [{"field": "a"}]}})
    response = await client.post(RULES, json=bad, headers=tenant.headers)
    assert fields(response) == {"metadata.trigger.conditions.any[0].operator"}
    good = triggered(currency, {"event": "purchase", "conditions": CONDITIONS})
    created = await client.post(RULES, json=good, headers=tenant.headers)
    assert created.status_code == 201, created.text
    assert created.json()["metadata"]["trigger"] == {
        "event": "purchase",
        "conditions": CONDITIONS,
    }


# ---------------------------------------------------------------------------- pure


def cond(name: str, operator: str, value: Any = None) -> Condition:
    return Condition(name, operator, tuple(value) if isinstance(value, list) else value)


DATA: dict[str, Scalar] = {"total": 60, "price": 9.5, "country": "FR", "vip": True, "note": "gift"}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (cond("total", "eq", 60), True),
        (cond("total", "eq", 60.0), True),
        (cond("total", "eq", "60"), False),
        (cond("vip", "eq", True), True),
        (cond("vip", "eq", 1), False),
        (cond("total", "ne", 61), True),
        (cond("missing", "ne", 1), True),
        (cond("total", "gt", 59), True),
        (cond("total", "gt", 60), False),
        (cond("total", "gte", 60), True),
        (cond("price", "lt", 10), True),
        (cond("price", "lte", 9.5), True),
        (cond("country", "gt", 1), False),
        (cond("vip", "gt", 0), False),
        (cond("missing", "lt", 1), False),
        (cond("country", "in", ["FR", "DE"]), True),
        (cond("country", "in", ["fr"]), False),
        (cond("country", "not_in", ["DE"]), True),
        (cond("missing", "not_in", ["DE"]), True),
        (cond("missing", "in", ["DE"]), False),
        (cond("note", "contains", "if"), True),
        (cond("note", "contains", "GIFT"), False),
        (cond("total", "contains", "6"), False),
        (cond("note", "exists"), True),
        (cond("note", "exists", True), True),
        (cond("note", "exists", False), False),
        (cond("missing", "exists", False), True),
        (cond("missing", "exists"), False),
    ],
)
def test_operators(condition: Condition, expected: bool) -> None:
    assert holds(condition, DATA) is expected


def test_nested_groups() -> None:
    group, problems = parse(CONDITIONS)
    assert problems == [] and group is not None
    assert matches(group, {"total": 50, "vip": True})
    assert matches(group, {"total": 99, "country": "DE"})
    assert not matches(group, {"total": 49, "country": "DE"})
    assert not matches(group, {"total": 50, "country": "US", "vip": False})
    assert matches(None, {})


# Strings as data holds them: no NUL characters (PostgreSQL cannot store them in JSON).
CHARACTERS = st.characters(exclude_characters="\x00")
SCALARS = st.one_of(
    st.text(CHARACTERS, max_size=5),
    st.integers(-5, 5),
    st.floats(-5, 5, allow_nan=False),
    st.booleans(),
)
NAMES = st.sampled_from(["a", "b", "c"])
DATAS = st.dictionaries(NAMES, SCALARS, max_size=3)


def _value(operator: str) -> st.SearchStrategy[Any]:
    if operator in ("gt", "gte", "lt", "lte"):
        return st.one_of(st.integers(-5, 5), st.floats(-5, 5, allow_nan=False))
    if operator in ("in", "not_in"):
        return st.lists(SCALARS, min_size=1, max_size=3).map(tuple)
    if operator == "contains":
        return st.text(CHARACTERS, min_size=1, max_size=2)
    if operator == "exists":
        return st.sampled_from([None, True, False])
    return SCALARS


CONDITIONS_ST = st.sampled_from(OPERATORS).flatmap(
    lambda op: st.builds(Condition, NAMES, st.just(op), _value(op))
)


def _groups(items: st.SearchStrategy[Any]) -> st.SearchStrategy[Group]:
    return st.builds(
        Group,
        st.sampled_from(["all", "any"]),
        st.lists(items, min_size=1, max_size=3).map(tuple),
    )


# Up to MAX_DEPTH groups deep.
GROUPS = _groups(
    st.one_of(CONDITIONS_ST, _groups(st.one_of(CONDITIONS_ST, _groups(CONDITIONS_ST))))
)


@given(condition=CONDITIONS_ST, data=DATAS)
def test_negations_are_exact(condition: Condition, data: dict[str, Scalar]) -> None:
    negated = {"eq": "ne", "ne": "eq", "in": "not_in", "not_in": "in"}.get(condition.operator)
    if negated is not None:
        flipped = Condition(condition.field, negated, condition.value)
        assert holds(flipped, data) is not holds(condition, data)


@given(group=GROUPS, data=DATAS)
def test_groups_combine_their_items(group: Group, data: dict[str, Scalar]) -> None:
    results = [matches(i, data) if isinstance(i, Group) else holds(i, data) for i in group.items]
    assert matches(group, data) is (all(results) if group.mode == "all" else any(results))


@given(group=GROUPS)
def test_json_round_trip(group: Group) -> None:
    parsed, problems = parse(to_json(group))
    if sum(1 for _ in _conditions(group)) > MAX_CONDITIONS:
        assert problems
    else:
        assert problems == [] and parsed == group


def _conditions(group: Group) -> Iterator[Condition]:
    for item in group.items:
        if isinstance(item, Group):
            yield from _conditions(item)
        else:
            yield item


@pytest.mark.parametrize(
    ("data", "step"),
    [
        ({"n": 3}, 3),
        ({"n": 3.0}, 3),
        ({"n": -2}, -2),
        ({"n": True}, "data.n must be a number: it gives the progress to add"),
        ({}, "data.n is missing: it gives the progress to add"),
    ],
)
def test_progress_step(data: dict[str, Scalar], step: int | str) -> None:
    assert progress_step(Trigger("e", None, "n"), data) == step
    assert progress_step(Trigger("e", None, None), data) == 1


# ---------------------------------------------------------------------------- PostgreSQL


async def test_the_same_batch_sent_twice_at_once_credits_once(
    client: AsyncClient, tenant: Tenant, currency: str, urls: list[str]
) -> None:
    await rule(client, tenant, triggered(currency, {"event": "purchase"}))
    batch = [
        {**event(f"order-{n}", n=n % 10), **({"externalId": f"c{n % 7}"} if n % 3 == 0 else {})}
        for n in range(100)
    ]
    for item in batch:
        if "externalId" in item:
            del item["walletAddress"]
    async with (
        AsyncClient(base_url=urls[0], timeout=TIMEOUT, limits=LIMITS) as one,
        AsyncClient(base_url=urls[-1], timeout=TIMEOUT, limits=LIMITS) as two,
    ):
        answers = await asyncio.gather(
            *(c.post(EVENTS, json={"events": batch}, headers=tenant.headers) for c in (one, two))
        )
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    statuses: Counter[tuple[str, str]] = Counter()
    paid = 0
    for answer in answers:
        for result in answer.json()["data"]:
            statuses[(result["id"], result["status"])] += 1
            paid += sum(e["amount"] for e in result["earned"] if e["status"] == "completed")
    assert all(
        statuses[(f"order-{n}", "processed")] == 1 and statuses[(f"order-{n}", "duplicate")] == 1
        for n in range(100)
    ), statuses
    assert paid == 1000
    accounts = await client.get(
        "/api/loyalty/accounts",
        params={"loyaltyCurrencyId": currency, "limit": 100},
        headers=tenant.headers,
    )
    assert sum(a["amount"] for a in accounts.json()["data"]) == 1000


async def test_overlapping_batches_in_parallel_process_each_event_once(
    client: AsyncClient, tenant: Tenant, currency: str, urls: list[str]
) -> None:
    """Batches sharing events and users, in different orders, sent at once: no deadlock,
    and every event is processed by exactly one of them."""
    await rule(client, tenant, triggered(currency, {"event": "purchase"}))
    walk = {"event": "walk", "progressFrom": "steps"}
    await rule(client, tenant, triggered(currency, walk, metadata={"trackProgress": True}))
    pool = [event(f"e{n}", n=n % 8) for n in range(60)]
    pool += [event(f"w{n}", "walk", n=n % 8, steps=1) for n in range(40)]
    batches = [[pool[(start + 7 * k) % 100] for k in range(40)] for start in range(12)]
    for number, batch in enumerate(batches):
        if number % 2:
            batch.reverse()
    async with (
        AsyncClient(base_url=urls[0], timeout=TIMEOUT, limits=LIMITS) as one,
        AsyncClient(base_url=urls[-1], timeout=TIMEOUT, limits=LIMITS) as two,
    ):
        answers = await asyncio.gather(
            *(
                (one, two)[n % 2].post(EVENTS, json={"events": b}, headers=tenant.headers)
                for n, b in enumerate(batches)
            )
        )
    assert [a.status_code for a in answers] == [200] * len(batches), [a.text for a in answers]
    processed = Counter(
        r["id"] for a in answers for r in a.json()["data"] if r["status"] == "processed"
    )
    sent = {item["id"] for batch in batches for item in batch}
    assert processed == Counter(dict.fromkeys(sent, 1))
    purchases = sum(1 for i in sent if i.startswith("e"))
    accounts = await client.get(
        "/api/loyalty/accounts",
        params={"loyaltyCurrencyId": currency, "limit": 100},
        headers=tenant.headers,
    )
    assert sum(a["amount"] for a in accounts.json()["data"]) == 10 * purchases
    statuses = await client.get(
        "/api/loyalty/rule_statuses", params={"limit": 100}, headers=tenant.headers
    )
    walked = sum(1 for i in sent if i.startswith("w"))
    assert sum(s["progress"] for s in statuses.json()["data"]) == walked
