"""``GET /api/loyalty/rules/{id}/texts``: the texts users completed a text_input rule with
(kept on their completion requests), for the server to read and review."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from loyalty.actions.service import submitted_texts
from loyalty.api.deps import PrincipalDep, ReadSessionDep
from loyalty.api.snag.common import ERRORS, PageQuery
from loyalty.errors import BusinessRefusal
from loyalty.kit.pagination import Page, split_page
from loyalty.rules.service import rule_for

router = APIRouter(tags=["rules"], responses=ERRORS)

TEXT_INPUT = "text_input"


class NotATextRule(BusinessRefusal):
    code = "not_a_text_input_rule"


class TextQuery(PageQuery):
    userId: str | None = Field(None, description="Only this user's texts")


class TextOut(BaseModel):
    id: str = Field(description="The completion request's id")
    userId: str
    text: str
    createdAt: datetime


@router.get(
    "/api/loyalty/rules/{rule_id}/texts",
    responses={422: {"description": "`not_a_text_input_rule`"}},
)
async def rule_texts(
    rule_id: str,
    query: Annotated[TextQuery, Query()],
    principal: PrincipalDep,
    session: ReadSessionDep,
) -> Page[TextOut]:
    """The texts of a text_input rule's completed claims, oldest first."""
    rule = await rule_for(session, principal, rule_id)
    if rule.type != TEXT_INPUT:
        raise NotATextRule("Only text_input rules keep texts")
    rows = await submitted_texts(
        session,
        rule.id,
        user_id=query.userId,
        starting_after=query.startingAfter,
        limit=query.limit + 1,
    )
    page, more = split_page(rows, query.limit)
    return Page[TextOut](
        data=[
            TextOut(id=t.request_id, userId=t.user_id, text=t.text, createdAt=t.created_at)
            for t in page
        ],
        hasNextPage=more,
    )
