"""Rule chains: prerequisites a rule lists (``loyaltyRuleChain``), checked by the earning
pipeline; their validation, how rules show them, and ``GET /api/loyalty/rule_chains``."""

from typing import Any

import pytest
from httpx import AsyncClient, Response

from loyalty.badges.service import create_badge
from loyalty.db import Database
from loyalty.tenancy import repository as tenancy_repository
from tests.support import (
    RULES,
    Tenant,
    balance,
    complete,
    create_currency,
    create_tenant,
    credit,
    rule,
    transact,
    wallet,
)

CHAINS = "/api/loyalty/rule_chains"


def external(currency: str, name: str = "Bought a ticket", **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": "external_rule",
        "frequency": "none",
        "interval": "once",
        "startTime": None,
        "amount": 10,
        "loyaltyCurrencyId": currency,
        "metadata": {},
        **fields,
    }


def chain(*conditions: dict[str, Any], name: str = "Before") -> list[dict[str, Any]]:
    return [{"name": name, "loyaltyConditions": list(conditions)}]


def after(rule_id: str, **fields: Any) -> dict[str, Any]:
    return {"type": "rule", "association": [{"loyaltyRuleId": rule_id}], **fields}


async def create(client: AsyncClient, tenant: Tenant, body: dict[str, Any]) -> Response:
    return await client.post(RULES, json=body, headers=tenant.headers)


def refused(response: Response) -> str:
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "rule_chain_unmet", response.text
    return str(response.json()["message"])


def errors(response: Response) -> dict[str, str]:
    assert response.status_code == 400, response.text
    return {e["field"]: e["message"] for e in response.json()["errors"]}


async def new_badge(database: Database, tenant: Tenant, name: str) -> str:
    async with database.writing() as session:
        website = await tenancy_repository.website_in_organization(
            session, tenant.organization_id, tenant.website_id
        )
        assert website is not None
        return (await create_badge(session, website, name=name)).id


