"""Filters of Snag's SDK this engine has nothing to filter by (user groups, allotments,
special rules) are refused with a 400 naming them, never ignored: a list is never wider
than asked."""

import pytest
from httpx import AsyncClient

from tests.support import Tenant

CASES = [
    ("/api/loyalty/accounts", {"userGroupId": "g", "walletGroupIdentifier": "w"}),
    ("/api/loyalty/transaction_entries", {"userGroupId": "g", "userCompletedLoyaltyRuleId": "r"}),
    (
        "/api/loyalty/rules",
        {"allotedToUserId": "u", "allotedUserGroupId": "g", "isSpecial": "true"},
    ),
    ("/api/loyalty/rule_statuses", {"userGroupId": "g", "userGroupExternalIdentifier": "e"}),
]


@pytest.mark.parametrize(("path", "params"), CASES, ids=[path for path, _ in CASES])
async def test_unsupported_filters_are_refused(
    client: AsyncClient, tenant: Tenant, path: str, params: dict[str, str]
) -> None:
    response = await client.get(path, params=params, headers=tenant.headers)
    assert response.status_code == 400, response.text
    assert sorted(e["field"] for e in response.json()["errors"]) == sorted(params)
    assert all("not supported" in e["message"] for e in response.json()["errors"])
    plain = await client.get(path, headers=tenant.headers)
    assert plain.status_code == 200, plain.text
