"""Referrals: ``POST /api/referral/codes`` (a user's code for a referral rule,
create-or-get), ``POST /api/referral/users`` (refer users with a code) and
``GET /api/referral/users`` (the referrals, with what each paid)."""

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, model_validator

from loyalty.api.deps import PrincipalDep, ReadSessionDep, WriteSessionDep
from loyalty.api.snag.common import ERRORS, PageQuery, WireModel, ledger_scope
from loyalty.errors import FieldError, ValidationFailed
from loyalty.kit.pagination import Page, split_page
from loyalty.ledger.amounts import from_units
from loyalty.ledger.repository import decimals_of
from loyalty.referrals import repository, service
from loyalty.referrals.models import ReferralCode
from loyalty.users.identity import normalize_wallet

router = APIRouter(tags=["referrals"], responses=ERRORS)

REFUSALS: dict[int | str, dict[str, Any]] = {
    422: {"description": "Refused: `code` says why; nothing was changed"}
}
# Custom codes are typed by people and put in links: letters, digits, - and _.
CODE_PATTERN = r"^[A-Za-z0-9_-]+$"
Code = Annotated[str, Field(min_length=3, max_length=32, pattern=CODE_PATTERN)]


class CodeCreate(WireModel):
    loyaltyRuleId: str = Field(description="A referred_user rule")
    userId: str = Field(
        min_length=1,
        description="The user the code is for (required with a server key, which is nobody's)",
    )
    customReferralCode: Code | None = Field(
        None, description="The code to create (3 to 32 letters, digits, - or _); random if absent"
    )
    organizationId: str | None = None
    websiteId: str | None = Field(None, description="When given, the rule's website")


class CodeOut(BaseModel):
    id: str
    createdAt: datetime
    deletedAt: datetime | None = None
    organizationId: str
    websiteId: str
    userId: str
    loyaltyRuleId: str
    referralCode: str
    updatedAt: datetime

    @classmethod
    def of(cls, code: ReferralCode) -> "CodeOut":
        return cls(
            id=code.id,
            createdAt=code.created_at,
            organizationId=code.organization_id,
            websiteId=code.website_id,
            userId=code.user_id,
            loyaltyRuleId=code.rule_id,
            referralCode=code.code,
            updatedAt=code.updated_at,
        )


@router.post("/api/referral/codes", responses=REFUSALS)
async def create_code(
    body: CodeCreate, principal: PrincipalDep, session: WriteSessionDep
) -> CodeOut:
    """The user's code for the rule: created on the first call, the same code after."""
    principal.check_organization(body.organizationId)
    code = await service.code_for(
        session, principal, body.loyaltyRuleId, body.userId, body.customReferralCode
    )
    if body.websiteId is not None and body.websiteId != code.website_id:
        raise ValidationFailed([FieldError("websiteId", "is not the rule's website")])
    return CodeOut.of(code)


class ReferIn(WireModel):
    """Exactly one of ``referralCode`` / ``referralCodeId``."""

    userIds: list[str] = Field(min_length=1, max_length=100, description="Users to refer")
    referralCode: str | None = Field(None, min_length=1, max_length=64)
    referralCodeId: str | None = None

    @model_validator(mode="after")
    def _one_code(self) -> "ReferIn":
        if (self.referralCode is None) == (self.referralCodeId is None):
            raise ValueError("give exactly one of referralCode and referralCodeId")
        if len(set(self.userIds)) != len(self.userIds):
            raise ValueError("userIds must not repeat a user")
        return self


class Message(BaseModel):
    message: str


@router.post("/api/referral/users", responses=REFUSALS)
async def refer_users(body: ReferIn, principal: PrincipalDep, session: WriteSessionDep) -> Message:
    """Refer the users with the code: all of them or none. Referrals whose requirements
    already hold are rewarded at once; the others when the referred user meets them."""
    links = await service.refer(
        session, principal, body.userIds, code=body.referralCode, code_id=body.referralCodeId
    )
    return Message(message=f"{len(links)} user(s) referred")


class ReferralQuery(PageQuery):
    loyaltyRuleId: str | None = None
    walletAddress: list[str] = Field([], description="The referrer's wallet (repeatable)")
    userId: list[str] = Field([], description="The referrer's user id (repeatable)")


class ListedCode(BaseModel):
    id: str
    createdAt: datetime
    deletedAt: datetime | None = None
    referralCode: str
    updatedAt: datetime
    userId: str = Field(description="The referrer: the code's owner")
    loyaltyRuleId: str


class UserRef(BaseModel):
    id: str
    walletAddress: str | None


class ReferralOut(BaseModel):
    id: str
    amount: int | float = Field(description="The referrer's reward for this referral")
    tier1Amount: int | float = Field(
        description="Shares of this user's earnings paid to the referrer"
    )
    tier2Amount: int | float = Field(
        description="Shares of this user's earnings paid to the referrer's referrer"
    )
    eligible: bool = Field(description="The requirements were met and the rewards paid")
    referralCode: ListedCode
    user: UserRef = Field(description="The referred user")
    createdAt: datetime


@router.get("/api/referral/users")
async def list_referrals(
    query: Annotated[ReferralQuery, Query()], principal: PrincipalDep, session: ReadSessionDep
) -> Page[ReferralOut]:
    wanted = repository.ReferralFilter(
        scope=await ledger_scope(session, principal, query.websiteId, query.organizationId),
        rule_id=query.loyaltyRuleId,
        referrer_ids=query.userId,
        referrer_wallets=[normalize_wallet(w) for w in query.walletAddress],
    )
    rows = await repository.list_referrals(
        session, wanted, starting_after=query.startingAfter, limit=query.limit
    )
    page, more = split_page(rows, query.limit)
    decimals = await decimals_of(session, principal.organization_id, _currencies(page))
    return Page[ReferralOut](data=[_out(row, decimals) for row in page], hasNextPage=more)


def _currencies(rows: Sequence[repository.ReferralRow]) -> set[str]:
    found = {row.rule_currency_id for row in rows}
    return found | {r.referral.reward_currency_id for r in rows if r.referral.reward_currency_id}


def _out(row: repository.ReferralRow, decimals: dict[str, int]) -> ReferralOut:
    link, code = row.referral, row.code
    shares = decimals.get(row.rule_currency_id, 0)
    return ReferralOut(
        id=link.id,
        amount=from_units(link.reward_units, decimals.get(link.reward_currency_id or "", 0)),
        tier1Amount=from_units(link.tier1_units, shares),
        tier2Amount=from_units(link.tier2_units, shares),
        eligible=link.rewarded_at is not None,
        referralCode=ListedCode(
            id=code.id,
            createdAt=code.created_at,
            referralCode=code.code,
            updatedAt=code.updated_at,
            userId=code.user_id,
            loyaltyRuleId=code.rule_id,
        ),
        user=UserRef(id=link.user_id, walletAddress=row.wallet_address),
        createdAt=link.created_at,
    )