async def reward(client: AsyncClient, tenant: Tenant, badge: str, n: int = 1) -> None:
    response = await client.post(
        f"/api/loyalty/badges/{badge}/reward",
        json={"walletAddress": wallet(n)},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text


async def new_group(client: AsyncClient, tenant: Tenant, name: str) -> str:
    response = await client.post(
        "/api/loyalty/rule_groups/create",
        json={"name": name, "websiteId": tenant.website_id},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.fixture
async def currency(client: AsyncClient, tenant: Tenant) -> str:
    return await create_currency(client, tenant)


async def test_a_rule_waits_for_its_prerequisite(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    welcome = await rule(client, tenant, external(currency, "Welcome quest"))
    chained = await rule(
        client,
        tenant,
        external(currency, "Second quest", amount=5, loyaltyRuleChain=chain(after(welcome))),
    )
    assert (
        refused(await complete(client, tenant, chained))
        == "Complete \u201cWelcome quest\u201d first"
    )
    assert await balance(client, tenant) == 0
    statuses = await client.get(
        "/api/loyalty/rules/status", params={"loyaltyRuleId": chained}, headers=tenant.headers
    )
    assert [s["status"] for s in statuses.json()["data"]] == ["failed"]
    assert (await complete(client, tenant, welcome)).status_code == 200
    paid = await complete(client, tenant, chained)
    assert paid.status_code == 200, paid.text
    assert paid.json()["paid"] == [{"part": "rule", "amount": 5}]
    assert await balance(client, tenant) == 15
    # Another user has completed nothing yet.
    assert refused(await complete(client, tenant, chained, n=2))


async def test_a_prerequisite_paying_without_limit_counts_through_its_ledger_entries(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    """An unlimited points rule leaves no completion row; its ledger credits count."""
    unlimited = await rule(client, tenant, external(currency, "Daily ticket", interval="unlimited"))
    chained = await rule(
        client,
        tenant,
        external(currency, "Regular", loyaltyRuleChain=chain(after(unlimited, requiredCount=2))),
    )
    assert refused(await complete(client, tenant, chained)) == (
        "Complete \u201cDaily ticket\u201d 2 times first"
    )
    for _ in range(2):
        assert (await complete(client, tenant, unlimited)).status_code == 200
    assert (await complete(client, tenant, chained)).status_code == 200


async def test_skip_chain_or_required_check_bypasses_the_chain(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    welcome = await rule(client, tenant, external(currency, "Welcome quest"))
    chained = await rule(
        client, tenant, external(currency, "Second", loyaltyRuleChain=chain(after(welcome)))
    )
    answer = await complete(client, tenant, chained, skipChainOrRequiredCheck=True)
    assert answer.status_code == 200, answer.text
    assert await balance(client, tenant) == 10


async def test_a_points_condition(client: AsyncClient, tenant: Tenant, currency: str) -> None:
    points = {
        "type": "points",
        "amount": 100,
        "association": [{"loyaltyCurrencyId": currency}],
    }
    chained = await rule(
        client, tenant, external(currency, "Big spender", loyaltyRuleChain=chain(points))
    )
    await transact(client, tenant, currency, credit(wallet(1), 99))
    assert refused(await complete(client, tenant, chained)) == "Reach 100 PTS first"
    await transact(client, tenant, currency, credit(wallet(1), 1))
    assert (await complete(client, tenant, chained)).status_code == 200
    assert await balance(client, tenant) == 110


async def test_badge_conditions(
    client: AsyncClient, tenant: Tenant, currency: str, database: Database
) -> None:
    gold = await new_badge(database, tenant, "Gold")
    silver = await new_badge(database, tenant, "Silver")
    bronze = await new_badge(database, tenant, "Bronze")
    one = {"type": "badge", "association": [{"loyaltyBadgeId": gold}]}
    two_of = {
        "type": "badges",
        "requiredCount": 2,
        "association": [{"loyaltyBadgeId": b} for b in (gold, silver, bronze)],
    }
    holder = await rule(client, tenant, external(currency, "Gold", loyaltyRuleChain=chain(one)))
    collector = await rule(
        client, tenant, external(currency, "Collector", loyaltyRuleChain=chain(two_of))
    )
    assert (
        refused(await complete(client, tenant, holder)) == "Earn the \u201cGold\u201d badge first"
    )
    await reward(client, tenant, gold)
    assert (await complete(client, tenant, holder)).status_code == 200
    assert refused(await complete(client, tenant, collector)) == (
        "Earn 2 of the badges \u201cGold\u201d, \u201cSilver\u201d, \u201cBronze\u201d first"
    )
    await reward(client, tenant, bronze)
    assert (await complete(client, tenant, collector)).status_code == 200


async def test_a_section_condition_and_a_chain_of_several_conditions(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    basics = await new_group(client, tenant, "Basics")
    first = await rule(client, tenant, external(currency, "First", loyaltyRuleGroupId=basics))
    second = await rule(client, tenant, external(currency, "Second", loyaltyRuleGroupId=basics))
    section = {"type": "section", "association": [{"loyaltyRuleGroupId": basics}]}
    # The chained rule is in the section itself: it does not wait for itself.
    finale = await rule(
        client,
        tenant,
        external(
            currency,
            "Finale",
            loyaltyRuleGroupId=basics,
            loyaltyRuleChain=[
                {"name": "Basics", "loyaltyConditions": [section]},
                {
                    "name": "Both",
                    "loyaltyConditions": [
                        {
                            "type": "rules",
                            "association": [{"loyaltyRuleId": first}, {"loyaltyRuleId": second}],
                        }
                    ],
                },
            ],
        ),
    )
    assert (await complete(client, tenant, first)).status_code == 200
    assert refused(await complete(client, tenant, finale)) == (
        "Complete every rule of \u201cBasics\u201d first"
    )
    assert (await complete(client, tenant, second)).status_code == 200
    assert (await complete(client, tenant, finale)).status_code == 200


async def test_chain_validation(client: AsyncClient, tenant: Tenant, currency: str) -> None:
    welcome = await rule(client, tenant, external(currency, "Welcome quest"))
    base = "loyaltyRuleChain[0].loyaltyConditions"
    found = errors(
        await create(
            client,
            tenant,
            external(
                currency,
                "Chained",
                loyaltyRuleChain=chain(
                    after(welcome),
                    {"type": "level", "association": []},
                    {"type": "rule"},
                    after("missing"),
                    {"type": "points", "association": [{"loyaltyCurrencyId": currency}]},
                    {"type": "badge", "association": [{"loyaltyRuleId": welcome}]},
                ),
            ),
        )
    )
    assert found == {
        f"{base}[1].type": (
            "unknown or unsupported condition type 'level'; "
            "supported: rule, rules, points, badge, badges, section"
        ),
        f"{base}[2].association": "is required: name the rule (loyaltyRuleId)",
        f"{base}[3].association[0].loyaltyRuleId": "no such rule in this website",
        f"{base}[4].amount": "is required for points conditions",
        f"{base}[5].association[0].loyaltyBadgeId": "is required for badge conditions",
    }
    unknown = errors(
        await create(
            client,
            tenant,
            external(
                currency,
                "Chained",
                loyaltyRuleChain=chain(
                    {"type": "section", "association": [{"loyaltyRuleGroupId": "nope"}]},
                    {"type": "badges", "association": [{"loyaltyBadgeId": "nope"}]},
                    {"type": "points", "amount": 5, "association": [{"loyaltyCurrencyId": "x"}]},
                ),
            ),
        )
    )
    assert unknown == {
        f"{base}[0].association[0].loyaltyRuleGroupId": "no such rule group in this website",
        f"{base}[1].association[0].loyaltyBadgeId": "no such badge in this website",
        f"{base}[2].association[0].loyaltyCurrencyId": "no such currency in this website",
    }
    # A field that does not parse is reported alone: the chain is not looked at further.
    shape = await create(
        client,
        tenant,
        external(
            currency,
            "Chained",
            loyaltyRuleChain=chain(
                {"type": "rule", "association": [{"loyaltyRuleId": "nope"}], "surprise": 1},
                {"type": "rule", "association": [{"loyaltyRuleId": welcome}], "requiredCount": 0},
            ),
        ),
    )
    assert errors(shape) == {
        f"{base}[0].surprise": "is not a field of this rule",
        f"{base}[1].requiredCount": "Input should be greater than or equal to 1",
    }
    chained = await rule(client, tenant, external(currency, "Chained"))
    itself = await client.post(
        f"{RULES}/{chained}",
        json={"loyaltyRuleChain": chain(after(chained))},
        headers=tenant.headers,
    )
    assert errors(itself) == {
        f"{base}[0].association[0].loyaltyRuleId": "a rule cannot require itself"
    }


async def test_rules_show_their_chain_with_ids_and_keep_them_across_edits(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    welcome = await rule(client, tenant, external(currency, "Welcome quest"))
    plain = await client.get(RULES, params={"loyaltyRuleId": welcome}, headers=tenant.headers)
    assert plain.json()["data"][0]["loyaltyRuleChain"] == []
    created = await create(
        client, tenant, external(currency, "Second", loyaltyRuleChain=chain(after(welcome)))
    )
    chained = created.json()["id"]
    listed = await client.get(RULES, params={"loyaltyRuleId": chained}, headers=tenant.headers)
    (entry,) = listed.json()["data"][0]["loyaltyRuleChain"]
    assert entry == created.json()["loyaltyRuleChain"][0]
    (condition,) = entry["loyaltyConditions"]
    (association,) = condition["association"]
    assert entry["name"] == "Before"
    assert entry["loyaltyRuleId"] == chained
    assert len({entry["id"], condition["id"], association["id"]}) == 3
    assert condition == {
        "id": condition["id"],
        "type": "rule",
        "amount": None,
        "association": [
            {
                "id": association["id"],
                "loyaltyRuleId": welcome,
                "loyaltyCurrencyId": None,
                "loyaltyBadgeId": None,
                "loyaltyRuleGroupId": None,
                "loyaltyRule": None,
            }
        ],
        "requiredCount": None,
        "repeatCount": None,
        "csvUrl": None,
        "description": None,
    }
    # An edit of another field keeps the chain and its ids; sending it back does too.
    renamed = await client.post(
        f"{RULES}/{chained}", json={"name": "Renamed"}, headers=tenant.headers
    )
    assert renamed.json()["loyaltyRuleChain"] == [entry]
    sent_back = await client.post(
        f"{RULES}/{chained}", json={"loyaltyRuleChain": [entry]}, headers=tenant.headers
    )
    assert sent_back.json()["loyaltyRuleChain"] == [entry]
    cleared = await client.post(
        f"{RULES}/{chained}", json={"loyaltyRuleChain": None}, headers=tenant.headers
    )
    assert cleared.json()["loyaltyRuleChain"] == []
    assert (await complete(client, tenant, chained)).status_code == 200
    # A copy of the chain on another rule gets ids of its own.
    copy = await create(client, tenant, external(currency, "Copy", loyaltyRuleChain=[entry]))
    (copied,) = copy.json()["loyaltyRuleChain"]
    assert copied["id"] != entry["id"]
    assert copied["loyaltyRuleId"] == copy.json()["id"]


async def test_rule_chains_list(client: AsyncClient, tenant: Tenant, currency: str) -> None:
    welcome = await rule(client, tenant, external(currency, "Welcome quest"))
    ids = []
    for name in ("A", "B", "C"):
        created = await create(
            client,
            tenant,
            external(currency, name, loyaltyRuleChain=chain(after(welcome), name=f"Before {name}")),
        )
        ids.append(created.json()["loyaltyRuleChain"][0]["id"])
    deleted = await rule(
        client, tenant, external(currency, "Gone", loyaltyRuleChain=chain(after(welcome)))
    )
    assert (await client.delete(f"{RULES}/{deleted}", headers=tenant.headers)).status_code == 200
    first = await client.get(CHAINS, params={"limit": 2}, headers=tenant.headers)
    assert first.status_code == 200, first.text
    page = first.json()
    assert [c["id"] for c in page["data"]] == ids[:2]
    assert page["hasNextPage"] is True
    assert page["data"][0]["name"] == "Before A"
    association = page["data"][0]["loyaltyConditions"][0]["association"][0]
    assert association["loyaltyRule"] == {"name": "Welcome quest"}
    rest = await client.get(
        CHAINS,
        params={"limit": 2, "startingAfter": ids[1], "websiteId": tenant.website_id},
        headers=tenant.headers,
    )
    assert [c["id"] for c in rest.json()["data"]] == ids[2:]
    assert rest.json()["hasNextPage"] is False


async def test_rule_chains_of_another_tenant_are_not_shown(
    client: AsyncClient, tenant: Tenant, currency: str, database: Database
) -> None:
    welcome = await rule(client, tenant, external(currency, "Welcome quest"))
    await rule(client, tenant, external(currency, "Second", loyaltyRuleChain=chain(after(welcome))))
    other = await create_tenant(database)
    other_currency = await create_currency(client, other)
    theirs = await client.get(CHAINS, headers=other.headers)
    assert theirs.json() == {"data": [], "hasNextPage": False}
    foreign = await client.get(
        CHAINS, params={"websiteId": tenant.website_id}, headers=other.headers
    )
    assert foreign.status_code in (403, 404)
    # Nor can a rule of theirs require one of ours.
    response = await create(
        client, other, external(other_currency, "Mine", loyaltyRuleChain=chain(after(welcome)))
    )
    assert errors(response) == {
        "loyaltyRuleChain[0].loyaltyConditions[0].association[0].loyaltyRuleId": (
            "no such rule in this website"
        )
    }


async def test_a_chain_may_not_close_a_cycle(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    first = await rule(client, tenant, external(currency, "First"))
    second = await rule(
        client, tenant, external(currency, "Second", loyaltyRuleChain=chain(after(first)))
    )
    third = await rule(
        client, tenant, external(currency, "Third", loyaltyRuleChain=chain(after(second)))
    )
    closing = await client.post(
        f"{RULES}/{first}", json={"loyaltyRuleChain": chain(after(third))}, headers=tenant.headers
    )
    assert closing.status_code == 400, closing.text
    (error,) = closing.json()["errors"]
    assert error["field"] == "loyaltyRuleChain[0].loyaltyConditions[0].association[0].loyaltyRuleId"
    assert "through its own chain" in error["message"]
