"""Loyalty rules: ``POST /api/loyalty/rules`` (create), ``POST /api/loyalty/rules/{id}``
(update), ``GET /api/loyalty/rules``, ``DELETE /api/loyalty/rules/{id}``.

Bodies are read as plain JSON and validated by the rules domain, which reports every bad
field at once, metadata included (``metadata.range[1].startRange``).
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field

from loyalty.api.deps import PrincipalDep, ReadSessionDep, WriteSessionDep
from loyalty.api.openapi import json_body
from loyalty.api.snag.common import ERRORS, PageQuery, Unsupported, list_scope
from loyalty.kit.pagination import Page, split_page
from loyalty.rules import service
from loyalty.rules.definition import RuleFields

router = APIRouter(tags=["rules"], responses=ERRORS)

JsonObject = Annotated[dict[str, Any], Body()]


class RuleOut(BaseModel):
    """A rule as stored: the common fields below, its ``metadata``, and every other field
    it was given (secrets excepted)."""

    model_config = ConfigDict(extra="allow")

    id: str
    organizationId: str
    websiteId: str
    name: str
    type: str
    description: str
    amount: int | float | None
    rewardType: str
    claimType: str
    frequency: str
    interval: str
    loyaltyCurrencyId: str
    loyaltyRuleGroupId: str | None
    startTime: str | None
    endTime: str | None
    hideInUi: bool
    metadata: dict[str, Any]
    loyaltyRuleChain: list[Any]
    version: int
    createdAt: str
    updatedAt: str
    deletedAt: str | None


class RuleDeleted(BaseModel):
    id: str
    deletedAt: str


def _out(rule: Any) -> RuleOut:
    return RuleOut.model_validate(service.rule_out(rule))


@router.post("/api/loyalty/rules", status_code=201, openapi_extra=json_body(RuleFields))
async def create_rule(
    body: JsonObject, principal: PrincipalDep, session: WriteSessionDep
) -> RuleOut:
    return _out(await service.create_rule(session, principal, body))


@router.post("/api/loyalty/rules/{rule_id}", openapi_extra=json_body(RuleFields))
async def update_rule(
    rule_id: str, body: JsonObject, principal: PrincipalDep, session: WriteSessionDep
) -> RuleOut:
    return _out(await service.update_rule(session, principal, rule_id, body))


class DeleteQuery(BaseModel):
    debitLoyaltyPoints: Literal["true", "false"] = Field(
        "false", description="true: take back, through the ledger, the points the rule paid"
    )


@router.delete("/api/loyalty/rules/{rule_id}")
async def delete_rule(
    rule_id: str,
    query: Annotated[DeleteQuery, Query()],
    principal: PrincipalDep,
    session: WriteSessionDep,
) -> RuleDeleted:
    rule = await service.delete_rule(
        session, principal, rule_id, debit_points=query.debitLoyaltyPoints == "true"
    )
    out = service.rule_out(rule)
    return RuleDeleted(id=out["id"], deletedAt=out["deletedAt"])


class RuleQuery(PageQuery):
    type: list[str] = Field(default_factory=list, description="Rule types (repeatable)")
    loyaltyRuleId: list[str] = Field(default_factory=list, description="Rule ids (repeatable)")
    loyaltyRuleGroupId: str | None = Field(None, description="A group id, or no-section")
    collectionAddress: str | None = None
    isActive: Literal["true", "false"] | None = Field(
        None, description="true: started, not ended, not deleted"
    )
    hideInUi: Literal["true", "false"] | None = None
    includeDeleted: bool = False
    allotedToUserId: Unsupported = Field(None, exclude=True)
    allotedUserGroupId: Unsupported = Field(None, exclude=True)
    isSpecial: Unsupported = Field(None, exclude=True)


def _flag(value: str | None) -> bool | None:
    return None if value is None else value == "true"


@router.get("/api/loyalty/rules")
async def list_rules(
    query: Annotated[RuleQuery, Query()], principal: PrincipalDep, session: ReadSessionDep
) -> Page[RuleOut]:
    scope = await list_scope(session, principal, query)
    rows = await service.list_rules(
        session,
        principal.organization_id,
        scope,
        service.RuleFilter(
            types=query.type,
            rule_ids=query.loyaltyRuleId,
            group_id=query.loyaltyRuleGroupId,
            collection_address=query.collectionAddress,
            active=_flag(query.isActive),
            hidden=_flag(query.hideInUi),
            include_deleted=query.includeDeleted,
        ),
        starting_after=query.startingAfter,
        limit=query.limit,
    )
    page, more = split_page(rows, query.limit)
    return Page[RuleOut](data=[_out(rule) for rule in page], hasNextPage=more)
