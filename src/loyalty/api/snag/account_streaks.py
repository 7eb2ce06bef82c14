"""Check-in streaks (Snag's loyalty account streaks): ``GET /api/loyalty/account_streaks``.

With ``userId`` or ``walletAddress`` the answer has one item per rule named, the user's
streak or an empty one (``streakCount`` 0, null times, no ``id``) when they have none.
Without, it lists every user's streaks on the rules, a page at a time (``limit``,
``startingAfter``). A streak whose expiry has passed is broken: it shows ``streakCount`` 0
and no milestones, with the expiry that broke it.
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from loyalty.api.deps import PrincipalDep, ReadSessionDep
from loyalty.api.snag.common import (
    ERRORS,
    OrganizationId,
    ScopeQuery,
    StartingAfter,
    UserGroupId,
    WebsiteId,
    list_scope,
)
from loyalty.errors import FieldError, raise_if_any
from loyalty.streaks import service
from loyalty.users.identity import normalize_wallet
from loyalty.users.service import IDENTITY_LIMITS

router = APIRouter(tags=["account_streaks"], responses=ERRORS)

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
MAX_RULES = 1000


class MilestoneOut(BaseModel):
    streakAmount: float
    streakMilestone: int


class AccountStreakOut(BaseModel):
    """Snag's AccountStreakGetStreaksResponseItem."""

    id: str | None = Field(None, description="The streak's id; absent when there is no streak")
    loyaltyRuleId: str
    userId: str
    walletAddress: str | None = Field(description="The user's wallet (null: the user has none)")
    streakCount: int = Field(description="Consecutive periods checked in; 0 if no live streak")
    milestone: list[MilestoneOut] = Field(description="Milestones paid in the current streak")
    expiresAt: datetime | None = Field(
        description="When the streak breaks unless the user checks in: the end of the period "
        "after the last check-in (null if no streak yet)"
    )
    createdAt: datetime | None
    updatedAt: datetime | None

    @classmethod
    def of(cls, item: service.AccountStreak) -> "AccountStreakOut":
        row = item.row
        out = cls(
            loyaltyRuleId=item.rule_id,
            userId=item.user_id,
            walletAddress=item.wallet,
            streakCount=item.count,
            milestone=[
                MilestoneOut(
                    streakAmount=float(Decimal(str(m["streakAmount"]))),
                    streakMilestone=int(m["streakMilestone"]),
                )
                for m in item.milestones
            ],
            expiresAt=row.expires_at if row else None,
            createdAt=row.created_at if row else None,
            updatedAt=row.updated_at if row else None,
        )
        if row is not None:
            out.id = row.id
        return out


def _problems(
    rule_ids: list[str], *, one_user: bool, starting_after: str | None, limit: int
) -> list[FieldError]:
    errors = []
    if len(set(rule_ids)) > MAX_RULES:
        errors.append(FieldError("loyaltyRuleId", f"at most {MAX_RULES} rules", "query"))
    if one_user and starting_after is not None:
        message = "pages every user's streaks: with userId or walletAddress, each rule has one item"
        errors.append(FieldError("startingAfter", message, "query"))
    if one_user and len(set(rule_ids)) > limit:
        message = "is below the number of rules named: with a user, each rule has one item"
        errors.append(FieldError("limit", message, "query"))
    return errors


@router.get(
    "/api/loyalty/account_streaks",
    response_model_exclude_unset=True,
    responses={
        404: {"description": "`rule_not_found` or `website_not_found`"},
        422: {"description": "`rule_not_check_in`: only check_in rules have streaks"},
    },
)
async def get_account_streaks(
    principal: PrincipalDep,
    session: ReadSessionDep,
    rule_ids: Annotated[
        list[str], Query(alias="loyaltyRuleId", description="check_in rules; repeat for several")
    ],
    user_id: Annotated[str | None, Query(alias="userId", max_length=36)] = None,
    wallet_address: Annotated[
        str | None,
        Query(alias="walletAddress", max_length=IDENTITY_LIMITS["walletAddress"]),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page (max {MAX_LIMIT})")
    ] = DEFAULT_LIMIT,
    starting_after: StartingAfter = None,
    organization_id: OrganizationId = None,
    website_id: WebsiteId = None,
    _user_group: UserGroupId = None,
) -> list[AccountStreakOut]:
    """Users' check-in streaks on check_in rules: count, expiry and milestones reached."""
    one_user = user_id is not None or wallet_address is not None
    raise_if_any(_problems(rule_ids, one_user=one_user, starting_after=starting_after, limit=limit))
    scope = await list_scope(
        session, principal, ScopeQuery(organizationId=organization_id, websiteId=website_id)
    )
    rules = await service.check_in_rules(session, principal, rule_ids, scope)
    if one_user:
        wallet = normalize_wallet(wallet_address) if wallet_address is not None else None
        items = await service.streaks_of_user(session, rules, user_id=user_id, wallet=wallet)
    else:
        items = await service.streaks_of_rules(
            session, rules, starting_after=starting_after, limit=limit
        )
    return [AccountStreakOut.of(item) for item in items]
