"""Every rule type through the API: create, read, update, list and delete."""

from typing import Any

import pytest
from httpx import AsyncClient

from loyalty.rules.registry import registry
from tests.support import Tenant, create_currency
from tests.test_rule_types import SEED_EXAMPLES, body

PATH = "/api/loyalty/rules"


TYPES: list[str] = sorted(registry(), key=str.lower)


@pytest.mark.parametrize("kind", TYPES)
async def test_create_read_update_list_delete(
    client: AsyncClient, tenant: Tenant, kind: str
) -> None:
    currency = await create_currency(client, tenant)
    sent = body(kind, loyaltyCurrencyId=currency, name=f"{kind} rule")
    answer = await client.post(PATH, json=sent, headers=tenant.headers)
    assert answer.status_code == 201, answer.text
    rule: dict[str, Any] = answer.json()
    assert (rule["type"], rule["name"], rule["loyaltyCurrencyId"]) == (
        kind,
        f"{kind} rule",
        currency,
    )
    for name, value in sent.get("metadata", {}).items():
        assert rule["metadata"][name] == value

    updated = await client.post(
        f"{PATH}/{rule['id']}", json={"name": "Renamed", "hideInUi": True}, headers=tenant.headers
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["name"], updated.json()["hideInUi"]) == ("Renamed", True)
    assert updated.json()["metadata"] == rule["metadata"]

    listed = await client.get(PATH, params={"type": kind}, headers=tenant.headers)
    assert listed.json()["data"] == [updated.json()]

    deleted = await client.delete(f"{PATH}/{rule['id']}", headers=tenant.headers)
    assert deleted.status_code == 200, deleted.text
    assert (await client.get(PATH, params={"type": kind}, headers=tenant.headers)).json()[
        "data"
    ] == []


@pytest.mark.parametrize("example", SEED_EXAMPLES, ids=lambda e: str(e["name"]))
async def test_every_seed_example_is_accepted_as_written(
    client: AsyncClient, tenant: Tenant, example: dict[str, Any]
) -> None:
    """Seed 001's JSON examples with the ids of existing rows put in: the currency, and the
    organization and website where the example names them."""
    currency = await create_currency(client, tenant)
    sent = {**example, "loyaltyCurrencyId": currency}
    for name, value in (
        ("organizationId", tenant.organization_id),
        ("websiteId", tenant.website_id),
    ):
        if name in sent:
            sent[name] = value
    answer = await client.post(PATH, json=sent, headers=tenant.headers)
    assert answer.status_code == 201, answer.text
    assert answer.json()["name"] == example["name"]
