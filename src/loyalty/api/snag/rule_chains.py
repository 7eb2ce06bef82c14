"""Rule chains, the prerequisites of rules: ``GET /api/loyalty/rule_chains``.

A rule's chain is given in its body (``loyaltyRuleChain`` on create and update): Snag's
API has no call to create one. This lists the chain entries of the live rules.
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from loyalty.api.deps import PrincipalDep, ReadSessionDep
from loyalty.api.snag.common import ERRORS, PageQuery, list_scope
from loyalty.kit.pagination import Page, split_page
from loyalty.rules import service

router = APIRouter(tags=["rules"], responses=ERRORS)


class RuleName(BaseModel):
    name: str


class AssociationOut(BaseModel):
    id: str
    loyaltyRuleId: str | None
    loyaltyCurrencyId: str | None
    loyaltyBadgeId: str | None
    loyaltyRuleGroupId: str | None
    loyaltyRule: RuleName | None = Field(description="The rule named, for rule conditions")


class ConditionOut(BaseModel):
    id: str
    type: Literal["rule", "rules", "points", "section", "level", "api", "badge", "badges", "csv"]
    amount: int | float | None = Field(description="Points needed (points conditions)")
    association: list[AssociationOut]
    requiredCount: int | None = Field(
        description="rule: times completed (default 1); rules, badges: how many (default all)"
    )
    repeatCount: int | None
    csvUrl: str | None
    description: str | None


class RuleChainOut(BaseModel):
    id: str
    name: str
    loyaltyRuleId: str = Field(description="The rule whose prerequisites these are")
    loyaltyConditions: list[ConditionOut] = Field(description="Every one must hold")


class RuleChainQuery(PageQuery):
    startingAfter: str | None = Field(None, description="Id of the last chain of the previous page")


@router.get("/api/loyalty/rule_chains")
async def list_rule_chains(
    query: Annotated[RuleChainQuery, Query()], principal: PrincipalDep, session: ReadSessionDep
) -> Page[RuleChainOut]:
    """The chain entries of live rules, in id (creation) order."""
    scope = await list_scope(session, principal, query)
    rows = await service.list_chains(
        session,
        principal.organization_id,
        scope,
        starting_after=query.startingAfter,
        limit=query.limit,
    )
    page, more = split_page(rows, query.limit)
    return Page[RuleChainOut](
        data=[RuleChainOut.model_validate(entry) for entry in page], hasNextPage=more
    )
