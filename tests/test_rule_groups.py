"""Loyalty rule groups: create, update, list with their rules, pages, delete, isolation."""

from typing import Any

from httpx import AsyncClient, Response
from sqlalchemy import event, select

from loyalty.db import Database
from loyalty.rules.models import Rule, RuleEdit
from tests.support import Tenant, create_currency, create_tenant

PATH = "/api/loyalty/rule_groups"
RULES = "/api/loyalty/rules"

CREATE_FIELDS = {
    "id",
    "createdAt",
    "isCollapsible",
    "isRequired",
    "name",
    "organizationId",
    "sortId",
    "subTitle",
    "updatedAt",
    "websiteId",
}


async def create(client: AsyncClient, tenant: Tenant, **fields: Any) -> Response:
    body = {"name": "Daily quests", "websiteId": tenant.website_id}
    return await client.post(f"{PATH}/create", json=body | fields, headers=tenant.headers)


async def group_id(client: AsyncClient, tenant: Tenant, **fields: Any) -> str:
    response = await create(client, tenant, **fields)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def create_rule(
    client: AsyncClient, tenant: Tenant, currency: str, group: str | None, **fields: Any
) -> Response:
    body = {
        "name": "Daily",
        "type": "check_in",
        "frequency": "daily",
        "interval": "daily",
        "startTime": "2024-01-01T00:00:00Z",
        "amount": 10,
        "loyaltyCurrencyId": currency,
        "websiteId": tenant.website_id,
        "loyaltyRuleGroupId": group,
        **fields,
    }
    return await client.post(RULES, json=body, headers=tenant.headers)


