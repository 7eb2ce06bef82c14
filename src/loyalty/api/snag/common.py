"""Wire helpers shared by the native API's routes."""

from typing import Annotated, Any

from fastapi import Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from loyalty.db import ReadSession
from loyalty.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from loyalty.ledger import repository as ledger_repository
from loyalty.tenancy import service as tenancy_service
from loyalty.tenancy.principal import Principal

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per page (max 100)")]
StartingAfter = Annotated[
    str | None, Query(alias="startingAfter", description="Id of the last row of the previous page")
]
OrganizationId = Annotated[str | None, Query(alias="organizationId")]
WebsiteId = Annotated[str | None, Query(alias="websiteId")]


NOT_SUPPORTED = "not supported: this engine has no user groups, allotments or special rules"


def _not_supported(value: Any) -> Any:
    """A Snag filter this engine has nothing to filter by (user groups, allotments):
    refused rather than ignored, so a list is never silently wider than asked."""
    if value is not None and value != []:
        raise ValueError(NOT_SUPPORTED)
    return value


# For query models: a field Snag's SDK may send that is refused when given.
Unsupported = Annotated[str | list[str] | None, AfterValidator(_not_supported)]


_Refused = AfterValidator(_not_supported)
# Query parameters of Snag's SDK that are refused with a 400 when given.
UserGroupId = Annotated[str | None, Query(alias="userGroupId", include_in_schema=False), _Refused]
UserGroupExternalIdentifier = Annotated[
    str | None, Query(alias="userGroupExternalIdentifier", include_in_schema=False), _Refused
]
WalletGroupIdentifier = Annotated[
    str | None, Query(alias="walletGroupIdentifier", include_in_schema=False), _Refused
]
CompletedRuleFilter = Annotated[
    str | None, Query(alias="userCompletedLoyaltyRuleId", include_in_schema=False), _Refused
]

# Documented on every authenticated route so OpenAPI lists the shared error shape.
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid request: every bad field is listed in `errors`"},
    401: {"description": "Missing or invalid API key"},
    403: {"description": "The key belongs to another organization"},
    404: {"description": "Not found in the key's organization"},
}


class WireModel(BaseModel):
    """Request bodies: unknown fields are refused so a typo is reported, not ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ScopeQuery(BaseModel):
    """Query naming the websites to read; unknown parameters are ignored."""

    organizationId: str | None = None
    websiteId: str | None = None


class PageQuery(ScopeQuery):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Rows per page (max 100)")
    startingAfter: str | None = Field(None, description="Id of the last row of the previous page")


async def list_scope(
    session: ReadSession, principal: Principal, query: ScopeQuery
) -> frozenset[str] | None:
    """The websites a list may show; a website it names must be the organization's (404)."""
    return await tenancy_service.website_scope(
        session, principal, query.websiteId, query.organizationId
    )


async def ledger_scope(
    session: ReadSession, principal: Principal, website_id: str | None, organization_id: str | None
) -> ledger_repository.Scope:
    """The ledger rows a list may show, checked as ``list_scope`` checks them."""
    websites = await tenancy_service.website_scope(session, principal, website_id, organization_id)
    return ledger_repository.Scope(principal.organization_id, websites)
