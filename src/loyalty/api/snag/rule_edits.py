"""Rule edits: ``GET /api/loyalty/rule_edits`` and ``POST /api/loyalty/rule_edits/{id}/restore``.
Every create, update, delete and restore of a rule is kept with the rule before and after."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from loyalty.api.deps import PrincipalDep, ReadSessionDep, WriteSessionDep
from loyalty.api.snag.common import ERRORS, PageQuery, list_scope
from loyalty.kit.clock import iso
from loyalty.kit.pagination import Page, split_page
from loyalty.rules import service
from loyalty.rules.models import RuleEdit

router = APIRouter(tags=["rules"], responses=ERRORS)


class RuleEditOut(BaseModel):
    id: str
    action: Literal["create", "update", "delete", "restore"]
    data: dict[str, Any] = Field(description="The rule after the edit")
    previousData: dict[str, Any] | None = Field(description="The rule before the edit")
    editedAt: str
    editedByUserId: str | None = Field(description="The API key that made the edit")
    loyaltyRuleId: str
    organizationId: str
    websiteId: str
    comment: str | None = None

    @classmethod
    def of(cls, edit: RuleEdit) -> "RuleEditOut":
        return cls(
            id=edit.id,
            action=edit.action,
            data=edit.data,
            previousData=edit.previous_data,
            editedAt=iso(edit.edited_at),
            editedByUserId=edit.edited_by_key_id,
            loyaltyRuleId=edit.rule_id,
            organizationId=edit.organization_id,
            websiteId=edit.website_id,
            comment=edit.comment,
        )


class RuleEditQuery(PageQuery):
    loyaltyRuleId: str | None = None


@router.get("/api/loyalty/rule_edits")
async def list_rule_edits(
    query: Annotated[RuleEditQuery, Query()], principal: PrincipalDep, session: ReadSessionDep
) -> Page[RuleEditOut]:
    """Newest first."""
    scope = await list_scope(session, principal, query)
    statement = select(RuleEdit).where(RuleEdit.organization_id == principal.organization_id)
    if scope is not None:
        statement = statement.where(RuleEdit.website_id.in_(sorted(scope)))
    if query.loyaltyRuleId is not None:
        statement = statement.where(RuleEdit.rule_id == query.loyaltyRuleId)
    if query.startingAfter is not None:
        statement = statement.where(RuleEdit.id < query.startingAfter)
    rows = (
        await session.scalars(statement.order_by(RuleEdit.id.desc()).limit(query.limit + 1))
    ).all()
    page, more = split_page(rows, query.limit)
    return Page[RuleEditOut](data=[RuleEditOut.of(e) for e in page], hasNextPage=more)


@router.post("/api/loyalty/rule_edits/{edit_id}/restore")
async def restore_rule_edit(
    edit_id: str, principal: PrincipalDep, session: WriteSessionDep
) -> RuleEditOut:
    """The rule becomes what it was right after that edit; answers the restore's own edit."""
    return RuleEditOut.of(await service.restore_edit(session, principal, edit_id))