async def rule_id(
    client: AsyncClient, tenant: Tenant, currency: str, group: str | None, **fields: Any
) -> str:
    response = await create_rule(client, tenant, currency, group, **fields)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def listed(
    client: AsyncClient, tenant: Tenant, **params: Any
) -> tuple[list[dict[str, Any]], bool]:
    response = await client.get(PATH, params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["data"], body["hasNextPage"]


def error_fields(response: Response) -> list[str]:
    assert response.status_code == 400, response.text
    return sorted(e["field"] for e in response.json()["errors"])


# --- create -----------------------------------------------------------------------------


async def test_create_answers_every_field(client: AsyncClient, tenant: Tenant) -> None:
    response = await create(
        client,
        tenant,
        name="Socials",
        organizationId=tenant.organization_id,
        isCollapsible=True,
        isRequired=True,
        sortId=7,
        subTitle="Follow us",
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body.keys() == CREATE_FIELDS
    assert body["name"] == "Socials"
    assert body["organizationId"] == tenant.organization_id
    assert body["websiteId"] == tenant.website_id
    assert (body["isCollapsible"], body["isRequired"], body["sortId"]) == (True, True, 7)
    assert body["subTitle"] == "Follow us"
    assert body["createdAt"] == body["updatedAt"]
    assert body["createdAt"].endswith("Z")


async def test_create_defaults(client: AsyncClient, tenant: Tenant) -> None:
    # The key is limited to one website, so websiteId may be left out.
    response = await client.post(f"{PATH}/create", json={"name": "Quests"}, headers=tenant.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["websiteId"] == tenant.website_id
    assert (body["isCollapsible"], body["isRequired"], body["sortId"]) == (False, False, 0)
    assert body["subTitle"] is None


async def test_sdk_nulls_are_defaults(client: AsyncClient, tenant: Tenant) -> None:
    nulls = dict.fromkeys(["organizationId", "isCollapsible", "isRequired", "sortId", "subTitle"])
    response = await create(client, tenant, **nulls)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["isCollapsible"], body["isRequired"], body["sortId"]) == (False, False, 0)


async def test_every_bad_field_is_listed(client: AsyncClient, tenant: Tenant) -> None:
    response = await client.post(
        f"{PATH}/create",
        json={"websiteId": tenant.website_id, "isCollapsible": "sometimes"},
        headers=tenant.headers,
    )
    assert error_fields(response) == ["isCollapsible", "name"]
    assert response.json()["code"] == "validation_error"


async def test_name_length_sort_id_and_unknown_fields(client: AsyncClient, tenant: Tenant) -> None:
    response = await create(client, tenant, name="   ", sortId=2**31, colour="red")
    assert error_fields(response) == ["colour", "name", "sortId"]
    assert error_fields(await create(client, tenant, name="x" * 256)) == ["name"]
    response = await create(client, tenant, name="x" * 255)
    assert response.status_code == 201, response.text


async def test_org_wide_key_must_name_the_website(client: AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database, limit_key=False)
    response = await client.post(f"{PATH}/create", json={"name": "Quests"}, headers=tenant.headers)
    assert error_fields(response) == ["websiteId"]
    response = await create(client, tenant)
    assert response.status_code == 201, response.text


# --- update -----------------------------------------------------------------------------


async def test_update_changes_what_is_given(client: AsyncClient, tenant: Tenant) -> None:
    created = (await create(client, tenant, subTitle="Old", sortId=3, isRequired=True)).json()
    response = await client.post(
        f"{PATH}/{created['id']}",
        json={"isCollapsible": True, "name": "Renamed", "subtitle": "New"},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.keys() == CREATE_FIELDS
    assert (body["name"], body["subTitle"], body["isCollapsible"]) == ("Renamed", "New", True)
    assert (body["sortId"], body["isRequired"]) == (3, True)
    assert body["createdAt"] == created["createdAt"]
    assert body["updatedAt"] >= created["updatedAt"]

    # subTitle is accepted too; what is not given stays.
    response = await client.post(
        f"{PATH}/{created['id']}", json={"subTitle": "Newer"}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    assert (response.json()["name"], response.json()["subTitle"]) == ("Renamed", "Newer")

    # A null sub-title clears it; a null name changes nothing.
    response = await client.post(
        f"{PATH}/{created['id']}", json={"subtitle": None, "name": None}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    assert (response.json()["name"], response.json()["subTitle"]) == ("Renamed", None)

    data, _ = await listed(client, tenant)
    assert [(g["name"], g["isCollapsible"]) for g in data] == [("Renamed", True)]


async def test_update_refuses_bad_fields(client: AsyncClient, tenant: Tenant) -> None:
    group = await group_id(client, tenant)
    response = await client.post(
        f"{PATH}/{group}",
        json={"name": "", "isCollapsible": "often", "sortId": 3},
        headers=tenant.headers,
    )
    assert error_fields(response) == ["isCollapsible", "name", "sortId"]
    response = await client.post(
        f"{PATH}/{group}", json={"subtitle": "a", "subTitle": "b"}, headers=tenant.headers
    )
    assert error_fields(response) == ["subTitle"]


# --- list -------------------------------------------------------------------------------


async def test_list_shows_each_groups_live_rules(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    currency = await create_currency(client, tenant)
    first = await group_id(client, tenant, name="First", sortId=1, subTitle="One")
    second = await group_id(client, tenant, name="Second", sortId=0, isRequired=True)
    empty = await group_id(client, tenant, name="Empty", sortId=1)
    a = await rule_id(client, tenant, currency, first, name="A")
    hidden = await rule_id(client, tenant, currency, first, name="Hidden", hideInUi=True)
    b = await rule_id(client, tenant, currency, first, name="B")
    c = await rule_id(client, tenant, currency, second, name="C")
    gone = await rule_id(client, tenant, currency, second, name="Gone")
    await rule_id(client, tenant, currency, None, name="Loose")
    response = await client.delete(f"{RULES}/{gone}", headers=tenant.headers)
    assert response.status_code == 200, response.text

    statements = StatementCounter(database)
    with statements:
        data, more = await listed(client, tenant)
    assert not more
    # sortId first, then creation order.
    assert [g["id"] for g in data] == [second, first, empty]
    by_id = {g["id"]: g for g in data}
    assert set(by_id[first]) == {
        "id",
        "isCollapsible",
        "isRequired",
        "name",
        "sortId",
        "subTitle",
        "loyaltyGroupItems",
    }
    assert (by_id[first]["name"], by_id[first]["subTitle"], by_id[first]["sortId"]) == (
        "First",
        "One",
        1,
    )
    assert by_id[second]["isRequired"] is True
    items = by_id[first]["loyaltyGroupItems"]
    assert [(i["id"], i["sortId"]) for i in items] == [(a, 0), (hidden, 1), (b, 2)]
    rule = items[0]["loyaltyRule"]
    assert (rule["id"], rule["name"], rule["loyaltyRuleGroupId"]) == (a, "A", first)
    assert rule["type"] == "check_in" and rule["deletedAt"] is None
    assert [i["id"] for i in by_id[second]["loyaltyGroupItems"]] == [c]
    assert by_id[empty]["loyaltyGroupItems"] == []
    # Groups and their rules: the rules of the whole page in one query, whatever its size.
    assert statements.selects_of("loyalty_rules") == 1

    data, _ = await listed(client, tenant, excludeHidden="true")
    items = {g["id"]: g for g in data}[first]["loyaltyGroupItems"]
    assert [(i["id"], i["sortId"]) for i in items] == [(a, 0), (b, 1)]


async def test_list_pages(client: AsyncClient, tenant: Tenant) -> None:
    ids = [await group_id(client, tenant, name=f"G{n}", sortId=n % 2) for n in range(5)]
    # sortId 0: G0, G2, G4; sortId 1: G1, G3.
    expected = [ids[0], ids[2], ids[4], ids[1], ids[3]]
    seen: list[str] = []
    cursor: str | None = None
    pages = []
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor is not None:
            params["startingAfter"] = cursor
        data, more = await listed(client, tenant, **params)
        seen += [g["id"] for g in data]
        pages.append(more)
        if not more:
            break
        cursor = data[-1]["id"]
    assert seen == expected
    assert pages == [True, True, False]
    data, more = await listed(client, tenant, limit=5)
    assert len(data) == 5 and not more


async def test_page_after_a_deleted_group_continues(client: AsyncClient, tenant: Tenant) -> None:
    ids = [await group_id(client, tenant, name=f"G{n}") for n in range(3)]
    data, more = await listed(client, tenant, limit=1)
    assert [g["id"] for g in data] == ids[:1] and more
    response = await client.delete(f"{PATH}/{ids[0]}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    data, more = await listed(client, tenant, limit=5, startingAfter=ids[0])
    assert [g["id"] for g in data] == ids[1:] and not more


async def test_unknown_cursor_is_refused(client: AsyncClient, tenant: Tenant) -> None:
    response = await client.get(PATH, params={"startingAfter": "nope"}, headers=tenant.headers)
    assert error_fields(response) == ["startingAfter"]


async def test_list_refuses_bad_query(client: AsyncClient, tenant: Tenant) -> None:
    response = await client.get(
        PATH, params={"limit": 0, "excludeHidden": "yes"}, headers=tenant.headers
    )
    assert error_fields(response) == ["excludeHidden", "limit"]


# --- delete -----------------------------------------------------------------------------


async def test_delete_sends_rules_back_to_no_section(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    currency = await create_currency(client, tenant)
    doomed = await group_id(client, tenant, name="Doomed")
    kept = await group_id(client, tenant, name="Kept")
    moved = [await rule_id(client, tenant, currency, doomed, name=f"R{n}") for n in range(2)]
    staying = await rule_id(client, tenant, currency, kept, name="Stays")
    before = await client.get(RULES, params={"loyaltyRuleId": moved[0]}, headers=tenant.headers)
    version = before.json()["data"][0]["version"]

    response = await client.delete(f"{PATH}/{doomed}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == doomed and body["deletedAt"].endswith("Z")

    response = await client.get(
        RULES, params={"loyaltyRuleGroupId": "no-section"}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    rules = response.json()["data"]
    assert [r["id"] for r in rules] == moved
    assert all(r["loyaltyRuleGroupId"] is None for r in rules)
    assert rules[0]["version"] == version + 1
    response = await client.get(
        RULES, params={"loyaltyRuleGroupId": doomed}, headers=tenant.headers
    )
    assert response.json()["data"] == []
    response = await client.get(RULES, params={"loyaltyRuleGroupId": kept}, headers=tenant.headers)
    assert [r["id"] for r in response.json()["data"]] == [staying]

    async with database.reading() as session:
        row = (await session.scalars(select(Rule).where(Rule.id == moved[0]))).one()
        assert row.group_id is None and row.definition["loyaltyRuleGroupId"] is None
        edit = (
            await session.scalars(
                select(RuleEdit).where(RuleEdit.rule_id == moved[0]).order_by(RuleEdit.id.desc())
            )
        ).first()
    assert edit is not None and edit.action == "update"
    assert edit.previous_data is not None
    assert edit.previous_data["loyaltyRuleGroupId"] == doomed
    assert edit.data["loyaltyRuleGroupId"] is None

    data, _ = await listed(client, tenant)
    assert [g["id"] for g in data] == [kept]

    # A moved rule can still be edited, and a rule may not name the deleted group.
    response = await client.post(
        f"{RULES}/{moved[0]}", json={"name": "Again"}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    assert error_fields(await create_rule(client, tenant, currency, doomed)) == [
        "loyaltyRuleGroupId"
    ]
    response = await client.post(
        f"{RULES}/{moved[1]}", json={"loyaltyRuleGroupId": doomed}, headers=tenant.headers
    )
    assert error_fields(response) == ["loyaltyRuleGroupId"]


async def test_unknown_and_deleted_groups_are_not_found(
    client: AsyncClient, tenant: Tenant
) -> None:
    group = await group_id(client, tenant)
    response = await client.delete(f"{PATH}/{group}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    for missing in (group, "0190a3c4-0000-7000-8000-000000000000"):
        response = await client.post(
            f"{PATH}/{missing}", json={"name": "X"}, headers=tenant.headers
        )
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "rule_group_not_found"
        response = await client.delete(f"{PATH}/{missing}", headers=tenant.headers)
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "rule_group_not_found"


# --- isolation --------------------------------------------------------------------------


async def test_another_organization_sees_nothing(
    client: AsyncClient, tenant: Tenant, database: Database
) -> None:
    currency = await create_currency(client, tenant)
    group = await group_id(client, tenant, name="Private")
    await rule_id(client, tenant, currency, group)
    other = await create_tenant(database)

    # Naming the organization: 403.
    response = await create(client, other, organizationId=tenant.organization_id)
    assert response.status_code == 403, response.text
    response = await client.get(
        PATH, params={"organizationId": tenant.organization_id}, headers=other.headers
    )
    assert response.status_code == 403, response.text
    # Naming the website or the group: 404.
    response = await client.get(
        PATH, params={"websiteId": tenant.website_id}, headers=other.headers
    )
    assert response.status_code == 404, response.text
    for response in (
        await client.post(f"{PATH}/{group}", json={"name": "Mine"}, headers=other.headers),
        await client.delete(f"{PATH}/{group}", headers=other.headers),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "rule_group_not_found"
        assert "Private" not in response.text
    # Its cursor leads nowhere, its own list is empty.
    response = await client.get(PATH, params={"startingAfter": group}, headers=other.headers)
    assert response.status_code == 400, response.text
    assert await listed(client, other) == ([], False)
    # Its rules may not join the group either.
    other_currency = await create_currency(client, other)
    assert error_fields(await create_rule(client, other, other_currency, group)) == [
        "loyaltyRuleGroupId"
    ]

    # The group is untouched.
    data, _ = await listed(client, tenant)
    assert [(g["id"], g["name"], len(g["loyaltyGroupItems"])) for g in data] == [
        (group, "Private", 1)
    ]


async def test_unauthenticated(client: AsyncClient) -> None:
    response = await client.get(PATH)
    assert response.status_code == 401, response.text


# --- helpers ----------------------------------------------------------------------------


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
